"""`autoscore serve` (the HTTP API) and `autoscore worker` (Celery workers for it)."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional

import typer

from autoscore_video.common.errors import UsageError
from autoscore_video.scoring.cli.app import (
    HeartbeatTimeoutOpt,
    VerboseOpt,
    VisibilityTimeoutOpt,
    WebhookSecretOpt,
    app,
    errors_reported,
    needs_extras,
    setup_logging,
)


def service_logging(verbose: bool) -> None:
    """A service says what it does at INFO (where it listens; each job accepted, started, done or failed);
    `verbose` adds each request (uvicorn's access log, httpx's webhook requests)."""
    setup_logging(True)
    logging.getLogger("httpx").setLevel(logging.INFO if verbose else logging.WARNING)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    data: Path = typer.Option(Path("autoscore-data"), "--data", help="Uploads, outputs and the job database."),
    token: list[str] = typer.Option([], "--token", help="Accepted bearer token (repeatable); also "
                                                        "AUTOSCORE_TOKENS=a,b."),
    allow_root: list[Path] = typer.Option([], "--allow-root", help="Folder whose files may be submitted by path "
                                                                   "(repeatable)."),
    max_upload_mb: float = typer.Option(2048, "--max-upload-mb"),
    upload_timeout: float = typer.Option(30.0, "--upload-timeout", help="Seconds an upload may send nothing "
                                                                       "before it is answered 408."),
    upload_deadline: float = typer.Option(3600.0, "--upload-deadline", help="Seconds an upload may take in all "
                                                                            "before it is answered 408."),
    models_root: list[Path] = typer.Option([], "--models-root", help="Folder of MusicGen checkpoints a job's "
                                                                     "`model` option may name (repeatable)."),
    queue_limit: int = typer.Option(50, "--queue-limit", help="Queued+running jobs before 503."),
    workers: int = typer.Option(1, "--workers", help="Jobs run at once in this process."),
    db: Optional[str] = typer.Option(None, "--db", help="SQLAlchemy URL for job records (default SQLite in "
                                                        "--data)."),
    webhook_host: list[str] = typer.Option([], "--webhook-host", help="host:port webhooks may be sent to "
                                           "(repeatable); a host alone allows its ports 80 and 443 only."),
    webhook_secret: Optional[str] = WebhookSecretOpt,
    token_webhook: list[str] = typer.Option([], "--token-webhook", help="TOKEN=URL: webhook for every job of that "
                                                                        "token without its own (repeatable)."),
    broker: Optional[str] = typer.Option(None, "--broker", help="Celery broker URL (redis://...): jobs go to "
                                                                "`autoscore worker` processes."),
    visibility_timeout: int = VisibilityTimeoutOpt,
    heartbeat_timeout: float = HeartbeatTimeoutOpt,
    reconcile_every: float = typer.Option(10.0, "--reconcile-every", help="Seconds between looks for jobs whose "
                                          "runner was lost (and, with --broker, jobs the broker lost)."),
    header_timeout: float = typer.Option(10.0, "--header-timeout", help="Seconds a client has to send a request's "
                                         "headers before the connection is answered 408 and closed."),
    retry_after: int = typer.Option(30, "--retry-after", help="Seconds a refused client is told to wait (503, 507), "
                                    "and a job that ran out of disk waits before it is tried again."),
    max_connections: int = typer.Option(500, "--max-connections", help="Open connections beyond which new ones are "
                                        "closed at once (keep it under the process's descriptor limit)."),
    cors_origin: list[str] = typer.Option([], "--cors-origin", help="A browser origin (https://app.example) "
                                          "allowed to call the API (repeatable; none: CORS off)."),
    verbose: bool = VerboseOpt,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs). Logs where it listens and each job's life."""
    service_logging(verbose)
    with errors_reported():
        with needs_extras("serve needs the [serve] extra: pip install 'autoscore-video[serve]'"):
            import uvicorn

            from autoscore_video.scoring.service.api import create_app
            from autoscore_video.scoring.service.connections import guarded_protocol
            from autoscore_video.scoring.service.jobs import ServerSettings
        tokens = set(token) | {t.strip() for t in os.environ.get("AUTOSCORE_TOKENS", "").split(",") if t.strip()}
        if not tokens:
            raise UsageError("give at least one --token (or AUTOSCORE_TOKENS): the API accepts no anonymous jobs")
        if reconcile_every <= 0 or heartbeat_timeout <= 0 or header_timeout <= 0 or max_connections < 1 \
                or retry_after < 1:
            raise UsageError("--reconcile-every, --heartbeat-timeout and --header-timeout must be above 0, "
                             "--max-connections and --retry-after at least 1")
        if queue_limit < 1 or workers < 1 or max_upload_mb <= 0 or upload_timeout <= 0 or upload_deadline <= 0:
            raise UsageError("--queue-limit and --workers must be at least 1, --max-upload-mb, "
                             "--upload-timeout and --upload-deadline above 0")
        if any("=" not in item for item in token_webhook):
            raise UsageError("--token-webhook takes TOKEN=URL")
        registered = dict(item.split("=", 1) for item in token_webhook)
        if set(registered) - tokens:
            raise UsageError("--token-webhook names a token that is not accepted (--token)")
        asgi, _ = create_app(ServerSettings(
            data_dir=data.resolve(), tokens=tokens, allowed_roots=[p.resolve() for p in allow_root],
            max_upload_bytes=int(max_upload_mb * 1024 * 1024), queue_limit=queue_limit, workers=workers,
            database_url=db, webhook_hosts=set(webhook_host), token_webhooks=registered,
            webhook_secret=webhook_secret, broker_url=broker,
            visibility_timeout_s=visibility_timeout, upload_idle_timeout_s=upload_timeout,
            upload_deadline_s=upload_deadline, models_roots=[p.resolve() for p in models_root],
            heartbeat_timeout_s=heartbeat_timeout, reconcile_every_s=reconcile_every, retry_after_s=retry_after,
            cors_origins=list(cors_origin)))
        logging.getLogger(__name__).info("listening on http://%s:%d (docs at /docs; data in %s; jobs %s)",
                                         host, port, data.resolve(),
                                         f"to the workers of {broker}" if broker else f"run here, {workers} at once")
        uvicorn.run(asgi, host=host, port=port, log_level="info" if verbose else "warning",
                    http=guarded_protocol(header_timeout, max_connections))


@app.command()
def worker(
    broker: str = typer.Option(..., "--broker", help="Celery broker URL, the same as the API's."),
    data: Path = typer.Option(Path("autoscore-data"), "--data", help="Shared folder for outputs (as the API's)."),
    db: Optional[str] = typer.Option(None, "--db", help="The API's job database URL (default SQLite in --data)."),
    concurrency: int = typer.Option(1, "--concurrency", help="Worker processes (one job each at a time)."),
    gpus: Optional[str] = typer.Option(None, "--gpus", help="GPU ids, one per worker process (sets "
                                                            "CUDA_VISIBLE_DEVICES)."),
    preload_model: Optional[str] = typer.Option(None, "--preload-model", help="Load this MusicGen model in each "
                                                                              "process after fork."),
    device: str = typer.Option("auto", "--device"),
    visibility_timeout: int = VisibilityTimeoutOpt,
    heartbeat_timeout: float = HeartbeatTimeoutOpt,
    webhook_secret: Optional[str] = WebhookSecretOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Run jobs from the API's queue: a Celery worker, prefetch 1, late acks, redelivery if a process dies."""
    service_logging(verbose)
    with errors_reported():
        with needs_extras("worker needs the [dist] and [serve] extras: pip install 'autoscore-video[serve,dist]'"):
            from autoscore_video.scoring.service.distributed import run_worker
            from autoscore_video.scoring.service.jobs import ServerSettings
        if concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if gpus:
            os.environ["AUTOSCORE_GPUS"] = gpus
        if preload_model:
            os.environ["AUTOSCORE_PRELOAD_MODEL"], os.environ["AUTOSCORE_DEVICE"] = preload_model, device
        data = data.resolve()
        settings = ServerSettings(data_dir=data, tokens=set(), database_url=db,
                                  broker_url=broker, visibility_timeout_s=visibility_timeout,
                                  webhook_secret=webhook_secret, heartbeat_timeout_s=heartbeat_timeout)
        run_worker(settings, concurrency, "INFO" if verbose else "WARNING")
