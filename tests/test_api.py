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
from standardwebhooks.webhooks import Webhook, WebhookVerificationError  # noqa: E402

from autoscore_video.scoring.service.client import ApiError, Client  # noqa: E402
from tests.conftest import autoscore_command  # noqa: E402
from tests.corpus import REQUESTS  # noqa: E402
from tests.measure import video_stream_md5  # noqa: E402

TOKEN, OTHER_TOKEN, SECRET = "token-one", "token-two", "webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RECEIVER_PORT = free_port()  # the webhook receivers' port: the allow-list names host and port


def start_server(tmp: Path, root: Path, *extra: str, new_session: bool = False):
    """`autoscore serve` on --data tmp/data; `new_session`: in a process group of its own (with its job
    processes), so that a test can kill the lot as a crash would."""
    port = free_port()
    command = [*autoscore_command(), "serve", "--port", str(port), "--data", str(tmp / "data"), "--token", TOKEN,
               "--token", OTHER_TOKEN, "--allow-root", str(root), "--max-upload-mb", "5", "--webhook-host",
               f"127.0.0.1:{RECEIVER_PORT}", "--webhook-secret", SECRET, *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=new_session)
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
def served(tmp_path_factory, root):
    """(the module's server, its data folder)."""
    folder = tmp_path_factory.mktemp("server")
    process, base = start_server(folder, root)
    yield base, folder / "data"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(served):
    return served[0]


def source_folders(data: Path) -> set[str]:
    """The folders the server keeps submitted sources in: one per accepted job, none for a refused one."""
    return {p.name for p in (data / "sources").iterdir()} if (data / "sources").is_dir() else set()


def test_upload_wait_download(served, silent_clip, tmp_path):
    server, data = served
    client = Client(server, TOKEN)
    job = client.submit(silent_clip.path, options={"seed": 5, "genre": "lofi"})["id"]
    state = client.wait(job, timeout=120)
    assert state["status"] == "done", state
    assert not list((data / "sources").glob(f"*/{silent_clip.path.name}"))  # the upload goes; outputs stay
    # the record names files, never the server's folders
    assert state["source"] == silent_clip.path.name and str(data) not in json.dumps(state)
    assert state["result"]["outputs"]["video"] == f"{silent_clip.path.stem}.scored.mp4"
    video = client.download(job, tmp_path / "scored.mp4")
    assert video_stream_md5(video) == video_stream_md5(silent_clip.path)
    report_text = client.download(job, tmp_path / "report.json", file="report").read_text()
    report = json.loads(report_text)
    assert report["engine"]["seed"] == 5 and abs(report["mix"]["integrated_lufs"] + 14) <= 0.5
    assert str(data) not in report_text and report["source"] == silent_clip.path.name
    plan_text = client.download(job, tmp_path / "plan.json", file="plan").read_text()
    assert str(data) not in plan_text and json.loads(plan_text)["source"] == silent_clip.path.name
    # a result cleaned off the disk by someone
    (data / "jobs" / job / "out" / state["result"]["outputs"]["timeline"]).unlink()
    gone = httpx.get(f"{server}/v1/jobs/{job}/result", params={"file": "timeline"},
                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert gone.status_code == 410 and "no longer" in gone.json()["detail"]


def test_the_readmes_client_snippet_runs_as_written(server, silent_clip, tmp_path, monkeypatch):
    """The README's Python client example, run unchanged but for the server's address and token."""
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    (snippet,) = [block for block in blocks if "import ApiError, Client" in block]
    assert '"http://127.0.0.1:8000", token="T"' in snippet
    shutil.copyfile(silent_clip.path, tmp_path / "clip.mp4")
    monkeypatch.chdir(tmp_path)
    exec(snippet.replace('"http://127.0.0.1:8000", token="T"', f"{server!r}, token={TOKEN!r}"), {})
    assert video_stream_md5(tmp_path / "clip.scored.mp4") == video_stream_md5(silent_clip.path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "clip.scored.mp4"]  # no partial left


def test_tokens_are_required_and_jobs_are_private(server, root):
    anonymous = httpx.post(server + "/v1/jobs", json={"path": str(root / "clip.mp4")})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong = httpx.post(server + "/v1/jobs", json={"path": str(root / "clip.mp4")},
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    job = Client(server, TOKEN).submit(path=str(root / "clip.mp4"))["id"]
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


@pytest.mark.parametrize("body, needle", [(b'{"path": ', "Invalid JSON"), (b'{"nopath": 1}', "path"),
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


@pytest.mark.parametrize("request_case", REQUESTS, ids=[r.name for r in REQUESTS])
def test_hostile_requests_are_4xx_and_leave_nothing(served, root, request_case):
    """The hostile request corpus (tests/corpus.py): each refused with its reason, no folder left behind."""
    base, data = served
    before = source_folders(data)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if request_case.parts is not None:
        response = httpx.post(base + "/v1/jobs", headers=headers, files=request_case.parts, timeout=30)
    else:
        headers["Content-Type"] = request_case.content_type or "application/json"
        body = request_case.json.replace(b"{root}", str(root).encode())
        response = httpx.post(base + "/v1/jobs", headers=headers, content=body, timeout=30)
    assert response.status_code == request_case.status, response.text
    assert request_case.needle in response.json()["detail"], response.text
    assert source_folders(data) == before


def test_a_source_swapped_for_a_link_after_submit_is_not_followed(tmp_path, root):
    """Time of check, time of use: the file is replaced by a link to one outside the roots as soon as the job
    is accepted (the one worker busy with another). The job scores what was submitted, never the outside
    file. Also: a `model` option may name a folder under --models-root, nothing else on the disk."""
    models = tmp_path / "models"
    (models / "my-checkpoint").mkdir(parents=True)
    folder = tmp_path / "root"
    folder.mkdir()
    shutil.copyfile(root / "clip.mp4", folder / "clip.mp4")
    shutil.copyfile(root / "clip.mp4", folder / "swapped.mp4")
    outside = tmp_path / "secret" / "other.mp4"
    outside.parent.mkdir()
    from tests.corpus import video

    video(outside, seconds=3.0, size="320x240")
    process, base = start_server(tmp_path, folder, "--workers", "1", "--models-root", str(models))
    try:
        client = Client(base, TOKEN)
        busy = client.submit(path=str(folder / "clip.mp4"))["id"]
        job = client.submit(path=str(folder / "swapped.mp4"), options={"model": "my-checkpoint"})["id"]
        (folder / "swapped.mp4").unlink()
        (folder / "swapped.mp4").symlink_to(outside)
        assert client.wait(busy, timeout=120)["status"] == "done"
        state = client.wait(job, timeout=120)
        assert state["status"] == "done", state
        assert state["options"]["model"] == "my-checkpoint"  # held as the server's folder, shown by its name
        scored = client.download(job, tmp_path / "scored.mp4")
        assert video_stream_md5(scored) == video_stream_md5(root / "clip.mp4") != video_stream_md5(outside)
        with pytest.raises(ApiError) as escaped:
            client.submit(path=str(folder / "clip.mp4"), options={"model": "../secret"})
        assert escaped.value.status == 422 and "models-root" in escaped.value.detail
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_file_swapped_between_check_and_open_is_refused(tmp_path):
    """The hold itself: a link in place of the file, or of a folder on its way, is not followed."""
    from autoscore_video.common.errors import InputError
    from autoscore_video.scoring.service.intake import hold

    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "clip.mp4").write_bytes(b"secret")
    (root / "clip.mp4").symlink_to(outside / "clip.mp4")
    (root / "folder").symlink_to(outside)
    for checked in (root / "clip.mp4", root / "folder" / "clip.mp4"):
        with pytest.raises(InputError, match="not followed"):
            hold(root, checked, tmp_path / "held")
    (root / "sub" / "clip.mp4").write_bytes(b"mine")
    held = hold(root, root / "sub" / "clip.mp4", tmp_path / "held")
    assert held.read_bytes() == b"mine" and held.parent == tmp_path / "held"


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
    receiver = http.server.HTTPServer(("127.0.0.1", RECEIVER_PORT), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    client = Client(server, TOKEN)
    try:
        job = client.submit(path=str(root / "clip.mp4"),
                            callback_url=f"http://127.0.0.1:{receiver.server_port}/hook")["id"]
        assert client.wait(job, timeout=120)["status"] == "done"
        deadline = time.monotonic() + 20
        while len(Receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(Receiver.received) == 2  # the first delivery got a 500 and was retried
        headers, body = Receiver.received[-1]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Autoscore-Signature"] == expected  # the old header, kept for one release
        assert json.loads(body)["id"] == job and json.loads(body)["status"] == "done"
        assert json.loads(body)["result"]["outputs"]["video"] == "clip.scored.mp4"  # a name, not a server path
        # Standard Webhooks: verified as a receiver would, one id for both attempts of the delivery
        assert Webhook(SECRET.encode()).verify(body, headers)["id"] == job
        assert Receiver.received[0][0]["webhook-id"] == headers["webhook-id"] == f"{job}.done"
        replayed = {**headers, "webhook-timestamp": str(int(time.time()) - 600)}  # a capture sent again later
        with pytest.raises(WebhookVerificationError):
            Webhook(SECRET.encode()).verify(body, replayed)
    finally:
        receiver.shutdown()
        receiver.server_close()
    for elsewhere in ("http://example.com/hook", "http://127.0.0.1:6379/", "http://127.0.0.1/hook"):
        with pytest.raises(ApiError) as refused:  # another host, or another service on the allowed one
            client.submit(path=str(root / "clip.mp4"), callback_url=elsewhere)
        assert refused.value.status == 422 and "allow-list" in refused.value.detail


def test_queue_limit_gives_503_and_loses_no_accepted_job(tmp_path, root):
    process, base = start_server(tmp_path, root, "--queue-limit", "2", "--workers", "1")
    try:
        client = Client(base, TOKEN)
        accepted, refused = [], []
        for _ in range(6):
            try:
                accepted.append(client.submit(path=str(root / "clip.mp4"))["id"])
            except ApiError as exc:
                assert exc.status == 503 and exc.retry_after == "30"
                refused.append(exc)
        assert len(accepted) == 2 and len(refused) == 4
        held = len(source_folders(tmp_path / "data"))
        cancelled = client.cancel(accepted[1])
        assert cancelled["status"] == "cancelled"
        assert len(source_folders(tmp_path / "data")) <= held - 1  # its held source is let go
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
    jobs = [client.submit(path=str(root / "clip.mp4"))["id"] for _ in range(3)]
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
    receiver = http.server.HTTPServer(("127.0.0.1", RECEIVER_PORT), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_port}/registered"
    process, base = start_server(tmp_path, root, "--token-webhook", f"{OTHER_TOKEN}={url}")
    try:
        silent = Client(base, TOKEN).submit(path=str(root / "clip.mp4"))["id"]
        job = Client(base, OTHER_TOKEN).submit(path=str(root / "clip.mp4"))["id"]
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
        receiver.server_close()


def test_a_stalled_upload_is_cut_off_with_408(tmp_path, root):
    """Slow loris: headers promise a large body, a few bytes come, then nothing. The server answers 408 once
    the body has been idle for --upload-timeout, and goes on serving others meanwhile. A body that trickles
    in (a byte a second, never idle for long) is cut off at --upload-deadline."""
    process, base = start_server(tmp_path, root, "--upload-timeout", "2", "--upload-deadline", "4")
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
        trickle = socket.create_connection(("127.0.0.1", port), timeout=1)
        trickle.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                        b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        reply = b""
        for _ in range(30):  # 30 bytes, one a second: the idle timeout alone would never fire
            try:
                trickle.sendall(b" ")
                reply = trickle.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if reply:
                break
        trickle.settimeout(5)
        while reply and (more := trickle.recv(4096)):  # the 408 closes the connection after its body
            reply += more
        trickle.close()
        assert reply.startswith(b"HTTP/1.1 408") and b"deadline" in reply, reply
    finally:
        process.terminate()
        process.wait(timeout=10)


def read_to_close(sock: socket.socket) -> bytes:
    reply = b""
    while more := sock.recv(65536):
        reply += more
    return reply


def test_a_refused_upload_gets_its_reply_while_the_client_is_still_sending(tmp_path, root):
    """RFC 9112 9.6: a server that closes at once on a client still sending makes its kernel answer the
    client's next bytes with a reset, which can erase the reply before the client reads it. The server
    half-closes and drops what comes after, so a client that notices the reply only after it has sent more
    (as an uploader does) still reads the whole 408 or 413 and then a clean end of stream."""
    import select

    process, base = start_server(tmp_path, root, "--upload-timeout", "1")
    try:
        port = int(base.rsplit(":", 1)[1])
        head = (b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                b"\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n--b\r\n")
        stalled = socket.create_connection(("127.0.0.1", port), timeout=15)
        stalled.sendall(head % 4_000_000)
        assert select.select([stalled], [], [], 15)[0], "no reply to a stalled upload"
        time.sleep(0.3)  # the server has answered and closed its side: a reset now would erase the reply
        stalled.sendall(b"x" * 20_000)
        time.sleep(0.3)
        reply = read_to_close(stalled)
        stalled.close()
        assert reply.startswith(b"HTTP/1.1 408") and reply.endswith(b"}"), reply

        oversized = socket.create_connection(("127.0.0.1", port), timeout=15)
        oversized.sendall(head % 8_000_000)
        sent = 0
        try:
            while sent < 8_000_000 and not select.select([oversized], [], [], 0)[0]:
                oversized.sendall(b"y" * 65536)
                sent += 65536
        except BrokenPipeError:
            pass
        assert sent < 8_000_000, "an 8 MB upload against a 5 MB limit was taken whole"
        time.sleep(0.3)
        reply = read_to_close(oversized)
        oversized.close()
        assert reply.startswith(b"HTTP/1.1 413") and reply.endswith(b"}"), reply
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
                return Client(base, TOKEN).submit(path=str(root / "clip.mp4"))["id"]
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
                try:
                    client.cancel(job)
                except ApiError as exc:  # it started between the status read and the cancel
                    assert exc.status == 409 and ("running" in exc.detail or "done" in exc.detail), exc.detail
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(served):
    """The API fuzzed from its own /openapi.json: schema-valid and schema-invalid requests to every
    operation, a bounded number each. Not checked: that every schema-valid request is accepted, as no schema
    can say which paths lie inside the allowed roots or which hosts the webhook allow-list holds."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import checks

    base, data = served
    spec = schemathesis.openapi.from_url(base + "/openapi.json")
    chosen = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
              checks.response_schema_conformance, checks.negative_data_rejection]
    answered: dict[str, list[int]] = {}
    for operation in (result.ok() for result in spec.get_all_operations()):
        modes = ["positive", "negative"] if operation.path != "/healthz" else ["positive"]
        for mode in modes:
            @given(case=operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode)))
            @settings(max_examples=25, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def fuzz(case):
                response = case.call_and_validate(base_url=base, checks=chosen,
                                                  headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
                answered.setdefault(operation.label, []).append(response.status_code)

            fuzz()
    assert {"POST /v1/jobs", "GET /v1/jobs/{job_id}", "GET /v1/jobs/{job_id}/result",
            "DELETE /v1/jobs/{job_id}"} <= set(answered)
    assert not [code for codes in answered.values() for code in codes if code >= 500]
    assert any(code == 422 for code in answered["POST /v1/jobs"])  # the negative cases were refused


def test_a_runner_presumed_lost_cannot_finish_its_job_a_second_time(tmp_path):
    """Runner A goes silent past the heartbeat timeout; the job is recovered and B takes it. When A comes back,
    neither its heartbeat nor its result lands: one completion, B's."""
    from autoscore_video.scoring.service.jobstore import JobStore

    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}", heartbeat_timeout_s=0.2)
    job = store.create("owner", "/clip.mp4", {}, None, limit=10).id
    assert store.start(job, "host:1:1") and store.live_count() == 1
    time.sleep(0.3)
    assert store.live_count() == 0  # silent: it no longer holds a queue slot
    assert store.recover_stale() == [job]
    recovered = store.get(job)
    assert recovered.status == "queued" and "host:1:1 not heard from" in recovered.recoveries[0]["reason"]
    assert store.start(job, "host:2:2")
    assert not store.heartbeat(job, "host:1:1")
    assert not store.transition(job, ("running",), "done", runner="host:1:1", result={"by": "A"})
    assert store.transition(job, ("running",), "done", runner="host:2:2", result={"by": "B"})
    final = store.get(job)
    assert final.completions == 1 and final.result == {"by": "B"} and final.attempts == 2
