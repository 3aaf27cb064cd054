"""`autoscore serve`: the HTTP API (FastAPI). Jobs run the same job function as `autoscore score`.

POST /v1/jobs (upload, or a path inside the allowed roots) → 202 and an id; GET /v1/jobs/{id};
GET /v1/jobs/{id}/result?file=video|music_wav|music_mp3|plan|report|timeline; DELETE /v1/jobs/{id};
GET /healthz; OpenAPI at /docs. Bearer tokens, an upload size limit (413), a queue limit (503 with
Retry-After), and webhooks signed with HMAC-SHA256 to allow-listed hosts only, retried with backoff.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import queue
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from autoscore_video.common.errors import AutoscoreError, InputError
from autoscore_video.scoring.job.states import JobState
from autoscore_video.scoring.service.jobs import ServerSettings, execute

RESULT_FILES = ("video", "music_wav", "music_mp3", "plan", "report", "timeline")


def token_owner(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class Runner:
    """Runs queued jobs in worker threads of this process, one job at a time per worker."""

    def __init__(self, settings: ServerSettings, store):
        self.settings, self.store = settings, store
        self.queue: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._work, daemon=True, name=f"autoscore-worker-{i}")
                        for i in range(settings.workers)]

    def start(self) -> None:
        if self.settings.broker_url:
            return  # Celery workers run the jobs; the broker keeps what was accepted
        for record in self.store.unfinished():  # jobs accepted before a restart are not lost
            self.store.transition(record.id, (JobState.RUNNING,), JobState.QUEUED)
            self.queue.put(record.id)
        for thread in self.threads:
            thread.start()

    def submit(self, job_id: str) -> None:
        if self.settings.broker_url:
            from autoscore_video.scoring.service.distributed import enqueue

            enqueue(self.settings, job_id)
        else:
            self.queue.put(job_id)

    def _work(self) -> None:
        while not self.stopping.is_set():
            try:
                job_id = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            execute(job_id, self.store, self.settings)


def check_callback(url: str | None, settings: ServerSettings) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(f"callback_url {url!r} is not an http(s) URL")
    if parsed.hostname not in settings.webhook_hosts:
        raise InputError(f"callback host {parsed.hostname!r} is not in the server's webhook allow-list")
    if not settings.webhook_secret:
        raise InputError("this server has no webhook secret configured, so it sends no webhooks")
    return url


def check_path(path: str, settings: ServerSettings) -> Path:
    """A server-side source path: must resolve (symlinks followed) inside one of the allowed roots."""
    resolved = Path(path).resolve()
    for root in settings.allowed_roots:
        root = root.resolve()
        if resolved == root or root in resolved.parents:
            if not resolved.is_file():
                raise InputError(f"{path}: no such file")
            return resolved
    raise PermissionError(f"{path}: outside the server's allowed roots")


# Options that name a file on the server's disk: a caller may not choose them.
SERVER_ONLY = {"soundfont": "the server plays the bank AUTOSCORE_SOUNDFONT names, or the one it finds"}


def check_options(options) -> dict:
    """A job's options are the flags of `autoscore score`, checked as they are: the job runs them later."""
    from autoscore_video.common import jsonio
    from autoscore_video.scoring.planning.preferences import Preferences

    if not isinstance(options, dict):
        raise InputError("options must be a JSON object")
    unknown = sorted(set(options) - set(Preferences.names()))
    if unknown:
        raise InputError(f"unknown option(s): {', '.join(unknown)}")
    for name in SERVER_ONLY:
        if name in options:
            raise InputError(f"option {name!r} is set on the server, not per job: {SERVER_ONLY[name]}")
    jsonio.from_dict(Preferences, options, what="options")
    return options


class UploadTooLarge(BaseException):
    """Raised from `receive`; a BaseException so that the framework's error handler (which would answer
    500) lets it through to LimitUploads, which answers 413."""


class UploadStalled(BaseException):
    """Raised from `receive` when the body stops arriving; answered 408 by LimitUploads."""


class LimitUploads:
    """ASGI middleware: 413 for a request body over the limit, declared or counted while it streams in;
    408 for a body that stalls (no bytes for `idle_timeout_s`), so slow clients cannot hold connections."""

    def __init__(self, app, max_bytes: int, idle_timeout_s: float = 30.0):
        self.app, self.max_bytes, self.idle_timeout_s = app, max_bytes, idle_timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _reply(send, 413, {"detail": f"upload larger than {self.max_bytes} bytes"})
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            try:
                message = await asyncio.wait_for(receive(), self.idle_timeout_s)
            except asyncio.TimeoutError:
                raise UploadStalled() from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise UploadTooLarge()
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except UploadTooLarge:
            if not started:
                await _reply(send, 413, {"detail": f"upload larger than {self.max_bytes} bytes"})
        except UploadStalled:
            if not started:
                await _reply(send, 408, {"detail": f"upload sent nothing for {self.idle_timeout_s:g} s"},
                             close=True)


async def _reply(send, status: int, payload: dict, close: bool = False) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: ServerSettings):
    """(the ASGI app with the upload limit in front, the FastAPI app itself)."""
    from autoscore_video.scoring.service.jobstore import JobStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registered = {token_owner(token): check_callback(url, settings) for token, url in settings.token_webhooks.items()}
    store = JobStore(settings.database_url or f"sqlite:///{settings.data_dir / 'jobs.sqlite'}")
    runner = Runner(settings, store)
    bearer = HTTPBearer(auto_error=False)
    app = FastAPI(title="autoscore", version="0.1.0",
                  description="Score videos: submit a clip, get it back with music that fits, mixed under it.")
    app.state.runner, app.state.store = runner, store

    @app.on_event("startup")
    def _start() -> None:
        runner.start()

    @app.on_event("shutdown")
    def _stop() -> None:
        runner.stopping.set()

    def owner(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
        if credentials is None or not any(hmac.compare_digest(credentials.credentials, t) for t in settings.tokens):
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        return token_owner(credentials.credentials)

    def own_job(job_id: str, who: str):
        record = store.get(job_id)
        if record is None or record.owner != who:
            raise HTTPException(404, f"no job {job_id}")
        return record

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "queued_or_running": len(store.unfinished())}

    @app.post("/v1/jobs", status_code=202)
    async def submit(request: Request, who: str = Depends(owner)):
        content_type = request.headers.get("content-type", "")
        upload_dir = None
        try:
            if content_type.startswith("multipart/form-data"):
                form = await request.form()
                upload = form.get("file")
                if upload is None or not hasattr(upload, "filename"):
                    raise InputError("multipart submissions need a 'file' part")
                options = check_options(json.loads(form.get("options") or "{}"))
                callback = check_callback(form.get("callback_url"), settings) or registered.get(who)
                name = Path(upload.filename or "upload.mp4").name or "upload.mp4"
                upload_id = hashlib.sha256(f"{time.time_ns()}{name}".encode()).hexdigest()[:16]
                upload_dir = settings.data_dir / "uploads" / upload_id
                upload_dir.mkdir(parents=True)
                source = upload_dir / name
                with source.open("wb") as handle:
                    shutil.copyfileobj(upload.file, handle)
            else:
                body = await request.json()
                if not isinstance(body, dict) or not isinstance(body.get("path"), str):
                    raise InputError("a JSON submission needs a 'path' string")
                options = check_options(body.get("options") or {})
                callback = check_callback(body.get("callback_url"), settings) or registered.get(who)
                source = check_path(body["path"], settings)
        except json.JSONDecodeError as exc:
            raise HTTPException(422, f"malformed JSON: {exc.msg}") from exc
        except PermissionError as exc:
            raise HTTPException(403, str(exc)) from exc
        except AutoscoreError as exc:
            if upload_dir is not None:
                shutil.rmtree(upload_dir, ignore_errors=True)
            raise HTTPException(422, str(exc)) from exc
        record = store.create(who, str(source), options, callback, settings.queue_limit)
        if record is None:
            if upload_dir is not None:
                shutil.rmtree(upload_dir, ignore_errors=True)
            return JSONResponse({"detail": "the queue is full; try again later"}, status_code=503,
                                headers={"Retry-After": str(settings.retry_after_s)})
        runner.submit(record.id)
        return {"id": record.id, "status": record.status}

    @app.get("/v1/jobs/{job_id}")
    def status(job_id: str, who: str = Depends(owner)) -> dict:
        return own_job(job_id, who).public()

    @app.get("/v1/jobs/{job_id}/result")
    def result(job_id: str, file: str = "video", who: str = Depends(owner)):
        record = own_job(job_id, who)
        if file not in RESULT_FILES:
            raise HTTPException(422, f"file must be one of {', '.join(RESULT_FILES)}")
        if record.status != JobState.DONE:
            raise HTTPException(409, f"job {job_id} is {record.status}")
        return FileResponse(record.result["outputs"][file])

    @app.delete("/v1/jobs/{job_id}")
    def cancel(job_id: str, who: str = Depends(owner)) -> dict:
        record = own_job(job_id, who)
        if store.transition(job_id, (JobState.QUEUED,), JobState.CANCELLED):
            return {"id": job_id, "status": JobState.CANCELLED}
        raise HTTPException(409, f"job {job_id} is {record.status} and can no longer be cancelled")

    return LimitUploads(app, settings.max_upload_bytes, settings.upload_idle_timeout_s), app
