"""Which files an editor's export hook scores: the files it names, every video a render wrote into a folder
since it started (Resolve's "Individual clips"), and a recorder's remuxed copy in place of its recording
(OBS's "Automatically remux to MP4")."""
from __future__ import annotations

import time
from pathlib import Path

from autoscore_video.common.errors import InputError
from autoscore_video.common.files import file_state, is_video_file
from autoscore_video.scoring.job.outputs import is_scored

SINCE_SLACK_S = 2.0  # file times and the editor's clock are compared with this much give


def written_since(folder: Path, since: float) -> list[Path]:
    """The videos in `folder` last written at or after `since` (seconds since the epoch), oldest first; autoscore's
    own outputs left out."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    found = []
    for path in folder.iterdir():
        if not is_video_file(path) or is_scored(path):
            continue
        state = file_state(path)
        if state is not None and state[1] / 1e9 >= since - SINCE_SLACK_S:
            found.append((state[1], path.name, path))
    return [path for _, _, path in sorted(found)]


def export_files(files: list[Path], new_in: Path | None, since: float | None) -> list[Path]:
    """`files`, then what `new_in` gained since `since`, each once, in that order."""
    if (new_in is None) != (since is None):
        raise InputError("--new-in and --since go together: the folder a render wrote into, and when it started")
    chosen = list(files)
    if new_in is not None and since is not None:
        chosen += written_since(new_in, since)
    unique, seen = [], set()
    for path in chosen:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    if not unique:
        where = f" (nothing in {new_in} written since the render started)" if new_in is not None else ""
        raise InputError(f"no file to score{where}")
    return unique


def remuxed(recording: Path, suffix: str, wait_s: float, poll_s: float = 0.25) -> Path:
    """The copy a recorder remuxes `recording` into (same name, `suffix`) once it appears within `wait_s`;
    the recording itself where none does (remuxing off, or failed). A recording already in that container
    is its own copy."""
    suffix = suffix if suffix.startswith(".") else f".{suffix}"
    copy = recording.with_suffix(suffix.lower())
    if recording.suffix.lower() == copy.suffix:
        return recording
    deadline = time.monotonic() + wait_s
    while True:
        if file_state(copy) is not None:
            return copy
        if time.monotonic() >= deadline:
            return recording
        time.sleep(poll_s)
