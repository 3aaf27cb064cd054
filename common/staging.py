"""Outputs are written under temporary names beside their final paths and renamed when complete.

A failed run leaves nothing behind: no half-written file ever carries a final name, and a folder made for the
outputs is removed again. A folder that a committed output needed is said on stderr (a typo in `-o` shows).
"""
from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from autoscore_video.common.errors import ResourceError
from autoscore_video.common.leftovers import partial_name

log = logging.getLogger(__name__)


class StagedOutputs:
    """Hands out temporary paths for final outputs; `commit` renames them all, `discard` removes them.

    Used as a context manager, anything not committed when the block exits is discarded.
    """

    def __init__(self, scratch: Path | None = None) -> None:
        """`scratch`: the run's temporary folder, whose filesystem filling up is named like the outputs'."""
        self._pending: list[tuple[Path, Path]] = []
        self._scratch = scratch
        self.created_folders: list[Path] = []  # made for the outputs, outermost first

    def path_for(self, final: Path) -> Path:
        """A writable temporary path in `final`'s folder, keeping its suffix (ffmpeg picks muxers by it)."""
        final = Path(final)
        temp = final.with_name(partial_name(final))
        try:
            missing = [folder for folder in (final.parent, *final.parent.parents) if not folder.exists()]
            final.parent.mkdir(parents=True, exist_ok=True)
            self.created_folders += [folder for folder in reversed(missing) if folder not in self.created_folders]
            with temp.open("xb"):
                pass
        except OSError as exc:
            raise ResourceError(f"cannot write {final}: {exc.strerror or exc}") from exc
        self._pending.append((temp, final))
        return temp

    def forget(self, temp: Path) -> None:
        """Drop a staged output that turned out not to be needed (its temporary file is removed)."""
        temp.unlink(missing_ok=True)
        self._pending = [(t, f) for t, f in self._pending if t != temp]

    def commit(self) -> list[Path]:
        finals = []
        created = self.created_folders
        try:
            for temp, final in self._pending:
                os.replace(temp, final)
                finals.append(final)
        except OSError as exc:
            raise ResourceError(f"cannot move output into place at {final}: {exc.strerror or exc}") from exc
        finally:
            self.discard()
        deepest = [folder for folder in created if not any(other.parent == folder for other in created)]
        for folder in deepest:
            outermost = next(other for other in created if other == folder or other in folder.parents)
            log.warning("created %s for the outputs (%s did not exist)", folder,
                        "it" if outermost == folder else f"{outermost} and the folders in it")
        return finals

    def discard(self) -> None:
        for temp, _ in self._pending:
            try:
                temp.unlink()
            except FileNotFoundError:
                pass
        self._pending.clear()
        for folder in reversed(self.created_folders):
            try:
                folder.rmdir()  # only where nothing else was put in it meanwhile
            except OSError:
                pass
        self.created_folders = []

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        # looked at before the partial files go: the write that failed has just filled its filesystem
        full = self._full_folder() if isinstance(error, Exception) and not isinstance(error, ResourceError) else None
        self.discard()
        if full is not None:  # writers (libsndfile, ffmpeg) report a full disk in their own words, or as "System error"
            where = (f"the temporary folder {full.parent} (TMPDIR)" if full == self._scratch
                     else f"{full}: the output's filesystem")
            raise ResourceError(f"{where}: no space left ({type(error).__name__}: {error})") from error
        full_disk = disk_full(error)
        if full_disk is not None:
            raise full_disk from error

    def _full_folder(self) -> Path | None:
        folders = sorted({final.parent for _, final in self._pending})
        folders += [self._scratch] if self._scratch is not None else []
        return next((folder for folder in folders if _nearly_full(folder)), None)


DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def disk_full(error: BaseException | None) -> ResourceError | None:
    """`error` as the machine's full disk (or quota) when it says so (ENOSPC, EDQUOT), else None."""
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        return ResourceError(f"no space left on the device ({error.strerror}: {error.filename})")
    return None
NEARLY_FULL_BYTES = 4 * 1024 * 1024


def _nearly_full(folder: Path) -> bool:
    """Whether `folder`'s filesystem has almost no room left."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < NEARLY_FULL_BYTES
