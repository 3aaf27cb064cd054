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


# A broker that cannot be reached is reported within seconds (the API answers 503), not retried for long.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


def enqueue(settings, job_id: str) -> None:
    _app_for(settings.broker_url, settings.visibility_timeout_s).send_task(TASK, args=[job_id], retry=True,
                                                                           retry_policy=PUBLISH_RETRY)


def broker_job_ids(settings) -> set[str]:
    """The ids of the jobs the Redis broker holds: waiting in the queue, or delivered and not yet acknowledged
    (kombu's `unacked` hash). What the store says is queued and is not among them was lost."""
    import base64
    import json

    import redis

    client = redis.Redis.from_url(settings.broker_url, socket_timeout=5, socket_connect_timeout=5)
    messages = [json.loads(raw) for raw in client.lrange(QUEUE, 0, -1)]
    messages += [json.loads(raw)[0] for raw in client.hvals(UNACKED)]
    ids = set()
    for message in messages:
        body = message.get("body", "")
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]  # task protocol 2: [args, kwargs, embed]
        if args:
            ids.add(args[0])
    return ids


QUEUE, UNACKED = "celery", "unacked"  # kombu's Redis names for the default queue and the delivered messages


# The worker's view of the server settings (database, data folder), set by `autoscore worker`.
_WORKER_SETTINGS = {}


def _score_job(task, job_id: str) -> None:
    from autoscore_video.scoring.service.jobs import DEFERRED, execute

    settings = _WORKER_SETTINGS["settings"]
    store = _store(settings.store_url, settings.heartbeat_timeout_s)
    record = store.get(job_id)
    if record is None:
        log.warning("job %s is not in the job store; dropped", job_id)
        return
    # A redelivered message finds its job `running`: take it again when that runner is gone (its process
    # on this host has ended, or it has not been heard from within the heartbeat timeout).
    take_from = None
    if record.status == JobState.RUNNING and (runner_gone(record.runner) or store.stale(record)):
        take_from = record.runner
    status = execute(job_id, store, settings, take_from=take_from, background_webhook=False)
    if status == DEFERRED:  # out of disk: sent again once the wait is over
        task.apply_async(args=(job_id,), countdown=settings.retry_after_s)
        return
    if take_from is not None and status is not None:
        store.note_recovery(job_id, f"redelivered; runner {take_from} was gone")
    log.info("job %s: %s", job_id, status or "not ours to run")


def runner_gone(runner: str | None) -> bool:
    """A runner on this host is gone when its process is; one elsewhere is judged by its heartbeats."""
    from autoscore_video.common.owner import owner_alive

    return not runner or not owner_alive(runner)


@lru_cache(maxsize=2)
def _store(url: str, heartbeat_timeout_s: float):
    from autoscore_video.scoring.service.jobstore import JobStore

    return JobStore(url, heartbeat_timeout_s)


@worker_process_init.connect
def _after_fork(**_) -> None:
    """One GPU per worker process (by its pool index), then the model loaded once for every job it runs."""
    from billiard.process import current_process  # celery's process pool

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
