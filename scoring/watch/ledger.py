"""The watch folder's job ledger: SQLite, one row per file identity, claims that several processes agree on.

A file's identity is its path, size, mtime and a hash of its head, its tail and samples spread across the rest,
so a file that is done is never redone unless it changes, and the same name with new content (anywhere in the
file, even with its size and mtime kept) is a new job. A job that fails is
queued again until `max_failures`; a job left `running` by a process that died is taken again, until
`max_interruptions` (a file that keeps killing its watcher is failed rather than retried forever).
"""
from __future__ import annotations

import hashlib
import itertools
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from autoscore_video.common.leftovers import partial_name
from autoscore_video.common.owner import owner_alive
from autoscore_video.scoring.job.states import JobState

HEAD_TAIL_BYTES = 1 << 20
SAMPLES = 65  # odd: one sits on the middle of the file
SAMPLE_BYTES = 64 << 10

LEDGER_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.DONE, JobState.FAILED)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ({', '.join(repr(str(s)) for s in LEDGER_STATES)})),
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    interruptions INTEGER NOT NULL DEFAULT 0,
    completions INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    error TEXT,
    output TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    retry_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_path ON jobs (path);
CREATE TABLE IF NOT EXISTS outputs (
    source TEXT PRIMARY KEY,
    base TEXT NOT NULL UNIQUE COLLATE NOCASE
);
"""


@dataclass(frozen=True)
class Identity:
    path: str
    size: int
    mtime_ns: int
    content: str  # hash of the head and the tail
    samples: str = ""  # hash of the samples between them ("" where head and tail cover the file)

    @property
    def key(self) -> str:
        return self.legacy_key if not self.samples else _digest(f"{self.legacy_key}|{self.samples}")

    @property
    def legacy_key(self) -> str:
        """The key ledgers written before the samples were hashed gave this file."""
        return _digest(f"{self.path}|{self.size}|{self.mtime_ns}|{self.content}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def identify(path: Path) -> Identity:
    stat = path.stat()
    digest, sampled = hashlib.sha256(), hashlib.sha256()
    size = stat.st_size
    with path.open("rb") as handle:
        digest.update(handle.read(HEAD_TAIL_BYTES))
        if size > 2 * HEAD_TAIL_BYTES:
            handle.seek(-HEAD_TAIL_BYTES, os.SEEK_END)
            digest.update(handle.read(HEAD_TAIL_BYTES))
            span = size - 2 * HEAD_TAIL_BYTES - SAMPLE_BYTES
            for i in range(SAMPLES):
                handle.seek(HEAD_TAIL_BYTES + max(0, span) * i // (SAMPLES - 1))
                sampled.update(handle.read(SAMPLE_BYTES))
    return Identity(str(path.resolve()), size, stat.st_mtime_ns, digest.hexdigest(),
                    sampled.hexdigest() if size > 2 * HEAD_TAIL_BYTES else "")


@dataclass
class Job:
    key: str
    path: str
    state: str
    attempts: int
    failures: int
    interruptions: int
    completions: int
    owner: str | None
    error: str | None
    output: str | None
    created_at: float = 0.0  # when this identity was first seen (the watcher's clock)
    retry_at: float = 0.0  # not tried again before this (after a failure)


JOB_COLUMNS = ("key, path, state, attempts, failures, interruptions, completions, owner, error, output, created_at, "
               "retry_at")


class Ledger:
    def __init__(self, path: Path, max_failures: int = 3, max_interruptions: int = 10):
        self.path = Path(path)
        self.max_failures = max_failures
        self.max_interruptions = max_interruptions
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self._create_whole()
        self._use_wal()  # a ledger an older watcher made
        with self._connect() as db:
            db.executescript(SCHEMA)
            self._add_columns(db)

    @staticmethod
    def _add_columns(db: sqlite3.Connection) -> None:
        """Columns later versions added, added to a ledger an older watcher made (two at once may race: the
        loser's duplicate column is no error)."""
        have = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
        if "retry_at" not in have:
            try:
                db.execute("ALTER TABLE jobs ADD COLUMN retry_at REAL NOT NULL DEFAULT 0")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise

    def _create_whole(self) -> None:
        """A new ledger appears with its tables: made under a partial name (swept if we are killed) and linked
        into place, so a reader (a second watcher, a status query) never finds a file without its schema.
        A link never replaces: where another watcher made it first, theirs stays."""
        staged = self.path.with_name(partial_name(self.path))
        try:
            db = sqlite3.connect(staged, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
            finally:
                db.close()  # the last connection's close folds the WAL into the file and removes it
            try:
                os.link(staged, self.path)
            except FileExistsError:
                pass
        finally:
            for leftover in (staged, Path(f"{staged}-wal"), Path(f"{staged}-shm")):
                leftover.unlink(missing_ok=True)

    def _use_wal(self) -> None:
        """Switch the file to WAL once (the mode is stored in the file). The switch does not wait on the busy
        timeout: two watchers creating one ledger at the same moment saw "database is locked", so it is
        retried here."""
        deadline = time.monotonic() + 30.0
        while True:
            try:
                with self._connect() as db:
                    db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def observe(self, identity: Identity) -> Job:
        """Record a ready file (a new identity is queued) and return its job."""
        now = time.time()
        with self._transaction() as db:
            added = db.execute("INSERT OR IGNORE INTO jobs (key, path, size, mtime_ns, content, state, created_at, "
                               "updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                               (identity.key, identity.path, identity.size, identity.mtime_ns, identity.content, now,
                                now)).rowcount
            if added and identity.key != identity.legacy_key:  # done by a watcher that hashed no samples
                old = db.execute("SELECT completions, output FROM jobs WHERE key=? AND state='done'",
                                 (identity.legacy_key,)).fetchone()
                if old:
                    db.execute("UPDATE jobs SET state='done', completions=?, output=? WHERE key=?",
                               (*old, identity.key))
            return self._existing(db, identity.key)

    def record_done(self, identity: Identity, output: str, base: str) -> bool:
        """Record `identity` as scored into `output` (named from `base`) without running it: a ledger rebuilt
        from the outputs already in OUT. False where the ledger already knows the file or the name."""
        now = time.time()
        with self._transaction() as db:
            added = db.execute("INSERT OR IGNORE INTO jobs (key, path, size, mtime_ns, content, state, completions, "
                               "output, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'done', 1, ?, ?, ?)",
                               (identity.key, identity.path, identity.size, identity.mtime_ns, identity.content,
                                output, now, now)).rowcount
            db.execute("INSERT OR IGNORE INTO outputs (source, base) VALUES (?, ?)", (identity.path, base))
            return bool(added)

    def claim(self, key: str, owner: str) -> Job | None:
        """Take a job to run: a queued one, or a running one whose owner died. None when not ours to run.

        A job whose attempts are spent (its runners kept dying) is failed here and returned as failed.
        """
        now = time.time()
        with self._transaction() as db:
            job = self._get(db, key)
            if job is None or job.state in (JobState.DONE, JobState.FAILED):
                return None
            interrupted = job.state == JobState.RUNNING
            if interrupted and owner_alive(job.owner):
                return None
            if interrupted and job.interruptions + 1 > self.max_interruptions:
                reason = f"the watcher died while scoring this file {job.interruptions + 1} times"
                db.execute("UPDATE jobs SET state='failed', interruptions=interruptions+1, error=?, owner=NULL, "
                           "updated_at=? WHERE key=?", (reason, now, key))
                return self._get(db, key)
            db.execute("UPDATE jobs SET state='running', attempts=attempts+1, interruptions=interruptions+?, owner=?, "
                       "updated_at=? WHERE key=?", (int(interrupted), owner, now, key))
            return self._get(db, key)

    def output_base(self, source: Path) -> str:
        """What every output of `source` is named from, the same on every run: its stem, unless another source
        in the folder already has that name in any case (`clip.MP4` beside `clip.mp4`, `take.mov` beside
        `take.mp4`, which a case-insensitive OUT would also merge), then `stem-ext`, `stem-ext-2`, ..."""
        path = str(source)
        with self._transaction() as db:
            row = db.execute("SELECT base FROM outputs WHERE source=?", (path,)).fetchone()
            if row:
                return row[0]
            extension = source.suffix.lstrip(".") or "video"
            numbered = (f"{source.stem}-{extension}-{n}" for n in range(2, 10_000))
            for base in itertools.chain([source.stem, f"{source.stem}-{extension}"], numbered):
                if db.execute("SELECT 1 FROM outputs WHERE base=?", (base,)).fetchone() is None:
                    db.execute("INSERT INTO outputs (source, base) VALUES (?, ?)", (path, base))
                    return base
        raise RuntimeError(f"no free output name for {source}")

    def release(self, key: str) -> None:
        """Give back a job stopped on purpose (SIGTERM, Ctrl-C): queued again, the try not counted."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state='queued', attempts=MAX(attempts-1, 0), owner=NULL, updated_at=? "
                       "WHERE key=? AND state='running'", (time.time(), key))

    def finish(self, key: str, output: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state='done', completions=completions+1, output=?, error=NULL, owner=NULL, "
                       "updated_at=? WHERE key=?", (output, time.time(), key))

    def fail(self, key: str, error: str, *, counts: bool = True, retry_after_s: float = 0.0) -> Job:
        """Record a failed attempt: queued again while attempts remain (not to be tried for `retry_after_s`),
        else failed for good. A failure that is not the file's fault (`counts=False`: a full disk, a file still
        being written) is recorded and queued again, uncounted."""
        with self._transaction() as db:
            job = self._existing(db, key)
            counted = 1 if counts else 0
            state = JobState.FAILED if counts and job.failures + 1 >= self.max_failures else JobState.QUEUED
            now = time.time()
            db.execute("UPDATE jobs SET state=?, failures=failures+?, error=?, owner=NULL, updated_at=?, retry_at=? "
                       "WHERE key=?", (state, counted, error, now, now + retry_after_s, key))
            return self._existing(db, key)

    def jobs(self) -> list[Job]:
        with self._connect() as db:
            rows = db.execute(f"SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_at").fetchall()
        return [Job(*row) for row in rows]

    @staticmethod
    def _get(db: sqlite3.Connection, key: str) -> Job | None:
        row = db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE key=?", (key,)).fetchone()
        return Job(*row) if row else None

    @classmethod
    def _existing(cls, db: sqlite3.Connection, key: str) -> Job:
        job = cls._get(db, key)
        if job is None:
            raise KeyError(f"the ledger has no job {key}")
        return job
