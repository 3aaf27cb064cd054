"""Running one API job: the one job function of the in-process runner and of the Celery workers, and the
webhook that reports its end. `api` (the HTTP front) and `distributed` (Celery) both use it."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autoscore_video.common.errors import AutoscoreError, ResourceError
from autoscore_video.common.owner import this_owner
from autoscore_video.common.staging import disk_full
from autoscore_video.scoring.job.states import STAGE_SHARES, JobState

log = logging.getLogger(__name__)

DEFERRED = "deferred"  # `execute`'s answer for a job that ran out of disk: queued again, to be tried later


@dataclass
class ServerSettings:
    data_dir: Path
    tokens: set[str]
    allowed_roots: list[Path] = field(default_factory=list)
    max_upload_bytes: int = 2 * 1024 ** 3
    queue_limit: int = 50
    workers: int = 1
    database_url: str | None = None  # default: SQLite in data_dir
    webhook_hosts: set[str] = field(default_factory=set)
    token_webhooks: dict[str, str] = field(default_factory=dict)  # token -> callback URL for all its jobs
    webhook_secret: str | None = None
    webhook_retries: int = 4
    webhook_backoff_s: float = 1.0
    retry_after_s: int = 30
    upload_idle_timeout_s: float = 30.0  # a request body that sends nothing for this long gets 408 (slow loris)
    upload_deadline_s: float = 3600.0  # ... and one still arriving this long after the request began
    models_roots: list[Path] = field(default_factory=list)  # folders whose checkpoints a job's `model` may name
    broker_url: str | None = None  # set: jobs go to Celery workers (`autoscore worker`) instead of this process
    visibility_timeout_s: int = 6 * 3600  # above the longest job: a message unacked this long is redelivered
    heartbeat_timeout_s: float = 60.0  # a running job whose runner is silent this long is queued again
    reconcile_every_s: float = 10.0  # how often the API (broker mode) compares the store with the broker
    cors_origins: list[str] = field(default_factory=list)  # browser origins allowed to call the API (none: off)

    @property
    def store_url(self) -> str:
        """The job store's SQLAlchemy URL: `database_url`, else SQLite in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'jobs.sqlite'}"


def sweep_leftovers(settings: ServerSettings) -> None:
    """What servers and workers killed outright left: partial outputs in the job folders, work folders in
    TMPDIR (each only where the process that made it is gone)."""
    from autoscore_video.common.leftovers import sweep_partials, sweep_work_dirs

    removed = sweep_work_dirs()
    for out in (settings.data_dir / "jobs").glob("*/out"):
        removed += sweep_partials(out)
    if removed:
        log.warning("removed %d leftover(s) of killed runs", len(removed))


def sign(secret: str, body: bytes) -> str:
    """The legacy X-Autoscore-Signature (HMAC over the body only: a captured delivery can be replayed).
    Kept for one release beside the Standard Webhooks headers."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_key(secret: str):
    """The Standard Webhooks signer for the server's secret: a `whsec_...` secret is base64 as the spec
    writes it; any other is used as its UTF-8 bytes (verify with `Webhook(secret.encode())`)."""
    from standardwebhooks.webhooks import Webhook

    return Webhook(secret if secret.startswith("whsec_") else secret.encode())


def signed_headers(secret: str, message_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Standard Webhooks headers: webhook-id (the same on every retry of one delivery), webhook-timestamp and
    webhook-signature, an HMAC over id.timestamp.body, so a receiver can refuse replays and old deliveries."""
    from datetime import datetime, timezone

    stamp = datetime.fromtimestamp(int(time.time() if now is None else now), tz=timezone.utc)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": webhook_key(secret).sign(message_id, stamp, body.decode())}


def execute(job_id: str, store, settings: ServerSettings, *, take_from: str | None = None,
            background_webhook: bool = True) -> str | None:
    """Run one job end to end and record the outcome: the one job function of the in-process runner and
    of the Celery workers. `take_from`: the lost runner a job still marked running may be taken from.
    Returns the final status, or None when the job was not ours to run (or was taken over meanwhile)."""
    me = this_owner()
    if not store.start(job_id, me, take_from=take_from):
        return None  # cancelled, finished, or taken by another runner
    record = store.get(job_id)
    started = time.monotonic()
    log.info("job %s: started (%s, attempt %d)", job_id, Path(record.source).name, record.attempts)
    with Heartbeat(store, job_id, me, settings.heartbeat_timeout_s / 6):
        try:
            outcome = JobState.DONE, {"result": run_job(record, settings, JobProgress(store, job_id, me))}
        except Exception as exc:  # every failure becomes the job's error; the worker goes on
            full = disk_full(exc) or (exc if isinstance(exc, ResourceError) else None)
            if full is not None:  # the machine's fault, not the job's: queued again, tried later
                if store.requeue_lost(job_id, me, f"{full}; tried again in {settings.retry_after_s} s"):
                    log.warning("job %s: %s; queued again", job_id, full)
                    return DEFERRED
                return None
            message = str(exc) if isinstance(exc, AutoscoreError) else f"{type(exc).__name__}: {exc}"
            outcome = JobState.FAILED, {"error": message}
    if not store.transition(job_id, (JobState.RUNNING,), outcome[0], runner=me, **outcome[1]):
        log.warning("job %s was given to another runner while this one was presumed lost: its %s outcome is "
                    "dropped", job_id, outcome[0])
        return None
    release_source(Path(record.source), settings)
    took = time.monotonic() - started
    if outcome[0] == JobState.DONE:
        log.info("job %s: done in %.1f s", job_id, took)
    else:
        log.info("job %s: failed after %.1f s: %s", job_id, took, outcome[1]["error"])
    final = store.get(job_id)
    if final.callback_url and settings.webhook_secret:
        if background_webhook:
            threading.Thread(target=deliver_webhook, args=(final, settings), daemon=True).start()
        else:
            deliver_webhook(final, settings)
    return final.status


def run_in_worker(job_id: str, settings: ServerSettings, answer) -> None:
    """`execute` in a job's own process, its status sent back on `answer` (a pipe's end); the webhook is
    delivered before the process ends. Ctrl-C at the server's terminal is the server's to handle."""
    import signal
    import sys

    from autoscore_video.scoring.service.jobstore import JobStore

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a spawned process starts with no logging: the job's life is said as the server says it (stderr, INFO)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)-8s %(message)s")
    log.setLevel(logging.INFO)
    # the server stopping: unwind (partial outputs removed, ffmpeg ended); the next start takes the job back
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    store = JobStore(settings.store_url, settings.heartbeat_timeout_s)
    answer.send(execute(job_id, store, settings, background_webhook=False))
    answer.close()


def release_source(source: Path, settings: ServerSettings) -> None:
    """The server's own link to (or copy of, or upload of) a finished job's source, removed: the outputs are
    what is kept. A source outside `--data/sources` (a job from an older server) is left alone."""
    import shutil

    held = settings.data_dir / "sources"
    if held in source.parents:
        shutil.rmtree(held / source.relative_to(held).parts[0], ignore_errors=True)


class Heartbeat:
    """Stamps the job's record every `interval_s` while its runner works, from a thread of its own."""

    def __init__(self, store, job_id: str, runner: str, interval_s: float):
        self.store, self.job_id, self.runner, self.interval_s = store, job_id, runner, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{job_id[:8]}")

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if not self.store.heartbeat(self.job_id, self.runner):
                    log.warning("job %s is no longer this runner's (presumed lost and given to another)",
                                self.job_id)
                    return
            except Exception as exc:  # the database away for a moment: the next beat tries again
                log.warning("heartbeat for job %s: %s", self.job_id, exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


PROGRESS_EVERY_S = 1.0  # the record is written at most this often (and at each stage's start and end)


class JobProgress:
    """The pipeline's per-stage progress as the job's one fraction on its record, written now and then."""

    def __init__(self, store, job_id: str, runner: str):
        self.store, self.job_id, self.runner = store, job_id, runner
        self.stage: str | None = None
        self.written = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        stages = list(STAGE_SHARES)
        before = sum(STAGE_SHARES[s] for s in stages[:stages.index(stage)]) if stage in STAGE_SHARES else 0.0
        overall = min(1.0, before + STAGE_SHARES.get(stage, 0.0) * min(max(fraction, 0.0), 1.0))
        now = time.monotonic()
        if stage != self.stage or fraction >= 1.0 or now - self.written >= PROGRESS_EVERY_S:
            self.stage, self.written = stage, now
            self.store.set_progress(self.job_id, self.runner, stage, round(overall, 4))


def run_job(record, settings: ServerSettings, progress=None) -> dict:
    from autoscore_video.common import jsonio
    from autoscore_video.scoring.job.outputs import scored_name
    from autoscore_video.scoring.job.pipeline import ScoreOptions, score
    from autoscore_video.scoring.planning.preferences import Preferences

    source = Path(record.source)
    out_dir = settings.data_dir / "jobs" / record.id / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    prefs = Preferences.of(**record.options)
    result = score(source, ScoreOptions(output=out_dir / scored_name(source), prefs=prefs), progress=progress)
    return jsonio.to_jsonable(result)


def deliver_webhook(record, settings: ServerSettings) -> bool:
    import httpx

    secret = settings.webhook_secret
    assert secret, "a webhook is sent only where the server has a secret to sign it with"
    public = record.public()  # file names, never the server's paths
    body = json.dumps({"id": record.id, "status": record.status, "result": public["result"],
                       "error": public["error"]}).encode()
    message_id = f"{record.id}.{record.status}"
    delay = settings.webhook_backoff_s
    for attempt in range(1, settings.webhook_retries + 1):
        headers = {"Content-Type": "application/json", "X-Autoscore-Signature": sign(secret, body),
                   "X-Autoscore-Job": record.id, **signed_headers(secret, message_id, body)}
        try:
            response = httpx.post(record.callback_url, content=body, headers=headers, timeout=10.0)
            if response.status_code < 300:
                return True
            log.warning("webhook for %s: HTTP %s (attempt %d)", record.id, response.status_code, attempt)
        except httpx.HTTPError as exc:
            log.warning("webhook for %s: %s (attempt %d)", record.id, exc, attempt)
        time.sleep(delay)
        delay *= 2
    return False


