"""API → Celery (real Redis on loopback) → two worker processes: every job done exactly once, and a job whose
worker process is killed with SIGKILL is redelivered and done once."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("celery", reason="the dist extra is not installed: pip install '.[dist]'")
pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")

import httpx  # noqa: E402

from autoscore_video.scoring.service.client import ApiError, Client  # noqa: E402
from tests.conftest import autoscore_command  # noqa: E402
from tests.test_api import TOKEN, free_port, start_server  # noqa: E402


class RedisServer:
    """A real redis-server on loopback without persistence (as many deployments run it), stoppable and
    restartable on the same port."""

    def __init__(self, folder: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.folder, self.port, self.process = folder, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        self.process.kill()  # no shutdown save: what was queued is gone
        self.process.wait(timeout=10)


@pytest.fixture()
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture()
def redis_url(redis_server):
    return redis_server.url


def start_worker(broker: str, data: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*autoscore_command(), "worker", "--broker", broker, "--data", str(data),
                             "--concurrency", "1", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
            process.kill()


def rows(data: Path) -> list[dict]:
    db = sqlite3.connect(data / "jobs.sqlite")
    db.row_factory = sqlite3.Row
    result = [dict(r) for r in db.execute("SELECT id, status, attempts, completions, runner, recoveries FROM jobs")]
    db.close()
    return result


@pytest.fixture()
def cluster(tmp_path, redis_url, silent_clip):
    root = tmp_path / "shared"
    root.mkdir()
    shutil.copyfile(silent_clip.path, root / "clip.mp4")
    server, base = start_server(tmp_path, root, "--broker", redis_url, "--queue-limit", "100")
    workers = [start_worker(redis_url, tmp_path / "data") for _ in range(2)]
    yield Client(base, TOKEN), root, tmp_path / "data"
    stop(*workers)
    server.terminate()
    server.wait(timeout=20)


def test_twenty_jobs_through_two_workers_exactly_once(cluster):
    client, root, data = cluster
    jobs = [client.submit(path=str(root / "clip.mp4"), options={"seed": i})["id"] for i in range(20)]
    states = [client.wait(job, timeout=600)["status"] for job in jobs]
    assert states == ["done"] * 20
    records = rows(data)
    assert len(records) == 20 and all(r["completions"] == 1 and r["attempts"] == 1 for r in records), records
    assert len({r["runner"].rsplit(":", 2)[1] for r in records}) == 2  # both worker processes took jobs


def test_job_of_a_killed_worker_is_redelivered_and_done_once(cluster):
    client, root, data = cluster
    job = client.submit(path=str(root / "clip.mp4"))["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = next(r for r in rows(data) if r["id"] == job)
        if record["status"] == "running":
            break
        time.sleep(0.05)
    pid = int(record["runner"].split(":")[1])
    os.kill(pid, signal.SIGKILL)  # the pool process running the job, mid-job
    final = client.wait(job, timeout=300)
    assert final["status"] == "done"
    record = next(r for r in rows(data) if r["id"] == job)
    assert record["completions"] == 1 and record["attempts"] == 2
    assert int(record["runner"].split(":")[1]) != pid


def test_a_broker_outage_loses_no_job_and_leaves_no_ghost(tmp_path, redis_server, silent_clip):
    """Submitting while Redis is down: 503 with Retry-After and no record. Jobs queued when Redis restarts
    without persistence: the server finds them missing from the broker and sends them again; each finishes
    exactly once, and the queue limit counts them right."""
    root = tmp_path / "shared"
    root.mkdir()
    shutil.copyfile(silent_clip.path, root / "clip.mp4")
    server, base = start_server(tmp_path, root, "--broker", redis_server.url, "--queue-limit", "4",
                                "--reconcile-every", "1")
    data, workers = tmp_path / "data", []
    try:
        client = Client(base, TOKEN)
        redis_server.stop()
        for _ in range(5):  # more than the queue limit: none of them may hold a slot
            with pytest.raises(ApiError) as down:
                client.submit(path=str(root / "clip.mp4"))
            assert down.value.status == 503 and down.value.retry_after == "30", down.value.detail
        assert rows(data) == [] and not any((data / "sources").iterdir())
        assert httpx.get(base + "/healthz").json()["queued_or_running"] == 0
        redis_server.start()
        jobs = [client.submit(path=str(root / "clip.mp4"), options={"seed": i})["id"] for i in range(3)]
        redis_server.stop()  # the three waiting messages die with it
        redis_server.start()
        lost_at = time.monotonic()
        workers.append(start_worker(redis_server.url, data))
        states = [client.wait(job, timeout=300)["status"] for job in jobs]
        recovered_in = time.monotonic() - lost_at
        assert states == ["done"] * 3
        records = rows(data)
        assert all(r["completions"] == 1 for r in records), records
        assert all("broker no longer held it" in (r["recoveries"] or "") for r in records), records
        accepted = client.submit(path=str(root / "clip.mp4"))["id"]  # the limit of 4 is free again
        assert client.wait(accepted, timeout=300)["status"] == "done"
        print(f"three jobs lost with Redis done {recovered_in:.1f} s after it came back")
    finally:
        stop(*workers)
        server.terminate()
        server.wait(timeout=20)


def test_a_whole_worker_killed_mid_job_is_recovered_by_heartbeat(tmp_path, redis_url, silent_clip):
    """kill -9 of a worker's whole process group (a machine dying), with the default 6-hour visibility timeout:
    its job is queued again once its heartbeats stop, finished once by another worker, and the record says
    why; DELETE is not stuck on it meanwhile, and the queue limit counts it once."""
    root = tmp_path / "shared"
    root.mkdir()
    shutil.copyfile(silent_clip.path, root / "clip.mp4")
    beat = ["--heartbeat-timeout", "4"]
    server, base = start_server(tmp_path, root, "--broker", redis_url, "--reconcile-every", "1", *beat)
    data = tmp_path / "data"
    first = start_worker(redis_url, data, *beat)
    later = []
    try:
        client = Client(base, TOKEN)
        job = client.submit(path=str(root / "clip.mp4"))["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and next(r for r in rows(data) if r["id"] == job)["status"] != "running":
            time.sleep(0.05)
        killed_runner = next(r for r in rows(data) if r["id"] == job)["runner"]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        later.append(start_worker(redis_url, data, *beat))
        final = client.wait(job, timeout=300)
        recovered_in = time.monotonic() - killed_at
        assert final["status"] == "done", final
        record = next(r for r in rows(data) if r["id"] == job)
        assert record["completions"] == 1 and record["attempts"] == 2 and record["runner"] != killed_runner
        assert "not heard from" in record["recoveries"], record
        assert httpx.get(base + "/healthz").json()["queued_or_running"] == 0
        print(f"job of the killed worker done {recovered_in:.1f} s after the kill")
    finally:
        stop(*later)
        server.terminate()
        server.wait(timeout=20)
