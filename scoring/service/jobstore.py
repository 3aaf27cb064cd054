"""Job records for the HTTP API, persisted through SQLAlchemy (SQLite by default, any URL it takes)."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, func, select, update

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
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)


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

    def public(self) -> dict:
        return {"id": self.id, "status": self.status, "source": self.source, "options": self.options,
                "result": self.result, "error": self.error, "attempts": self.attempts,
                "created_at": self.created_at, "updated_at": self.updated_at}


class JobStore:
    def __init__(self, url: str):
        self.engine = create_engine(url, future=True)
        metadata.create_all(self.engine)

    def create(self, owner: str, source: str, options: dict, callback_url: str | None, limit: int) -> JobRecord | None:
        """A new queued job, or None when `limit` jobs are already queued or running."""
        now = time.time()
        record = JobRecord(str(uuid.uuid4()), owner, JobState.QUEUED, source, options, callback_url, None, None,
                           now, now)
        with self.engine.begin() as db:
            active = db.execute(select(func.count()).select_from(jobs).where(jobs.c.status.in_(ACTIVE))).scalar()
            if active >= limit:
                return None
            db.execute(jobs.insert().values(id=record.id, owner=owner, status=JobState.QUEUED, source=source,
                                            options=json.dumps(options), callback_url=callback_url,
                                            attempts=0, completions=0, created_at=now, updated_at=now))
        return record

    def get(self, job_id: str) -> JobRecord | None:
        with self.engine.connect() as db:
            row = db.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return _record(row) if row else None

    def start(self, job_id: str, runner: str, *, retake_running: bool = False) -> bool:
        """Mark a job running (a queued one; with `retake_running`, also one whose runner was lost)."""
        states = ACTIVE if retake_running else (JobState.QUEUED,)
        with self.engine.begin() as db:
            changed = db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(states))
                                 .values(status=JobState.RUNNING, runner=runner, attempts=jobs.c.attempts + 1,
                                         updated_at=time.time())).rowcount
        return changed == 1

    def transition(self, job_id: str, from_states: tuple[str, ...], to: str, **fields) -> bool:
        values = {"status": to, "updated_at": time.time()}
        if to == JobState.DONE:
            values["completions"] = jobs.c.completions + 1
        for key in ("result",):
            if key in fields:
                values[key] = json.dumps(fields[key])
        if "error" in fields:
            values["error"] = fields["error"]
        with self.engine.begin() as db:
            changed = db.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(from_states))
                                 .values(**values)).rowcount
        return changed == 1

    def unfinished(self) -> list[JobRecord]:
        with self.engine.connect() as db:
            rows = db.execute(select(jobs).where(jobs.c.status.in_(ACTIVE)).order_by(jobs.c.created_at)).mappings()
            return [_record(r) for r in rows]


def _record(row) -> JobRecord:
    return JobRecord(row["id"], row["owner"], row["status"], row["source"], json.loads(row["options"]),
                     row["callback_url"], json.loads(row["result"]) if row["result"] else None, row["error"],
                     row["created_at"], row["updated_at"], row["attempts"], row["completions"], row["runner"])
