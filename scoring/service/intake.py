"""What a job takes from the server's disk on a caller's word: its source and its model, each only from the
folders the server allows.

A path source is held at submit: opened one folder at a time from its allowed root without following any
link, then hard-linked (or, across filesystems, copied) into the job's own folder. The job reads that, so a
file swapped for a symbolic link after it was checked cannot put a file from outside the roots in its place.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from autoscore_video.common.errors import InputError

NAME_LIMIT = 200  # bytes: the outputs add ".timeline.png" and a temporary suffix, within NAME_MAX (255)
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def source_name(name: str) -> str:
    """The name a source keeps on the server: the last component of what the caller sent, or an error."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    if not name or name in (".", ".."):
        raise InputError("file: the upload needs a file name (not empty, '.' or '..')")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InputError("file: the upload's file name holds control characters")
    if len(name.encode("utf-8", "surrogatepass")) > NAME_LIMIT:
        raise InputError(f"file: the upload's file name is longer than {NAME_LIMIT} bytes")
    return name


def allowed_source(path: str, roots: list[Path]) -> tuple[Path, Path]:
    """(root, resolved path) for a source path inside one of the allowed roots (links followed, here only to
    decide), or an InputError / PermissionError."""
    try:
        resolved = Path(path).resolve()
        for root in roots:
            root = root.resolve()
            if resolved == root or root in resolved.parents:
                if not resolved.is_file():
                    raise InputError(f"{path}: no such file")
                return root, resolved
    except OSError as exc:
        raise InputError(f"path: {exc.strerror or exc}") from None
    raise PermissionError(f"{path}: outside the server's allowed roots")


def hold(root: Path, resolved: Path, job_dir: Path) -> Path:
    """The source as the job will read it: `resolved` opened beneath `root` with no link followed, linked or
    copied into `job_dir`, with its subtitle sidecar (`clip.srt`, as `autoscore score` finds it) held the
    same way. A file swapped for a link (or any folder on its way) is refused."""
    from autoscore_video.analysis.subtitles import find_sidecar

    job_dir.mkdir(parents=True, exist_ok=True)
    held = _hold_one(root, resolved, job_dir)
    sidecar = find_sidecar(resolved)
    if sidecar is not None:
        try:
            _hold_one(root, sidecar, job_dir)
        except InputError as exc:
            raise InputError(f"its subtitles {sidecar.name}: {exc}") from None
    return held


def _hold_one(root: Path, path: Path, job_dir: Path) -> Path:
    descriptor = _open_beneath(root, path)
    try:
        held = job_dir / path.name
        if not _link_open_file(descriptor, path, held):
            with os.fdopen(os.dup(descriptor), "rb") as source, held.open("xb") as copy:
                shutil.copyfileobj(source, copy, 1024 * 1024)
        return held
    finally:
        os.close(descriptor)


def _open_beneath(root: Path, resolved: Path) -> int:
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    parts = resolved.relative_to(root).parts
    if not parts:
        raise InputError(f"{resolved}: not a file")
    folder = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow, dir_fd=folder)
            os.close(folder)
            folder = inner
        descriptor = os.open(parts[-1], os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0), dir_fd=folder)
    except OSError as exc:
        raise InputError(f"{resolved}: changed since it was checked ({exc.strerror}); "
                         "a link put in its place is not followed") from None
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise InputError(f"{resolved}: not a regular file")
    return descriptor


def _link_open_file(descriptor: int, resolved: Path, held: Path) -> bool:
    """Hard-link `resolved` to `held`, kept only when it is the very file open as `descriptor` (a name
    swapped after the open links something else, which is removed again)."""
    opened = os.fstat(descriptor)
    try:
        os.link(resolved, held)
    except OSError:  # another filesystem, or protected_hardlinks for a file this user does not own
        return False
    linked = os.lstat(held)
    if (linked.st_dev, linked.st_ino) == (opened.st_dev, opened.st_ino):
        return True
    held.unlink()
    return False


def allowed_model(model: str, models_roots: list[Path]) -> str:
    """A job's `model` option as the server will load it: a name of an engine's catalogue, a Hugging Face hub id,
    or a folder under one of the server's models roots (given relative to one, or absolute); anything else is
    refused."""
    from autoscore_video.generation import engine_specs

    known = {part for spec in engine_specs() for checkpoint in spec.checkpoints for part in checkpoint}
    if model in known:
        return model
    for root in models_roots:
        root = root.resolve()
        try:
            folder = (root / model).resolve()
        except (OSError, ValueError):
            continue
        if root in folder.parents and folder.is_dir():
            return str(folder)
    if HUB_ID.match(model) and ".." not in model and not Path(model).exists():
        return model
    where = " or a folder under the server's --models-root" if models_roots else ""
    names = sorted({name for spec in engine_specs() for name, _ in spec.checkpoints})
    raise InputError(f"options.model: {model!r} is not a catalogue name ({', '.join(names)}), "
                     f"a Hugging Face hub id (owner/name){where}")
