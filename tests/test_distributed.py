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

from autoscore_video.scoring.service.client import Client  # noqa: E402
from tests.conftest import autoscore_command  # noqa: E402
from tests.test_api import TOKEN, free_port, start_server  # noqa: E402


@pytest.fixture()
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    while time.monotonic() < deadline:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def start_worker(broker: str, data: Path) -> subprocess.Popen:
    return subprocess.Popen([*autoscore_command(), "worker", "--broker", broker, "--data", str(data),
                             "--concurrency", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def rows(data: Path) -> list[dict]:
    db = sqlite3.connect(data / "jobs.sqlite")
    db.row_factory = sqlite3.Row
    result = [dict(r) for r in db.execute("SELECT id, status, attempts, completions, runner FROM jobs")]
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
    for process in [server, *workers]:
        try:
            os.killpg(process.pid, signal.SIGTERM) if process in workers else process.terminate()
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            process.kill()


def test_twenty_jobs_through_two_workers_exactly_once(cluster):
    client, root, data = cluster
    jobs = [client.submit(path=str(root / "clip.mp4"), options={"seed": i}) for i in range(20)]
    states = [client.wait(job, timeout=600)["status"] for job in jobs]
    assert states == ["done"] * 20
    records = rows(data)
    assert len(records) == 20 and all(r["completions"] == 1 and r["attempts"] == 1 for r in records), records
    assert len({r["runner"].rsplit(":", 2)[1] for r in records}) == 2  # both worker processes took jobs


def test_job_of_a_killed_worker_is_redelivered_and_done_once(cluster):
    client, root, data = cluster
    job = client.submit(path=str(root / "clip.mp4"))
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
