"""`autoscore serve` under round three: a second server on the same --data, a server killed with its jobs, slow
headers and a flood of connections, a full disk, and jobs that run in processes of their own."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")
import httpx  # noqa: E402

from autoscore_video.scoring.service.client import ApiError, Client  # noqa: E402
from tests.conftest import small_tmpfs  # noqa: E402
from tests.test_api import TOKEN, start_server  # noqa: E402


@pytest.fixture(scope="module")
def root(tmp_path_factory, calm_clip) -> Path:
    folder = tmp_path_factory.mktemp("root")
    shutil.copyfile(calm_clip.path, folder / "clip.mp4")
    return folder


def _record(data: Path, job: str) -> dict:
    db = sqlite3.connect(data / "jobs.sqlite")
    db.row_factory = sqlite3.Row
    row = dict(db.execute("SELECT * FROM jobs WHERE id=?", (job,)).fetchone())
    db.close()
    return row


def _wait_running(client: Client, job: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while client.status(job)["status"] != "running":
        assert time.monotonic() < deadline, client.status(job)
        time.sleep(0.1)


def _stop(process) -> None:
    process.terminate()
    process.wait(timeout=20)


def test_a_second_server_leaves_a_live_runners_job_and_takes_a_dead_ones(tmp_path, root):
    beat = ["--heartbeat-timeout", "3", "--reconcile-every", "0.5"]
    first, first_base = start_server(tmp_path, root, *beat, new_session=True)
    second = None
    try:
        job = Client(first_base, TOKEN).submit(path=str(root / "clip.mp4"))["id"]
        _wait_running(Client(first_base, TOKEN), job)
        runner = _record(tmp_path / "data", job)["runner"]
        runner_pid = int(runner.split(":")[1])
        assert runner_pid != first.pid  # the job runs in a process of its own, not in the server's
        second, second_base = start_server(tmp_path, root, *beat)
        time.sleep(4.0)  # past the heartbeat timeout: the runner is alive and beating, so it keeps the job
        state = Client(second_base, TOKEN).status(job)
        assert state["status"] in ("running", "done") and state["recoveries"] == []
        assert _record(tmp_path / "data", job)["attempts"] == 1

        os.killpg(first.pid, signal.SIGKILL)  # the first server and its job process die together
        first.wait()
        state = Client(second_base, TOKEN).wait(job, timeout=180)
        record = _record(tmp_path / "data", job)
        if record["attempts"] == 1:  # it had finished before the kill: nothing to recover
            assert state["status"] == "done" and state["recoveries"] == []
        else:
            assert state["status"] == "done" and record["completions"] == 1
            [recovery] = state["recoveries"]
            assert runner in recovery["reason"] and "not heard from" in recovery["reason"]
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        if second is not None:
            _stop(second)


def test_a_restart_after_kill_9_says_which_jobs_it_took_back(tmp_path, root):
    process, base = start_server(tmp_path, root, "--workers", "1", new_session=True)
    client = Client(base, TOKEN)
    jobs = [client.submit(path=str(root / "clip.mp4"))["id"] for _ in range(2)]
    _wait_running(client, jobs[0])
    os.killpg(process.pid, signal.SIGKILL)  # the server and the job's process with it
    process.wait()
    process, base = start_server(tmp_path, root, "--workers", "1")
    try:
        client = Client(base, TOKEN)
        states = [client.wait(job, timeout=180) for job in jobs]
        assert [s["status"] for s in states] == ["done", "done"]
        [recovery] = states[0]["recoveries"]
        assert "ended before finishing it (the server was restarted)" in recovery["reason"]
        assert states[1]["recoveries"] == []  # it was only queued: nothing to take back
        assert [_record(tmp_path / "data", job)["completions"] for job in jobs] == [1, 1]
    finally:
        _stop(process)


def test_slow_headers_and_a_connection_flood_lock_nobody_out(tmp_path, root):
    process, base = start_server(tmp_path, root, "--header-timeout", "1", "--max-connections", "40")
    port = int(base.rsplit(":", 1)[1])
    slow = []
    try:
        for _ in range(120):  # more than the cap: one header line now, the next never in time
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        answered = httpx.get(base + "/healthz", timeout=10)  # the idlest slow client makes room for it
        assert answered.status_code == 200
        for sock in slow:  # every slow client was answered 408 or closed, none left hanging
            sock.settimeout(5)
            try:
                reply = sock.recv(200)
            except ConnectionResetError:  # closed with its unread headers: a reset
                reply = b""
            assert reply == b"" or reply.startswith(b"HTTP/1.1 408"), reply
    finally:
        for sock in slow:
            sock.close()
        _stop(process)
    log = process.stdout.read()
    assert "Too many open files" not in log and "Traceback" not in log


def test_a_full_disk_is_507_and_leaves_nothing(tmp_path, root, calm_clip):
    with small_tmpfs(tmp_path / "data", "300k"):
        process, base = start_server(tmp_path, root, "--retry-after", "7")
        try:
            with pytest.raises(ApiError) as full:
                Client(base, TOKEN).submit(calm_clip.path)  # an upload bigger than the room left
            assert full.value.status == 507 and full.value.retry_after == "7"
            assert "disk is full" in full.value.detail and str(tmp_path) not in full.value.detail
            assert not any((tmp_path / "data" / "sources").iterdir())
        finally:
            _stop(process)


def test_a_job_that_runs_out_of_disk_waits_and_is_tried_again(tmp_path, root):
    with small_tmpfs(tmp_path / "data", "3m") as data:
        process, base = start_server(tmp_path, root, "--retry-after", "2")
        try:
            client = Client(base, TOKEN)
            job = client.submit(path=str(root / "clip.mp4"))["id"]  # held by a link: the outputs do not fit
            deadline = time.monotonic() + 120
            while not client.status(job)["recoveries"]:
                assert time.monotonic() < deadline and client.status(job)["status"] != "failed"
                time.sleep(0.2)
            assert "no space left" in client.status(job)["recoveries"][0]["reason"]
            assert os.system(f"mount -o remount,size=200m '{data}'") == 0  # room made
            state = client.wait(job, timeout=180)
            assert state["status"] == "done" and _record(data, job)["completions"] == 1
        finally:
            _stop(process)
