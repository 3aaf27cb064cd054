"""A watch ledger that cannot be read any more (a disk error, a half-copied OUT) is moved aside and rebuilt from
what OUT already holds: every report there names its source and its video, so each source that was scored (and
has not changed since) is recorded as done under the name it had, and nothing is scored twice."""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

from autoscore_video.scoring.job.outputs import SCORED, SIDECAR_SUFFIXES
from autoscore_video.scoring.watch.ledger import Ledger, identify

log = logging.getLogger(__name__)

CORRUPT_MESSAGES = ("file is not a database", "malformed", "corrupt")


def is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """The ledger file itself is broken (not a lock, a full disk or a read-only folder)."""
    return any(text in str(exc).lower() for text in CORRUPT_MESSAGES)


def set_aside(ledger: Path) -> Path:
    """`ledger` (and SQLite's -wal and -shm beside it) renamed to `ledger.sqlite.corrupt-TIME`; the new name."""
    aside = ledger.with_name(f"{ledger.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists():
        aside = ledger.with_name(f"{ledger.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    ledger.rename(aside)
    for extra in ("-wal", "-shm"):
        companion = ledger.with_name(ledger.name + extra)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + extra))
    return aside


def rebuild_from_outputs(ledger: Ledger, out: Path) -> int:
    """Record as done every source a report in `out` names whose scored video is there and which has not been
    modified since it was written; how many were recorded."""
    restored = 0
    for report in sorted(out.glob("*" + SIDECAR_SUFFIXES["report"])):
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
            source, video = Path(data["source"]), out / Path(data["outputs"]["video"]).name
            if not (source.is_file() and video.is_file()):
                continue
            if source.stat().st_mtime_ns > video.stat().st_mtime_ns:
                continue  # changed after it was scored: a new job
            base = video.name.split(SCORED, 1)[0]
            restored += ledger.record_done(identify(source), str(video), base)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s: not used to rebuild the ledger (%s)", report.name, exc)
    return restored
