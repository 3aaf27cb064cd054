"""`autoscore serve` on loopback, driven through scoring.client: auth, limits, back-pressure, webhooks."""
from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")
import httpx  # noqa: E402

from autoscore_video.scoring.service.client import ApiError, Client  # noqa: E402
from tests.conftest import autoscore_command  # noqa: E402
from tests.measure import video_stream_md5  # noqa: E402

TOKEN, OTHER_TOKEN, SECRET = "token-one", "token-two", "webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, root: Path, *extra: str):
    port = free_port()
    command = [*autoscore_command(), "serve", "--port", str(port), "--data", str(tmp / "data"), "--token", TOKEN,
               "--token", OTHER_TOKEN, "--allow-root", str(root), "--max-upload-mb", "5", "--webhook-host",
               "127.0.0.1", "--webhook-secret", SECRET, *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("server did not start: " + (process.stdout.read() if process.stdout else ""))


@pytest.fixture(scope="module")
def root(tmp_path_factory, silent_clip) -> Path:
    folder = tmp_path_factory.mktemp("root")
    shutil.copyfile(silent_clip.path, folder / "clip.mp4")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory, root):
    process, base = start_server(tmp_path_factory.mktemp("server"), root)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_upload_wait_download(server, silent_clip, tmp_path):
    client = Client(server, TOKEN)
    job = client.submit(silent_clip.path, options={"seed": 5, "genre": "lofi"})
    state = client.wait(job, timeout=120)
    assert state["status"] == "done", state
    video = client.download(job, tmp_path / "scored.mp4")
    assert video_stream_md5(video) == video_stream_md5(silent_clip.path)
    report = json.loads(client.download(job, tmp_path / "report.json", file="report").read_text())
    assert report["engine"]["seed"] == 5 and abs(report["mix"]["integrated_lufs"] + 14) <= 0.5


def test_tokens_are_required_and_jobs_are_private(server, root):
    anonymous = httpx.post(server + "/v1/jobs", json={"path": str(root / "clip.mp4")})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong = httpx.post(server + "/v1/jobs", json={"path": str(root / "clip.mp4")},
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    job = Client(server, TOKEN).submit(path=str(root / "clip.mp4"))
    with pytest.raises(ApiError) as other:
        Client(server, OTHER_TOKEN).status(job)
    assert other.value.status == 404
    assert Client(server, TOKEN).wait(job, timeout=120)["status"] == "done"


def test_paths_outside_the_allowed_roots_are_refused(server, root, tmp_path):
    client = Client(server, TOKEN)
    outside = tmp_path / "outside.mp4"
    shutil.copyfile(root / "clip.mp4", outside)
    link = root / "link.mp4"
    link.symlink_to(outside)
    for path in (str(outside), f"{root}/../{outside.parent.name}/outside.mp4", str(link), "/etc/passwd"):
        with pytest.raises(ApiError) as refused:
            client.submit(path=path)
        assert refused.value.status == 403, path
    with pytest.raises(ApiError) as missing:
        client.submit(path=str(root / "missing.mp4"))
    assert missing.value.status == 422


def test_oversize_upload_is_413(server, tmp_path):
    big = tmp_path / "big.mp4"
    big.write_bytes(os.urandom(6 * 1024 * 1024))
    with pytest.raises(ApiError) as too_big:
        Client(server, TOKEN).submit(big)
    assert too_big.value.status == 413
    def endless_upload():  # a well-formed multipart start whose file part never ends, with no Content-Length
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
        for _ in range(200):
            yield os.urandom(65536)

    chunked = httpx.post(server + "/v1/jobs", headers={"Authorization": f"Bearer {TOKEN}",
                                                       "Content-Type": "multipart/form-data; boundary=x"},
                         content=endless_upload())
    assert chunked.status_code == 413


@pytest.mark.parametrize("body, needle", [(b'{"path": ', "malformed JSON"), (b'{"nopath": 1}', "path"),
                                          (b'{"path": "x", "options": {"mood": "angry"}}', "mood"),
                                          (b'{"path": "x", "options": {"volume": 11}}', "unknown option"),
                                          (b'{"path": "x", "options": {"seed": "7"}}', "seed"),
                                          (b'{"path": "x", "options": {"device": "tpu"}}', "tpu"),
                                          # a file on the server's disk is the server's to choose, not a caller's
                                          (b'{"path": "x", "options": {"soundfont": "/etc/passwd.sf2"}}',
                                           "set on the server")])
def test_malformed_submissions_are_422(server, body, needle):
    response = httpx.post(server + "/v1/jobs", content=body, headers={"Authorization": f"Bearer {TOKEN}",
                                                                      "Content-Type": "application/json"})
    assert response.status_code == 422 and needle in response.text


def test_openapi_and_health(server):
    spec = httpx.get(server + "/openapi.json").json()
    assert "/v1/jobs" in spec["paths"] and "/v1/jobs/{job_id}/result" in spec["paths"]
    assert httpx.get(server + "/docs").status_code == 200


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []
    fail_first = True

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        failing = type(self).fail_first and len(type(self).received) == 1
        self.send_response(500 if failing else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_is_signed_retried_and_allow_listed(server, root):
    receiver = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    client = Client(server, TOKEN)
    try:
        job = client.submit(path=str(root / "clip.mp4"),
                            callback_url=f"http://127.0.0.1:{receiver.server_port}/hook")
        assert client.wait(job, timeout=120)["status"] == "done"
        deadline = time.monotonic() + 20
        while len(Receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(Receiver.received) == 2  # the first delivery got a 500 and was retried
        headers, body = Receiver.received[-1]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Autoscore-Signature"] == expected
        assert json.loads(body)["id"] == job and json.loads(body)["status"] == "done"
    finally:
        receiver.shutdown()
    with pytest.raises(ApiError) as refused:
        client.submit(path=str(root / "clip.mp4"), callback_url="http://example.com/hook")
    assert refused.value.status == 422 and "allow-list" in refused.value.detail


def test_queue_limit_gives_503_and_loses_no_accepted_job(tmp_path, root):
    process, base = start_server(tmp_path, root, "--queue-limit", "2", "--workers", "1")
    try:
        client = Client(base, TOKEN)
        accepted, refused = [], []
        for _ in range(6):
            try:
                accepted.append(client.submit(path=str(root / "clip.mp4")))
            except ApiError as exc:
                assert exc.status == 503 and exc.retry_after == "30"
                refused.append(exc)
        assert len(accepted) == 2 and len(refused) == 4
        cancelled = client.cancel(accepted[1])
        assert cancelled["status"] == "cancelled"
        assert client.wait(accepted[0], timeout=120)["status"] == "done"
        with pytest.raises(ApiError) as late:
            client.cancel(accepted[0])
        assert late.value.status == 409
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_accepted_jobs_survive_a_server_kill(tmp_path, root):
    """kill -9 the server with jobs accepted; a server started on the same data finishes them."""
    process, base = start_server(tmp_path, root, "--workers", "1")
    client = Client(base, TOKEN)
    jobs = [client.submit(path=str(root / "clip.mp4")) for _ in range(3)]
    time.sleep(1.0)
    process.kill()
    process.wait()
    process, base = start_server(tmp_path, root, "--workers", "1")
    try:
        client = Client(base, TOKEN)
        assert [client.wait(job, timeout=180)["status"] for job in jobs] == ["done", "done", "done"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_webhook_registered_per_token(tmp_path, root):
    Receiver.received, Receiver.fail_first = [], False
    receiver = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_port}/registered"
    process, base = start_server(tmp_path, root, "--token-webhook", f"{OTHER_TOKEN}={url}")
    try:
        silent = Client(base, TOKEN).submit(path=str(root / "clip.mp4"))
        job = Client(base, OTHER_TOKEN).submit(path=str(root / "clip.mp4"))
        assert Client(base, OTHER_TOKEN).wait(job, timeout=120)["status"] == "done"
        assert Client(base, TOKEN).wait(silent, timeout=120)["status"] == "done"
        deadline = time.monotonic() + 10
        while not Receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        assert [json.loads(body)["id"] for _, body in Receiver.received] == [job]  # only the registered token's
    finally:
        process.terminate()
        process.wait(timeout=10)
        receiver.shutdown()


def test_a_stalled_upload_is_cut_off_with_408(tmp_path, root):
    """Slow loris: headers promise a large body, a few bytes come, then nothing. The server answers 408 once
    the body has been idle for --upload-timeout, and goes on serving others meanwhile."""
    process, base = start_server(tmp_path, root, "--upload-timeout", "2")
    try:
        port = int(base.rsplit(":", 1)[1])
        stalled = []
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", port), timeout=15)
            sock.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                         b"\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 4000000\r\n\r\n--b\r\n")
            stalled.append(sock)
        started = time.monotonic()
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200  # not starved by the stalled ones
        for sock in stalled:
            reply = sock.recv(4096).decode(errors="replace")
            assert reply.startswith("HTTP/1.1 408"), reply
            sock.close()
        assert time.monotonic() - started < 10
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_200_concurrent_submissions_against_a_queue_of_50(tmp_path, root):
    """Every submission gets 202 or 503 with Retry-After; every accepted job is on record afterwards."""
    from concurrent.futures import ThreadPoolExecutor

    process, base = start_server(tmp_path, root, "--queue-limit", "50", "--workers", "1")
    try:
        def submit(_):
            try:
                return Client(base, TOKEN).submit(path=str(root / "clip.mp4"))
            except ApiError as exc:
                assert exc.status == 503 and exc.retry_after == "30", (exc.status, exc.detail)
                return None

        with ThreadPoolExecutor(max_workers=50) as pool:
            outcomes = list(pool.map(submit, range(200)))
        accepted = [job for job in outcomes if job]
        assert len(set(accepted)) == len(accepted) >= 50
        client = Client(base, TOKEN)
        states = [client.status(job)["status"] for job in accepted]
        assert set(states) <= {"queued", "running", "done"}, states
        assert len(accepted) - states.count("done") <= 50  # beyond 50 only as jobs finished during the burst
        assert len(accepted) + outcomes.count(None) == 200
        for job, state in zip(accepted, states):
            if state == "queued":
                client.cancel(job)
    finally:
        process.terminate()
        process.wait(timeout=20)
