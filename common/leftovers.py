"""What a run killed outright (kill -9, a machine that died) leaves behind, and its sweeping at the next start.

Partial outputs and temporary work folders carry their owner in their names: a short hash of the host, the
pid and the process's start time, so the next watcher, server or worker (or `score` of the same clip) removes
those whose owner is gone, and never those of a live process or of another machine on shared storage.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

from autoscore_video.common.owner import owner_alive, start_ticks

WORK_PREFIX = "autoscore-"
_TAG = r"(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-(?P<ticks>\d+|x)"
PARTIAL = re.compile(rf"^\..+\.partial-{_TAG}-[0-9a-f]{{8}}(\.[^.]*)?$")
WORK_DIR = re.compile(rf"^{WORK_PREFIX}{_TAG}-")


def _host_hash(host: str | None = None) -> str:
    return hashlib.sha1((host or socket.gethostname()).encode()).hexdigest()[:6]


def owner_tag() -> str:
    """This process as file names carry it: host hash, pid, start time."""
    ticks = start_ticks(os.getpid())
    return f"{_host_hash()}-{os.getpid()}-{ticks if ticks.isdigit() else 'x'}"


def partial_name(final: Path) -> str:
    """The temporary name of an output being written: hidden, marked partial, naming its owner."""
    return f".{final.stem}.partial-{owner_tag()}-{secrets.token_hex(4)}{final.suffix}"


def temporary_work_dir() -> tempfile.TemporaryDirectory:
    """A run's temporary folder in TMPDIR, naming its owner."""
    return tempfile.TemporaryDirectory(prefix=f"{WORK_PREFIX}{owner_tag()}-")


def _owner_gone(match: re.Match) -> bool:
    if match["host"] != _host_hash():
        return False  # another machine's (shared storage): not ours to judge
    ticks = match["ticks"] if match["ticks"] != "x" else "?"
    return not owner_alive(f"{socket.gethostname()}:{match['pid']}:{ticks}")


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:  # gone, or not readable: nothing to sweep there
        return []


def sweep_partials(folder: Path) -> list[Path]:
    """Remove the partial outputs in `folder` whose owner is gone; returns them."""
    removed = []
    for path in _entries(folder):
        match = PARTIAL.match(path.name)
        if match and _owner_gone(match):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def sweep_work_dirs(folder: Path | None = None) -> list[Path]:
    """Remove the work folders in TMPDIR (or `folder`) whose owner is gone; returns them."""
    removed = []
    for path in _entries(Path(folder or tempfile.gettempdir())):
        match = WORK_DIR.match(path.name)
        if match and path.is_dir() and not path.is_symlink() and _owner_gone(match):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
