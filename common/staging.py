"""Outputs are written under temporary names beside their final paths and renamed when complete.

A failed run leaves nothing behind: no half-written file ever carries a final name.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from autoscore_video.common.errors import ResourceError


class StagedOutputs:
    """Hands out temporary paths for final outputs; `commit` renames them all, `discard` removes them.

    Used as a context manager, anything not committed when the block exits is discarded.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def path_for(self, final: Path) -> Path:
        """A writable temporary path in `final`'s folder, keeping its suffix (ffmpeg picks muxers by it)."""
        final = Path(final)
        temp = final.with_name(f".{final.stem}.partial-{secrets.token_hex(4)}{final.suffix}")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
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
        try:
            for temp, final in self._pending:
                os.replace(temp, final)
                finals.append(final)
        except OSError as exc:
            raise ResourceError(f"cannot move output into place at {final}: {exc.strerror or exc}") from exc
        finally:
            self.discard()
        return finals

    def discard(self) -> None:
        for temp, _ in self._pending:
            try:
                temp.unlink()
            except FileNotFoundError:
                pass
        self._pending.clear()

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        folders = {final.parent for _, final in self._pending}
        self.discard()
        if error is not None and not isinstance(error, ResourceError):
            full = [folder for folder in sorted(folders) if _nearly_full(folder)]
            if full:  # writers (libsndfile, ffmpeg) report a full disk in their own words, or as "System error"
                raise ResourceError(f"{full[0]}: no space left on the output's filesystem "
                                    f"({type(error).__name__}: {error})") from error


NEARLY_FULL_BYTES = 4 * 1024 * 1024


def _nearly_full(folder: Path) -> bool:
    """Whether `folder`'s filesystem has (after the partial outputs are removed) almost no room left."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < NEARLY_FULL_BYTES
