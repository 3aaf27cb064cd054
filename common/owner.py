"""Who runs a job: this process's identity, and whether the process an identity names is still alive.

The watch folder's ledger and the API's runners record it on the jobs they take, so a job left behind
by a process that died is taken again, and one whose process lives is not.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{start_ticks(os.getpid())}"


def start_ticks(pid: int) -> str:
    """The process's start time in clock ticks (Linux), so a reused pid is not taken for the dead owner."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def _zombie(pid: int) -> bool:
    """A process that has ended and not yet been reaped (Linux): it answers signals, but it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def owner_alive(owner: str | None) -> bool:
    if not owner:
        return False
    host, pid_text, ticks = owner.split(":", 2)
    if host != socket.gethostname():
        return True  # another machine's process: not ours to judge
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return (ticks == "?" or start_ticks(pid) == ticks) and not _zombie(pid)
