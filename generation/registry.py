"""Engines by name. An engine renders a MusicBrief into a MusicTrack inside a work folder."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Protocol

from autoscore_video.common.errors import InputError, ModelError
from autoscore_video.generation.brief import MusicBrief, MusicTrack

Progress = Callable[[float], None]
log = logging.getLogger(__name__)


class Engine(Protocol):
    """`options` is the engine's own options dataclass (None: its defaults); engines with none take None."""

    name: str

    def render(self, brief: MusicBrief, work_dir: Path, *, options: Any = None,
               progress: Progress | None = None) -> MusicTrack: ...


_FACTORIES: dict[str, Callable[[], Engine]] = {}


def register(name: str, factory: Callable[[], Engine]) -> None:
    _FACTORIES[name] = factory


def engine_names() -> list[str]:
    return sorted(_FACTORIES)


def check_engine(name: str, *, what: str = "engine", also: tuple[str, ...] = ()) -> str:
    """`name` if an engine is registered under it (or it is one of `also`); else one InputError line naming
    the choices."""
    if name not in _FACTORIES and name not in also:
        raise InputError(f"unknown {what} {name!r} (available: {', '.join([*also, *engine_names()])})")
    return name


def get_engine(name: str) -> Engine:
    return _FACTORIES[check_engine(name)]()


def render(brief: MusicBrief, work_dir: Path, *, engine: str = "symbolic", options: Any = None,
           progress: Progress | None = None) -> MusicTrack:
    return get_engine(engine).render(brief, Path(work_dir), options=options, progress=progress)


def render_with_fallback(brief: MusicBrief, work_dir: Path, *, engine: str, fallback: str | None,
                         options: Any = None, progress: Progress | None = None) -> MusicTrack:
    """Render with `engine` and its `options`; when it cannot (no weights, no memory), render with `fallback`
    at its defaults and say so."""
    try:
        return render(brief, work_dir, engine=engine, options=options, progress=progress)
    except ModelError as exc:
        if not fallback or fallback == engine:
            raise
        log.warning("%s engine failed (%s); rendering with %s", engine, exc, fallback)
        track = render(brief, Path(work_dir) / fallback, engine=fallback, progress=progress)
        track.notes.insert(0, f"{engine} engine failed: {exc}; rendered with the {fallback} engine instead")
        return track
