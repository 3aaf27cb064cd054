"""Scale-out: the API enqueues job ids on Celery (Redis broker); `autoscore worker` processes run them.

Messages carry only job ids; sources and outputs are paths on storage every machine shares, job
records live in the shared database. Workers prefetch one message, acknowledge it only after the job
(acks_late) and give it back if their process dies (reject_on_worker_lost), so a job killed mid-way is
redelivered; the job store makes the redelivery finish the job once, never twice. Each worker process
loads its model once, after fork, and may be pinned to one GPU.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache

from celery import Celery
from celery.signals import worker_process_init

from autoscore_video.scoring.job.states import JobState

log = logging.getLogger(__name__)

TASK = "autoscore.score_job"


def make_celery(broker_url: str, visibility_timeout_s: int) -> Celery:
    app = Celery("autoscore", broker=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options={"visibility_timeout": visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK, bind=True, ignore_result=True)(_score_job)
    return app


@lru_cache(maxsize=4)
def _app_for(broker_url: str, visibility_timeout_s: int) -> Celery:
    return make_celery(broker_url, visibility_timeout_s)


def enqueue(settings, job_id: str) -> None:
    _app_for(settings.broker_url, settings.visibility_timeout_s).send_task(TASK, args=[job_id])


# The worker's view of the server settings (database, data folder), set by `autoscore worker`.
_WORKER_SETTINGS = {}


def _score_job(task, job_id: str) -> None:
    from autoscore_video.scoring.service.jobs import execute

    settings = _WORKER_SETTINGS["settings"]
    store = _store(settings.database_url)
    record = store.get(job_id)
    if record is None:
        log.warning("job %s is not in the job store; dropped", job_id)
        return
    # A redelivered message finds its job `running`: take it again when that runner is gone.
    retake = record.status == JobState.RUNNING and runner_gone(record.runner)
    status = execute(job_id, store, settings, retake_running=retake, background_webhook=False)
    log.info("job %s: %s", job_id, status or "not ours to run")


def runner_gone(runner: str | None) -> bool:
    """A runner on this host is gone when its process is; one elsewhere is presumed gone, since its message
    came back only after the visibility timeout (longer than any job)."""
    import socket

    from autoscore_video.common.owner import owner_alive

    if not runner:
        return True
    if runner.split(":", 1)[0] != socket.gethostname():
        return True
    return not owner_alive(runner)


@lru_cache(maxsize=2)
def _store(url: str):
    from autoscore_video.scoring.service.jobstore import JobStore

    return JobStore(url)


@worker_process_init.connect
def _after_fork(**_) -> None:
    """One GPU per worker process (by its pool index), then the model loaded once for every job it runs."""
    from celery import current_process

    gpus = [g for g in os.environ.get("AUTOSCORE_GPUS", "").split(",") if g.strip()]
    if gpus:
        index = getattr(current_process(), "index", 0) or 0
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
    model = os.environ.get("AUTOSCORE_PRELOAD_MODEL")
    if model:
        from autoscore_video.generation.musicgen import loader

        loader.load(model, os.environ.get("AUTOSCORE_DEVICE", "auto"))
        log.info("worker %s: %s loaded", os.getpid(), model)


def run_worker(settings, concurrency: int, loglevel: str = "WARNING") -> None:
    from autoscore_video.scoring.service.jobs import sweep_leftovers

    _WORKER_SETTINGS["settings"] = settings
    sweep_leftovers(settings)
    app = _app_for(settings.broker_url, settings.visibility_timeout_s)
    app.worker_main(["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "--pool=prefork",
                     "--without-gossip", "--without-mingle", "--without-heartbeat"])
