"""Job records for the HTTP API, persisted through SQLAlchemy (SQLite by default, any URL it takes).

The store is the source of truth; a broker only delivers. A runner stamps `heartbeat_at` on the job it runs
every few seconds: a running job not heard from within the heartbeat timeout is presumed lost and queued
again (`recoveries` says when and why), and a runner that comes back after that cannot finish it, since
every change a runner makes is guarded by its own name on the record."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from autoscore_video.scoring.job.states import ACTIVE, JobState

metadata = MetaData()
jobs = Table(
    "jobs", metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(64), nullable=False, index=True),  # hash of the token that submitted it
    Column("status", String(16), nullable=False, index=True),  # queued running done failed cancelled
    Column("source", Text, nullable=False),
    Column("options", Text, nullable=False),
    Column("callback_url", Text),
    Column("result", Text),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),  # times a runner started it
    Column("completions", Integer, nullable=False, default=0),  # times it finished (exactly once, we hope)
    Column("runner", String(128)),  # host:pid of the process running it
    Column("heartbeat_at", Float),  # when its runner was last heard from
    Column("recoveries", Text),  # JSON list of {"at", "reason"}: each time it was taken back from a lost runner
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("stage", String(16)),  # the pipeline stage running (the last one run, once it has ended)
    Column("progress", Float),  # the share of the job done, 0..1
    Column("idempotency_key", String(255)),  # the submission's Idempotency-Key, unique per owner
)
IDEMPOTENCY_INDEX = Index("jobs_owner_idempotency_key", jobs.c.owner, jobs.c.idempotency_key, unique=True)


@dataclass
class JobRecord:
    id: str
    owner: str
    status: str
    source: str
    options: dict
    callback_url: str | None
    result: dict | None
    error: str | None
    created_at: float
    updated_at: float
    attempts: int = 0
    completions: int = 0
    runner: str | None = None
    heartbeat_at: float | None = None
    recoveries: list = field(default_factory=list)
    stage: str | None = None
    progress: float | None = None
    idempotency_key: str | None = None

    def public(self) -> dict:
        """The record as clients see it (schema.Job): files by name, never a server path (the result's files are
        fetched by name from /result), times in ISO 8601."""
        from autoscore_video.scoring.service.schema import iso8601

        options = {key: Path(value).name if isinstance(value, str) and Path(value).is_absolute() else value
                   for key, value in self.options.items()}  # a model folder under --models-root
        progress = 1.0 if self.status == JobState.DONE else (self.progress or 0.0)
        return {"id": self.id, "status": self.status, "source": Path(self.source).name, "options": options,
                "stage": self.stage, "progress": round(progress, 4),
                "result": self.named_files(self.result), "error": self.named_files(self.error),
                "attempts": self.attempts, "created_at": iso8601(self.created_at),
                "updated_at": iso8601(self.updated_at),
                "recoveries": [{"at": iso8601(item["at"]), "reason": item["reason"]} for item in self.recoveries]}

    def named_files(self, value):
        """`value` (text, or JSON data walked through) with the job's folders on the server taken out of every
        path in it, so it names files only."""
        return _named_files(value, _server_folders(self))


def _server_folders(record: JobRecord) -> list[str]:
    """The server's folders a record's text may name: the held source's and the outputs'."""
    folders = {str(Path(record.source).parent)}
    outputs = (record.result or {}).get("outputs") or {}
    folders |= {str(Path(path).parent) for path in outputs.values()}
    return sorted(folders, key=len, reverse=True)


def _without(text: str | None, folders: list[str]) -> str | None:
    if text is None:
        return None
    for folder in folders:
        text = text.replace(folder + "/", "")
    return text


def _named_files(value, folders: list[str]):
    """`value` (a report, walked through) with every path the server wrote or read shown as its file name."""
    if isinstance(value, dict):
        return {key: _named_files(item, folders) for key, item in value.items()}
    if isinstance(value, list):
        return [_named_files(item, folders) for item in value]
    if isinstance(value, str):
        return _without(value, folders)
    return value


class JobStore:
    def __init__(self, url: str, heartbeat_timeout_s: float = 60.0):
        self.engine = create_engine(url, future=True)
        self.heartbeat_timeout_s = heartbeat_timeout_s
        metadata.create_all(self.engine)
        self._add_missing_columns()
        IDEMPOTENCY_INDEX.create(self.engine, checkfirst=True)  # a store made before the column

    def _add_missing_columns(self) -> None:
        """A store made by an older autoscore gets the columns added since (create_all adds tables only)."""
        present = {column["name"] for column in inspect(self.engine).get_columns("jobs")}
        for column in jobs.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=self.engine.dialect)
            try:
                with self.engine.begin() as db:
                    db.execute(text(f"ALTER TABLE jobs ADD COLUMN {column.name} {kind}"))
            except OperationalError:  # a server and its workers starting together: another added it first
                if column.name not in {c["name"] for c in inspect(self.engine).get_columns("jobs")}:
                    raise

    def _live(self, now: float):
        """Queued, or running with a runner heard from lately: what holds a queue slot."""
        fresh = or_(jobs.c.heartbeat_at.is_(None), jobs.c.heartbeat_at >= now - self.heartbeat_timeout_s)
        return or_(jobs.c.status == JobState.QUEUED, and_(jobs.c.status == JobState.RUNNING, fresh))

    def create(self, owner: str, source: str, options: dict, callback_url: str | None, limit: int,
               idempotency_key: str | None = None) -> JobRecord | None:
        """A new queued job, or None when `limit` live jobs are already queued or running. With an
        `idempotency_key` the owner has used before, that job instead (see `replayed`), whatever the queue."""
        if idempotency_key is not None:
            earlier = self.by_idempotency_key(owner, idempotency_key)
            if earlier is not None:
                return earlier
        now = time.time()
        record = JobRecord(str(uuid.uuid4()), owner, JobState.QUEUED, source, options, callback_url, None, None,
                           now, now, idempotency_key=idempotency_key)
        try:
            with self.engine.begin() as db:
                active = db.execute(select(func.count()).select_from(jobs).where(self._live(now))).scalar_one()
                if active >= limit:
                    return None
                db.execute(jobs.insert().values(id=record.id, owner=owner, status=JobState.QUEUED, source=source,
                                                options=json.dumps(options), callback_url=callback_url,
                                                attempts=0, completions=0, created_at=now, updated_at=now,
                                                progress=0.0, idempotency_key=idempotency_key))
        except IntegrityError:  # the same key in a submission made at the same moment: that one won
            earlier = self.by_idempotency_key(owner, idempotency_key) if idempotency_key is not None else None
            if earlier is None:
                raise
            return earlier
        return record

    def by_idempotency_key(self, owner: str, key: str) -> JobRecord | None:
        with self.engine.connect() as db:
            row = db.execute(select(jobs).where(jobs.c.owner == owner, jobs.c.idempotency_key == key)
                             ).mappings().first()
        return _record(row) if row else None

    def list_jobs(self, owner: str, statuses: list[str] | None = None, limit: int = 50,
             before: str | None = None) -> tuple[list[JobRecord], str | None]:
        """The owner's jobs, newest first, `limit` at a time: (this page, the cursor of the next or None).
        `before`: a cursor (the id of the last job of the previous page); KeyError where it is not theirs."""
        query = select(jobs).where(jobs.c.owner == owner)
        if statuses:
            query = query.where(jobs.c.status.in_(statuses))
        with self.engine.connect() as db:
            if before is not None:
                mark = db.execute(select(jobs.c.created_at).where(jobs.c.id == before, jobs.c.owner == owner)).first()
                if mark is None:
                    raise KeyError(before)
                query = query.where(or_(jobs.c.created_at < mark[0],
                                        and_(jobs.c.created_at == mark[0], jobs.c.id < before)))
            rows = db.execute(query.order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit + 1)).mappings()
            records = [_record(row) for row in rows]
        more = len(records) > limit
        return records[:limit], records[limit - 1].id if more else None

    def set_progress(self, job_id: str, runner: str, stage: str, progress: float) -> None:
        """Where the running job is (only while `runner` holds it)."""
        with self.engine.begin() as db:
            db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.runner == runner,
                                          jobs.c.status == JobState.RUNNING)
                       .values(stage=stage, progress=progress))

    def delete(self, job_id: str) -> None:
        """Forget a job that was never handed to a runner (its broker could not be reached)."""
        with self.engine.begin() as db:
            db.execute(delete(jobs).where(jobs.c.id == job_id, jobs.c.status == JobState.QUEUED))

    def get(self, job_id: str) -> JobRecord | None:
        with self.engine.connect() as db:
            row = db.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return _record(row) if row else None

    def start(self, job_id: str, runner: str, *, take_from: str | None = None) -> bool:
        """Mark a job running for `runner`: a queued one, or (`take_from`) one still marked running for a runner
        known to be gone, and only while that runner still holds it."""
        now = time.time()
        taking = jobs.c.status == JobState.QUEUED
        if take_from is not None:
            taking = or_(taking, and_(jobs.c.status == JobState.RUNNING, jobs.c.runner == take_from))
        with self.engine.begin() as db:
            changed = db.execute(update(jobs).where(jobs.c.id == job_id, taking)
                                 .values(status=JobState.RUNNING, runner=runner, attempts=jobs.c.attempts + 1,
                                         heartbeat_at=now, updated_at=now, stage=None, progress=0.0)).rowcount
        return changed == 1

    def heartbeat(self, job_id: str, runner: str) -> bool:
        """`runner` is alive and still on `job_id`; False when the job is no longer its own."""
        with self.engine.begin() as db:
            changed = db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.runner == runner,
                                                    jobs.c.status == JobState.RUNNING)
                                 .values(heartbeat_at=time.time())).rowcount
        return changed == 1

    def stale(self, record: JobRecord, now: float | None = None) -> bool:
        """A running job whose runner has not been heard from within the heartbeat timeout."""
        now = time.time() if now is None else now
        return (record.status == JobState.RUNNING and record.heartbeat_at is not None
                and record.heartbeat_at < now - self.heartbeat_timeout_s)

    def recover_stale(self) -> list[str]:
        """Queue again every running job whose runner is lost, saying so on the record; returns their ids."""
        now = time.time()
        with self.engine.connect() as db:
            rows = list(db.execute(select(jobs.c.id, jobs.c.runner, jobs.c.heartbeat_at).where(
                jobs.c.status == JobState.RUNNING, jobs.c.heartbeat_at < now - self.heartbeat_timeout_s)))
        return [job_id for job_id, runner, beat in rows
                if self.requeue_lost(job_id, runner, f"runner {runner} not heard from for {now - beat:.0f} s")]

    def requeue_lost(self, job_id: str, runner: str | None, reason: str) -> bool:
        """A running job taken back from `runner` (gone, or silent too long) and queued again, `reason` noted in
        its `recoveries`; False where that runner no longer holds it."""
        now = time.time()
        with self.engine.begin() as db:
            row = db.execute(select(jobs.c.recoveries).where(jobs.c.id == job_id)).first()
            if row is None:
                return False
            history = [*json.loads(row[0] or "[]"), {"at": now, "reason": reason}]
            changed = db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == JobState.RUNNING,
                                                    jobs.c.runner == runner)
                                 .values(status=JobState.QUEUED, runner=None, heartbeat_at=None,
                                         recoveries=json.dumps(history), updated_at=now)).rowcount
        return changed == 1

    def note_recovery(self, job_id: str, reason: str) -> None:
        with self.engine.begin() as db:
            row = db.execute(select(jobs.c.recoveries).where(jobs.c.id == job_id)).first()
            if row is not None:
                history = [*json.loads(row[0] or "[]"), {"at": time.time(), "reason": reason}]
                db.execute(update(jobs).where(jobs.c.id == job_id).values(recoveries=json.dumps(history)))

    def queued_before(self, moment: float) -> list[str]:
        with self.engine.connect() as db:
            rows = db.execute(select(jobs.c.id).where(jobs.c.status == JobState.QUEUED, jobs.c.updated_at < moment)
                              .order_by(jobs.c.created_at))
            return [row[0] for row in rows]

    def transition(self, job_id: str, from_states: tuple[str, ...], to: str, *, runner: str | None = None,
                   **fields) -> bool:
        """Move a job between states; with `runner`, only while that runner holds it (a runner presumed lost
        and replaced cannot finish a job a second time)."""
        values = {"status": to, "updated_at": time.time()}
        if to == JobState.DONE:
            values["completions"] = jobs.c.completions + 1
        for key in ("result",):
            if key in fields:
                values[key] = json.dumps(fields[key])
        if "error" in fields:
            values["error"] = fields["error"]
        guard = [jobs.c.id == job_id, jobs.c.status.in_(from_states)]
        if runner is not None:
            guard.append(jobs.c.runner == runner)
        with self.engine.begin() as db:
            changed = db.execute(update(jobs).where(*guard).values(**values)).rowcount
        return changed == 1

    def unfinished(self) -> list[JobRecord]:
        with self.engine.connect() as db:
            rows = db.execute(select(jobs).where(jobs.c.status.in_(ACTIVE)).order_by(jobs.c.created_at)).mappings()
            return [_record(r) for r in rows]

    def live_count(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(jobs).where(self._live(time.time()))).scalar_one()


def _record(row) -> JobRecord:
    return JobRecord(row["id"], row["owner"], row["status"], row["source"], json.loads(row["options"]),
                     row["callback_url"], json.loads(row["result"]) if row["result"] else None, row["error"],
                     row["created_at"], row["updated_at"], row["attempts"], row["completions"], row["runner"],
                     row["heartbeat_at"], json.loads(row["recoveries"] or "[]"), row["stage"], row["progress"],
                     row["idempotency_key"])
