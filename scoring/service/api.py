"""`autoscore serve`: the HTTP API (FastAPI). Jobs run the same job function as `autoscore score`.

POST /v1/jobs (an upload, or a path inside the allowed roots, held at submit; an Idempotency-Key makes a retry
return the same job) → 202, the job and its Location; GET /v1/jobs (the token's jobs, newest first, by page,
filtered by status); GET /v1/jobs/{id} (status, stage, progress); GET /v1/jobs/{id}/result?file=video|music_wav|
music_mp3|midi|plan|report|timeline (as an attachment); DELETE /v1/jobs/{id}; GET /healthz; OpenAPI at /docs,
served with its assets from the package (it works offline). Every submission is checked against one schema
(scoring.service.schema) before it is accepted: a 4xx naming each field, never a 500. Bearer tokens, an upload
size limit (413), an idle timeout and a deadline per upload (408), a queue limit (503 with Retry-After), CORS
for the origins given, and webhooks signed as Standard Webhooks to allow-listed hosts only, retried with
backoff.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import queue
import re
import secrets
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi import Path as FastApiPath
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from autoscore_video.common.errors import AutoscoreError, InputError
from autoscore_video.common.staging import disk_full
from autoscore_video.scoring.job.states import JobState
from autoscore_video.scoring.service.intake import allowed_model, allowed_source, hold, source_name
from autoscore_video.scoring.service.jobs import (
    DEFERRED,
    ServerSettings,
    release_source,
    run_in_worker,
    sweep_leftovers,
)
from autoscore_video.scoring.service.schema import (
    JOB_ID_PATTERN,
    ErrorBody,
    InvalidFields,
    Job,
    JobList,
    ResultFile,
    component_schemas,
    field_errors,
    parse_options,
    parse_path_submission,
)

log = logging.getLogger(__name__)


def token_owner(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class Runner:
    """Runs queued jobs each in a process of its own (`workers` at once), so a job's CPU work never holds the
    interpreter that answers requests, and its memory goes back when it ends; threads here start each job's
    process and wait for it."""

    def __init__(self, settings: ServerSettings, store):
        self.settings, self.store = settings, store
        self.queue: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._work, daemon=True, name=f"autoscore-worker-{i}")
                        for i in range(settings.workers)]
        self.processes: set = set()

    def start(self) -> None:
        if self.settings.broker_url:  # Celery workers run the jobs; the store says what must still run
            threading.Thread(target=self._reconcile_forever, daemon=True, name="autoscore-reconciler").start()
            return
        self._take_unfinished()
        for thread in self.threads:
            thread.start()
        threading.Thread(target=self._recover_forever, daemon=True, name="autoscore-recovery").start()

    def stop(self) -> None:
        """The server stops: jobs in progress end with it (as a kill would end them; the next start takes them
        back and their leftovers are swept)."""
        self.stopping.set()
        for process in list(self.processes):
            process.terminate()

    def _take_unfinished(self) -> None:
        """Jobs accepted before a restart are not lost: queued ones are queued here; a running one is taken
        back only from a runner that is gone (its process on this host ended: a kill -9) or silent past the
        heartbeat timeout (another server's), never from one still working on it, and its `recoveries` say so."""
        from autoscore_video.common.owner import owner_alive

        for record in self.store.unfinished():
            if record.status == JobState.RUNNING:
                alive = owner_alive(record.runner)
                if alive and not self.store.stale(record):
                    continue  # another server on this --data is running it
                why = (f"runner {record.runner} ended before finishing it (the server was restarted)"
                       if not alive else
                       f"runner {record.runner} not heard from for {time.time() - (record.heartbeat_at or 0):.0f} s")
                if not self.store.requeue_lost(record.id, record.runner, why):
                    continue
                log.warning("job %s: %s; queued again", record.id, why)
            self.queue.put(record.id)

    def _recover_forever(self) -> None:
        """Jobs of a server on the same --data that died meanwhile: taken once their heartbeat is stale."""
        while not self.stopping.wait(self.settings.reconcile_every_s):
            try:
                for job_id in self.store.recover_stale():
                    log.warning("job %s: its runner was lost; queued again", job_id)
                    self.queue.put(job_id)
            except Exception as exc:  # the database away for a while: the next round tries again
                log.warning("recovering lost jobs: %s", exc)

    def submit(self, job_id: str) -> None:
        if self.settings.broker_url:
            from autoscore_video.scoring.service.distributed import enqueue

            enqueue(self.settings, job_id)
        else:
            self.queue.put(job_id)

    def _reconcile_forever(self) -> None:
        while True:
            try:
                self.reconcile()
            except Exception as exc:  # the broker or the database away for a while: the next round tries again
                log.warning("reconciling the job store with the broker: %s", exc)
            if self.stopping.wait(self.settings.reconcile_every_s):
                return

    def reconcile(self) -> None:
        """The store is the truth, the broker only delivers: a running job whose runner went silent is queued
        again, and a queued job the broker no longer holds (a Redis restart without persistence) is sent
        again. Once-only execution stays with the store's guarded transitions."""
        from autoscore_video.scoring.service.distributed import broker_job_ids, enqueue

        for job_id in self.store.recover_stale():
            log.warning("job %s: its runner was lost; queued again", job_id)
            enqueue(self.settings, job_id)
        waiting = self.store.queued_before(time.time() - self.settings.reconcile_every_s)
        held = broker_job_ids(self.settings) if waiting else set()  # the broker's queue is read only when needed
        for job_id in waiting:
            if job_id not in held:
                self.store.note_recovery(job_id, "the broker no longer held it (restarted without persistence?)")
                log.warning("job %s: not in the broker; sent again", job_id)
                enqueue(self.settings, job_id)

    def _work(self) -> None:
        while not self.stopping.is_set():
            try:
                job_id = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            status = self._run(job_id)
            if status == DEFERRED:
                timer = threading.Timer(self.settings.retry_after_s, self.queue.put, args=(job_id,))
                timer.daemon = True
                timer.start()

    def _run(self, job_id: str) -> str | None:
        """`job_id` run in a fresh process (spawned: no copy of this one's threads, locks or connections)."""
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(target=run_in_worker, args=(job_id, self.settings, sending),
                                  name=f"autoscore-job-{job_id[:8]}", daemon=True)
        self.processes.add(process)
        try:
            process.start()
            sending.close()
            process.join()
            status = receiving.recv() if receiving.poll() else None
        finally:
            self.processes.discard(process)
            receiving.close()
        if process.exitcode != 0 and not self.stopping.is_set():  # killed (out of memory?): its runner is gone
            record = self.store.get(job_id)
            if record is not None and record.status == JobState.RUNNING and self.store.requeue_lost(
                    job_id, record.runner, f"runner {record.runner} ended with exit code {process.exitcode}"):
                log.warning("job %s: its process ended with exit code %s; queued again", job_id, process.exitcode)
                self.queue.put(job_id)
        return status


DEFAULT_PORTS = {"http": 80, "https": 443}


def allowed_addresses(hosts: set[str]) -> set[str]:
    """`--webhook-host` entries as host:port: an entry without a port allows the web's ports (80, 443) alone,
    never another service on that host (a Redis on 6379). IPv6 with a port is written [::1]:8080."""
    addresses = set()
    for entry in hosts:
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else ""
        elif entry.count(":") == 1:
            host, port = entry.split(":")
        else:  # a name, an IPv4 address, or an IPv6 address without a port
            host, port = entry, ""
        host = host.lower()
        addresses |= {f"{host}:{port}"} if port else {f"{host}:80", f"{host}:443"}
    return addresses


def check_callback(url: str | None, settings: ServerSettings) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if parsed.scheme not in ("http", "https") or not parsed.hostname or port == -1:
        raise InputError(f"callback_url {url!r} is not an http(s) URL")
    address = f"{parsed.hostname}:{port or DEFAULT_PORTS[parsed.scheme]}"
    if address not in allowed_addresses(settings.webhook_hosts):
        raise InputError(f"callback address {address!r} is not in the server's webhook allow-list")
    if not settings.webhook_secret:
        raise InputError("this server has no webhook secret configured, so it sends no webhooks")
    return url


class UploadTooLarge(BaseException):
    """Raised from `receive`; a BaseException so that the framework's error handler (which would answer
    500) lets it through to LimitUploads, which answers 413."""


class UploadStalled(BaseException):
    """Raised from `receive` when the body stops arriving or runs past its deadline; answered 408 by
    LimitUploads with the reason."""


class LimitUploads:
    """ASGI middleware: 413 for a request body over the limit, declared or counted while it streams in;
    408 for a body that stalls (no bytes for `idle_timeout_s`) or is still arriving `deadline_s` after the
    request began (one byte every few seconds never stalls), so slow clients cannot hold connections."""

    def __init__(self, app, max_bytes: int, idle_timeout_s: float = 30.0, deadline_s: float = 3600.0):
        self.app, self.max_bytes = app, max_bytes
        self.idle_timeout_s, self.deadline_s = idle_timeout_s, deadline_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _reply(send, 413, {"detail": f"upload larger than {self.max_bytes} bytes"}, close=True)
        seen = 0
        started = False
        deadline = time.monotonic() + self.deadline_s

        async def counted_receive():
            nonlocal seen
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise asyncio.TimeoutError
                message = await asyncio.wait_for(receive(), min(self.idle_timeout_s, left))
            except asyncio.TimeoutError:
                if time.monotonic() >= deadline:
                    raise UploadStalled(f"upload not complete within the {self.deadline_s:g} s deadline") from None
                raise UploadStalled(f"upload sent nothing for {self.idle_timeout_s:g} s") from None
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
                await _reply(send, 413, {"detail": f"upload larger than {self.max_bytes} bytes"}, close=True)
        except UploadStalled as stalled:
            if not started:
                await _reply(send, 408, {"detail": str(stalled)}, close=True)


async def _reply(send, status: int, payload: dict, close: bool = False) -> None:
    """`close` for a reply sent before the request body was read: the connection cannot carry another
    request, and the client stops sending once it sees the header."""
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


ERRORS = {
    400: "a malformed multipart body", 401: "no valid bearer token", 403: "a path outside the allowed roots",
    404: "no such job (or not yours)", 408: "an upload that stalled or ran past its deadline",
    409: "the job is not in a state that allows this", 410: "the result file is no longer on the server",
    413: "an upload over the size limit", 415: "a body that is neither JSON nor multipart/form-data",
    422: "a field that is missing, of the wrong type or out of range (the reason names it)",
    503: "the queue is full, or the job queue cannot be reached (see Retry-After)",
    507: "the server's disk is full (see Retry-After)",
}


def documented(*codes: int) -> dict:
    return {code: {"model": ErrorBody, "description": ERRORS[code]} for code in codes}


SUBMISSION_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/PathSubmission"}},
    "multipart/form-data": {"schema": {"$ref": "#/components/schemas/UploadSubmission"}},
}}}


def refused(status: int, detail: str, errors: list[dict] | None = None,
            headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error reply (ErrorBody): the one line, and each field's error where there are fields to name."""
    return JSONResponse({"detail": detail, "errors": errors or []}, status_code=status, headers=headers)


def attachment(name: str) -> str:
    """Content-Disposition for a download: the name as given (RFC 6266: an ASCII fallback and a UTF-8 one)."""
    from urllib.parse import quote

    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(name, safe="")}'


IDEMPOTENCY_KEY_LIMIT = 255
JOB_ID = re.compile(JOB_ID_PATTERN)


def create_app(settings: ServerSettings):
    """(the ASGI app with the upload limit in front, the FastAPI app itself)."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.openapi.utils import get_openapi
    from fastapi_offline import FastAPIOffline
    from starlette.concurrency import run_in_threadpool

    from autoscore_video.scoring.service.jobstore import JobStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registered = {token_owner(token): check_callback(url, settings) for token, url in settings.token_webhooks.items()}
    store = JobStore(settings.store_url, settings.heartbeat_timeout_s)
    runner = Runner(settings, store)
    bearer = HTTPBearer(auto_error=False)
    # FastAPIOffline: /docs with Swagger UI's files from the package, not a CDN
    app = FastAPIOffline(title="autoscore", version="0.1.0",
                         description="Score videos: submit a clip, get it back with music that fits, mixed under it.")
    app.state.runner, app.state.store = runner, store
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                           expose_headers=["Location", "Content-Disposition", "Retry-After", "Idempotent-Replayed"])

    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            spec.setdefault("components", {}).setdefault("schemas", {}).update(component_schemas())
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi

    @app.exception_handler(RequestValidationError)
    async def _every_field(request: Request, exc: RequestValidationError):
        return await _fields(request, InvalidFields(field_errors(list(exc.errors()),
                                                                 skip=("path", "query", "body", "header"))))

    @app.exception_handler(InvalidFields)
    async def _fields(request: Request, exc: InvalidFields):
        return refused(422, str(exc), exc.errors)

    @app.exception_handler(HTTPException)
    async def _error_body(request: Request, exc: HTTPException):
        return refused(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.on_event("startup")
    def _start() -> None:
        sweep_leftovers(settings)
        runner.start()

    @app.on_event("shutdown")
    def _stop() -> None:
        runner.stop()

    def owner(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
        if credentials is None or not any(hmac.compare_digest(credentials.credentials, t) for t in settings.tokens):
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        return token_owner(credentials.credentials)

    def own_job(job_id: str, who: str):
        record = store.get(job_id) if JOB_ID.match(job_id) else None  # an id no job can have: 404 too
        if record is None or record.owner != who:
            raise HTTPException(404, f"no job {job_id}")
        return record

    def no_unknown_query(request: Request) -> None:
        """A query parameter the route does not take is refused (a typo such as ?stauts=done would otherwise
        be ignored silently and answer for every job)."""
        taken = {param.alias for param in request.scope["route"].dependant.query_params}
        unknown = sorted(set(request.query_params) - taken)
        if unknown:
            errors = [{"field": name or "(empty name)", "message": "unknown query parameter"} for name in unknown]
            raise InvalidFields(errors)

    def idempotency(key: str | None) -> str | None:
        if key is not None and not (0 < len(key) <= IDEMPOTENCY_KEY_LIMIT and key.isprintable()):
            raise InputError(f"Idempotency-Key: 1 to {IDEMPOTENCY_KEY_LIMIT} printable characters")
        return key

    def server_options(options: dict) -> dict:
        if "model" in options:
            options["model"] = allowed_model(options["model"], settings.models_roots)
        return options

    async def uploaded(request: Request, source_dir: Path) -> tuple[dict, str | None, Path]:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("file: a multipart submission needs a 'file' part holding the video")
        fields = {}
        for field in ("options", "callback_url"):
            value = form.get(field)
            if value is not None and not isinstance(value, str):
                raise InputError(f"{field}: send it as a form field, not a file")
            fields[field] = value
        options = server_options(parse_options(fields["options"] or "{}"))
        callback = check_callback(fields["callback_url"], settings)
        source = source_dir / source_name(upload.filename or "")
        source_dir.mkdir(parents=True)

        def save() -> None:
            with source.open("xb") as handle:
                shutil.copyfileobj(upload.file, handle, 1024 * 1024)

        await run_in_threadpool(save)
        return options, callback, source

    async def held(request: Request, source_dir: Path) -> tuple[dict, str | None, Path]:
        submission = parse_path_submission(await request.body())
        options = server_options(submission.options.model_dump(exclude_none=True))
        callback = check_callback(submission.callback_url, settings)
        root, resolved = allowed_source(submission.path, settings.allowed_roots)
        return options, callback, await run_in_threadpool(hold, root, resolved, source_dir)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "queued_or_running": store.live_count()}

    @app.post("/v1/jobs", status_code=202, response_model=Job, openapi_extra=SUBMISSION_BODY,
              responses={**documented(400, 401, 403, 408, 413, 415, 422, 503, 507),
                         200: {"model": Job, "description": "an Idempotency-Key used before: that submission's "
                                                            "job, as it stands now"}})
    async def submit(request: Request, who: str = Depends(owner),
                     idempotency_key: str | None = Header(None, description="The same key (per token) on a retry "
                                                          "returns the first submission's job, 200, instead of a "
                                                          "second job.")):
        """Score a video: upload it (multipart/form-data), or name a file inside the server's allowed roots
        (JSON). The server keeps its own link to (or copy of) the file from this moment on. The reply is the
        job, with its URL in Location."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        source_dir = settings.data_dir / "sources" / secrets.token_hex(8)
        try:
            key = idempotency(idempotency_key)
            if content_type == "multipart/form-data":
                options, callback, source = await uploaded(request, source_dir)
            elif content_type in ("application/json", ""):
                options, callback, source = await held(request, source_dir)
            else:
                raise HTTPException(415, "send JSON (a path) or multipart/form-data (an upload)")
            record = store.create(who, str(source), options, callback or registered.get(who), settings.queue_limit,
                                  idempotency_key=key)
            if record is None:
                shutil.rmtree(source_dir, ignore_errors=True)
                return refused(503, "the queue is full; try again later",
                               headers={"Retry-After": str(settings.retry_after_s)})
            if record.source != str(source):  # the key was used before: that job, and nothing new
                shutil.rmtree(source_dir, ignore_errors=True)
                if record.options != options or Path(record.source).name != source.name:
                    raise InputError(f"Idempotency-Key: used before for another submission (job {record.id}); "
                                     "a new job needs a new key")
                return JSONResponse(record.public(), status_code=200,
                                    headers={"Location": f"/v1/jobs/{record.id}", "Idempotent-Replayed": "true"})
        except PermissionError as exc:
            shutil.rmtree(source_dir, ignore_errors=True)
            raise HTTPException(403, str(exc)) from None
        except AutoscoreError as exc:
            shutil.rmtree(source_dir, ignore_errors=True)
            return refused(422, str(exc), getattr(exc, "errors", None))
        except (OSError, SQLAlchemyError) as exc:
            shutil.rmtree(source_dir, ignore_errors=True)
            if disk_full(exc) is None and "disk is full" not in str(exc):
                raise
            log.warning("a submission was refused: %s", disk_full(exc) or exc)
            return refused(507, "the server's disk is full: nothing was accepted; try again later",
                           headers={"Retry-After": str(settings.retry_after_s)})
        except BaseException:
            shutil.rmtree(source_dir, ignore_errors=True)
            raise
        try:
            runner.submit(record.id)
        except Exception as exc:  # the broker is down: nothing is accepted, so nothing is left to haunt the queue
            store.delete(record.id)
            shutil.rmtree(source_dir, ignore_errors=True)
            log.warning("job queue unreachable: %s", exc)
            return refused(503, "the job queue cannot be reached; nothing was accepted, try again later",
                           headers={"Retry-After": str(settings.retry_after_s)})
        log.info("job %s: accepted (%s)", record.id, source.name)
        return JSONResponse(record.public(), status_code=202, headers={"Location": f"/v1/jobs/{record.id}"})

    @app.get("/v1/jobs", response_model=JobList, responses=documented(401, 422),
             dependencies=[Depends(no_unknown_query)])
    def list_jobs(who: str = Depends(owner),
                  status: list[JobState] = Query([], description="Only jobs in these states (repeatable)."),
                  limit: int = Query(50, ge=1, le=200, description="Jobs per page."),
                  cursor: str = Query("", pattern=f"^$|{JOB_ID_PATTERN}",
                                      description="The next_cursor of the previous page (none: the first).")) -> dict:
        """The token's jobs, newest first, a page at a time."""
        try:
            records, following = store.list_jobs(who, [str(state) for state in status], limit, cursor or None)
        except KeyError:
            raise InvalidFields([{"field": "cursor",
                                  "message": "not a page of yours (pass the next_cursor a listing gave)"}]) from None
        return {"jobs": [record.public() for record in records], "next_cursor": following}

    JobId = FastApiPath(description="The id a submission answered with.")

    @app.get("/v1/jobs/{job_id}", response_model=Job, responses=documented(401, 404, 422),
             dependencies=[Depends(no_unknown_query)])
    def status(job_id: str = JobId, who: str = Depends(owner)) -> dict:
        """The job: its status, the stage running and the share done, and once done its report."""
        return own_job(job_id, who).public()

    @app.get("/v1/jobs/{job_id}/result", responses=documented(401, 404, 409, 410, 422),
             response_class=FileResponse, dependencies=[Depends(no_unknown_query)])
    def result(job_id: str = JobId, file: ResultFile = "video", who: str = Depends(owner)):
        """One of a done job's files, as an attachment named as `autoscore score` names it."""
        record = own_job(job_id, who)
        if record.status != JobState.DONE:
            raise HTTPException(409, f"job {job_id} is {record.status}")
        written = ((record.result or {}).get("outputs") or {}).get(file)
        if written is None:
            raise HTTPException(404, f"job {job_id} has no {file} file (its engine writes none)")
        path = Path(written)
        if not path.is_file():
            raise HTTPException(410, f"the job's {file} file is no longer on the server")
        if path.suffix == ".json":  # the report and the plan name files, not the server's folders
            data = record.named_files(json.loads(path.read_text(encoding="utf-8")))
            return Response(json.dumps(data, indent=2, ensure_ascii=False), media_type="application/json",
                            headers={"Content-Disposition": attachment(path.name)})
        return FileResponse(path, headers={"Content-Disposition": attachment(path.name)})

    @app.delete("/v1/jobs/{job_id}", response_model=Job, responses=documented(401, 404, 409, 422),
                dependencies=[Depends(no_unknown_query)])
    def cancel(job_id: str = JobId, who: str = Depends(owner)) -> dict:
        """Cancel a queued job; the job afterwards."""
        record = own_job(job_id, who)
        if store.transition(job_id, (JobState.QUEUED,), JobState.CANCELLED):
            release_source(Path(record.source), settings)
            log.info("job %s: cancelled", job_id)
            return own_job(job_id, who).public()
        raise HTTPException(409, f"job {job_id} is {record.status} and can no longer be cancelled")

    return LimitUploads(app, settings.max_upload_bytes, settings.upload_idle_timeout_s,
                        settings.upload_deadline_s), app
