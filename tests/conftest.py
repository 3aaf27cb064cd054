"""Fixtures: clips generated with ffmpeg lavfi (known cuts, saturation, speech), real footage from
../shared/media when present, a CLI runner that uses the installed `autoscore` command, and a guard
that fails any test whose code logs an error."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

# The suite runs one xdist worker per core: each worker's math libraries (torch, OpenMP, BLAS, numba) and the
# commands it starts use one thread, or two workers on two cores run four-plus threads and wait on each other
# (a MusicGen render took 98 s that way, 26 s with one thread each). Set before any of them is imported.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from samples.make_samples import ClipSpec, Line, calm_spec, energetic_spec, espeak_available, make_clip  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED_MEDIA = REPO.parent / "shared" / "media" / "pyscenedetect"


@pytest.fixture(autouse=True)
def fail_on_logged_errors(caplog):
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    if errors:
        pytest.fail("logged errors: " + "; ".join(r.getMessage() for r in errors))


@dataclass
class Clip:
    path: Path
    spec: ClipSpec


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def calm_clip(media_dir) -> Clip:
    spec = calm_spec()
    return Clip(make_clip(media_dir / "calm.mp4", spec), spec)


@pytest.fixture(scope="session")
def energetic_clip(media_dir) -> Clip:
    spec = energetic_spec()
    return Clip(make_clip(media_dir / "energetic.mp4", spec), spec)


@pytest.fixture(scope="session")
def silent_clip(media_dir) -> Clip:
    """No audio track, no subtitles, three cuts."""
    spec = ClipSpec(shots=[2.5, 3.0, 2.0, 2.5], saturation=1.0, audio="none")
    return Clip(make_clip(media_dir / "silent.mp4", spec), spec)


@pytest.fixture(scope="session")
def speech_clip(media_dir) -> Clip:
    if not espeak_available():
        pytest.skip("espeak-ng is not installed: no real speech to detect (apt-get install espeak-ng)")
    lines = [Line(2.0, 6.0, "Good evening. Here is the news for tonight, read slowly and clearly."),
             Line(10.0, 14.0, "After the break we will talk about the weather for the weekend.")]
    spec = ClipSpec(shots=[4.0, 4.0, 4.0, 4.0], saturation=0.8, speech=lines)
    return Clip(make_clip(media_dir / "speech.mp4", spec), spec)


@pytest.fixture(scope="session")
def scored_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scored")


def _score_copy(clip: Clip, folder: Path, *extra: str) -> tuple[Path, subprocess.CompletedProcess]:
    """Copy the clip (and its .srt) into `folder` and score it there with the real CLI."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / clip.path.name
    shutil.copyfile(clip.path, target)
    srt = clip.path.with_suffix(".srt")
    if srt.exists():
        shutil.copyfile(srt, target.with_suffix(".srt"))
    result = run_cli("score", str(target), "--json", *extra)
    assert result.returncode == 0, result.stderr
    return target, result


@pytest.fixture(scope="session")
def scored_calm(calm_clip, scored_dir):
    return _score_copy(calm_clip, scored_dir / "calm")


@pytest.fixture(scope="session")
def scored_energetic(energetic_clip, scored_dir):
    return _score_copy(energetic_clip, scored_dir / "energetic")


@pytest.fixture(scope="session")
def scored_speech(speech_clip, scored_dir):
    return _score_copy(speech_clip, scored_dir / "speech")


def autoscore_command() -> list[str]:
    found = shutil.which("autoscore", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return [found] if found else [sys.executable, "-m", "autoscore_video"]


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*autoscore_command(), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shared_clip(name: str) -> Path:
    path = SHARED_MEDIA / name
    if not path.is_file():
        pytest.skip(f"real footage {path} is absent (../shared/media/pyscenedetect is not beside the repo)")
    return path


def slow_copy(source: Path, target: Path, pieces: int, pause_s: float) -> threading.Thread:
    """Start copying `source` to `target` (its final name) in `pieces` writes, `pause_s` apart, as a slow
    network copy would; returns the running thread."""
    data = source.read_bytes()
    step = len(data) // pieces + 1

    def write() -> None:
        with target.open("wb") as handle:
            for i in range(0, len(data), step):
                handle.write(data[i:i + step])
                handle.flush()
                time.sleep(pause_s)

    thread = threading.Thread(target=write)
    thread.start()
    return thread


@contextmanager
def small_tmpfs(mountpoint: Path, size: str, read_only: bool = False):
    """A tmpfs of `size` mounted at `mountpoint` for the block (skips the test where it cannot be mounted);
    read-only refuses writes even to root."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mountpoint.mkdir(exist_ok=True)
    if os.system(f"mount -t tmpfs -o size={size}{',ro' if read_only else ''} tmpfs '{mountpoint}' 2>/dev/null") != 0:
        pytest.skip("this machine refuses a tmpfs mount (a container without CAP_SYS_ADMIN)")
    try:
        yield mountpoint
    finally:
        busy = os.system(f"umount '{mountpoint}' 2>/dev/null") != 0
        if busy:  # a file still open there: detach it rather than leave it mounted
            os.system(f"umount -l '{mountpoint}'")
    if busy:
        pytest.fail(f"{mountpoint} was busy at the end of the test (a file left open on it)")


def remount_read_only(mountpoint: Path) -> None:
    """A tmpfs from `small_tmpfs`, filled while writable, made read-only (even to root) from now on."""
    if os.system(f"mount -o remount,ro '{mountpoint}' 2>/dev/null") != 0:
        pytest.skip("this machine refuses to remount a tmpfs read-only")
