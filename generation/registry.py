"""Engines by name. An engine renders a MusicBrief into a MusicTrack inside a work folder."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

from common.errors import InputError
from generation.brief import MusicBrief, MusicTrack

Progress = Callable[[float], None]


class Engine(Protocol):
    name: str

    def render(self, brief: MusicBrief, work_dir: Path, *, progress: Progress | None = None) -> MusicTrack: ...


_FACTORIES: dict[str, Callable[[], Engine]] = {}


def register(name: str, factory: Callable[[], Engine]) -> None:
    _FACTORIES[name] = factory


def engine_names() -> list[str]:
    return sorted(_FACTORIES)


def get_engine(name: str) -> Engine:
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise InputError(f"unknown engine {name!r} (available: {', '.join(engine_names())})") from None


def render(brief: MusicBrief, work_dir: Path, *, engine: str = "symbolic",
           progress: Progress | None = None) -> MusicTrack:
    return get_engine(engine).render(brief, Path(work_dir), progress=progress)
