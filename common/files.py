"""Is this file complete? The one answer the watch folder and the editors' hook both use: a file is complete
once its size and modification time read the same `readings` times in a row, `hold_s` apart. After a
close-after-write event (Linux), two equal readings are enough."""
from __future__ import annotations

import time
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from autoscore_video.common.errors import InputError, NotFoundError

FileState = tuple[int, int]  # (size in bytes, mtime in ns)

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts", ".wmv",
                  ".flv", ".3gp", ".mxf"}
TEMPORARY_SUFFIXES = {".part", ".crdownload", ".tmp", ".temp", ".download", ".partial", ".opdownload", ".!qb"}


def is_video_file(path: Path) -> bool:
    """A regular file named as a video: not hidden, not a download or editor's temporary, not a link."""
    name = path.name
    if name.startswith((".", "~$")) or path.suffix.lower() in TEMPORARY_SUFFIXES:
        return False
    return path.suffix.lower() in VIDEO_SUFFIXES and path.is_file() and not path.is_symlink()


TEXT_INPUT_BYTES = 64 << 20  # subtitles and plans: far larger than any real one, small enough to hold


def regular_file_or_refuse(path: Path, what: str = "file") -> int:
    """The size of `path`, a regular file; one InputError line for anything else. Checked before opening: a
    FIFO would block the open until something writes into it, and a device (/dev/zero) never ends."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc
    if S_ISDIR(stat.st_mode):
        raise InputError(f"{path}: is a directory, not a {what}")
    if not S_ISREG(stat.st_mode):
        raise InputError(f"{path}: not a regular file (a FIFO, device or socket cannot be a {what})")
    return stat.st_size


def read_text_input(path: Path, what: str, limit: int = TEXT_INPUT_BYTES) -> bytes:
    """The bytes of a small text input (subtitles, a plan): a regular file of at most `limit` bytes."""
    def too_large(size: int) -> InputError:
        return InputError(f"{path}: {size / 1e6:.0f} MB is too large for a {what} (at most {limit / 1e6:.0f} MB)")

    size = regular_file_or_refuse(path, what)
    if size > limit:
        raise too_large(size)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since it was measured
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    if len(data) > limit:
        raise too_large(len(data))
    return data


def file_state(path: Path) -> FileState | None:
    """(size, mtime) of `path`, or None where there is no file to read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class Settling:
    """Readings of one file, in order; `observe` says whether it is complete now."""

    def __init__(self, readings: int, *, allow_empty: bool = True):
        self.readings = max(1, readings)
        self.allow_empty = allow_empty
        self.last: FileState | None = None
        self.run = 0  # equal readings in a row, the last one included
        self.closed = False

    def observe(self, state: FileState | None, *, closed: bool = False) -> bool:
        self.closed = self.closed or closed
        if state is None or (not self.allow_empty and state[0] == 0):
            self.last, self.run = None, 0
            return False
        self.run = self.run + 1 if state == self.last else 1
        self.last = state
        return self.run >= (min(self.readings, 2) if self.closed else self.readings)


def complete_now(paths: list[Path], hold_s: float, readings: int) -> set[Path]:
    """The paths that are complete: each read `readings` times, `hold_s` apart."""
    settling = {path: Settling(readings) for path in paths}
    ready = {path for path, s in settling.items() if s.observe(file_state(path))}
    for _ in range(max(1, readings) - 1):
        time.sleep(hold_s)
        ready = {path for path, s in settling.items() if s.observe(file_state(path))}
    return ready


def wait_until_complete(path: Path, hold_s: float, readings: int, timeout_s: float) -> None:
    """Return once `path` exists, is not empty and is complete; one InputError line after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    settling = Settling(readings, allow_empty=False)
    while True:
        state = file_state(path)
        if settling.observe(state):
            return
        if time.monotonic() >= deadline:
            if state is None:
                raise InputError(f"{path}: no such file (waited {timeout_s:.0f} s)")
            raise InputError(f"{path}: still being written after {timeout_s:.0f} s")
        time.sleep(hold_s)
