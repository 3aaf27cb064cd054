"""Engines by name. An engine renders a MusicBrief into a MusicTrack inside a work folder.

Each engine registers one EngineSpec: how to load it, its options type (what a plan's `engine.options` holds),
its flags (what `score`, `plan`, `watch` and `hook` show and an API job's options take), what it is for and
the licence of what it makes. Preferences, planning, the CLI, the API schema and `autoscore models` read this
registry, so an engine is its own folder under generation/ plus one registration (generation/__init__.py, or an
`autoscore_video.engines` entry point of another package).
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from autoscore_video.common.errors import InputError, ModelError
from autoscore_video.generation.brief import MusicBrief, MusicTrack

Progress = Callable[[float], None]
log = logging.getLogger(__name__)


class Engine(Protocol):
    """`options` is the engine's own options (its spec's type; None: its defaults). An engine may also have
    `render_section(brief, index, piece, work_dir, *, options, progress) -> MusicTrack`: section `index` of
    `brief` (the one section with a seed of its own) made again over `piece` (the render without it), in its
    range of the track returned; without it, that brief is rendered whole (sections.py). An engine that writes
    MIDI has `write_midi(brief, path, *, options)`: the MIDI of a brief, sections with seeds of their own in."""

    name: str

    def render(self, brief: MusicBrief, work_dir: Path, *, options: Any = None,
               progress: Progress | None = None) -> MusicTrack: ...


@dataclass(frozen=True)
class EngineFlag:
    """An option of an engine that users set per run: `--NAME` on the command line (underscores as dashes),
    `NAME` in an API job's options. It sets the field of the same name in the engine's options."""
    name: str
    type: type  # str, int, float or bool
    help: str
    server_only: str = ""  # why an API job may not set it (it names a file on the server's disk); "": it may


@dataclass(frozen=True)
class EngineSpec:
    name: str
    load: Callable[[], Engine]  # imports the engine only when it runs (torch, the synthesiser)
    options: type  # a dataclass whose fields all have defaults and whose __post_init__ checks their values
    flags: tuple[EngineFlag, ...] = ()
    summary: str = ""  # what it is for, in one line (`--engine` help, `autoscore models`)
    licence: str = ""  # the licence of what it makes (its weights', or the bank's), in one line
    commercial: bool = True  # False: what it makes may not be published for money (the licence says why)
    checkpoints: tuple[tuple[str, str], ...] = ()  # (name, hub id) of the weights it knows, for `--model NAME`

    def with_flags(self, values: Mapping[str, Any], base: Any = None) -> Any:
        """`base` (None: the defaults) with each of this engine's flags that `values` sets (not None)."""
        base = self.options() if base is None else base
        given = {flag.name: values[flag.name] for flag in self.flags if values.get(flag.name) is not None}
        return dataclasses.replace(base, **given) if given else base

    def options_of(self, value: Any, *, what: str = "") -> Any:
        """The engine's options from what a plan holds: None (the defaults), the options themselves, or their
        JSON object (checked strictly: an unknown field or a wrong type is one InputError line)."""
        from autoscore_video.common import jsonio

        if value is None:
            return self.options()
        if isinstance(value, self.options):
            return value
        return jsonio.from_dict(self.options, value, what=what or f"{self.name} engine options")


_SPECS: dict[str, EngineSpec] = {}


def register(spec: EngineSpec) -> None:
    """Add an engine. Its flags may share a name with another engine's (`--model`) only with the same type."""
    if spec.name in _SPECS and _SPECS[spec.name] is not spec:
        raise ValueError(f"engine {spec.name!r} is registered twice")
    if not dataclasses.is_dataclass(spec.options):
        raise TypeError(f"engine {spec.name!r}: its options must be a dataclass")
    fields = {f.name for f in dataclasses.fields(spec.options)}
    for flag in spec.flags:
        if flag.name not in fields:
            raise TypeError(f"engine {spec.name!r}: flag {flag.name!r} names no field of {spec.options.__name__}")
        for other, known in engine_flags().items():
            if other == flag.name and known[0].type is not flag.type:
                raise TypeError(f"engine {spec.name!r}: flag {flag.name!r} is a {known[0].type.__name__} elsewhere")
    _SPECS[spec.name] = spec


def engine_names() -> list[str]:
    return sorted(_SPECS)


def engine_specs() -> list[EngineSpec]:
    return [_SPECS[name] for name in engine_names()]


def engine_spec(name: str) -> EngineSpec:
    return _SPECS[check_engine(name)]


def engine_flags() -> dict[str, list[EngineFlag]]:
    """Each engine flag's name and its declarations, one per engine that has it, in the engines' order."""
    found: dict[str, list[EngineFlag]] = {}
    for spec in engine_specs():
        for flag in spec.flags:
            found.setdefault(flag.name, []).append(flag)
    return found


def flag_engines(name: str) -> list[str]:
    """The engines that take the flag `name`."""
    return [spec.name for spec in engine_specs() if any(flag.name == name for flag in spec.flags)]


def check_engine(name: str, *, what: str = "engine", also: tuple[str, ...] = ()) -> str:
    """`name` if an engine is registered under it (or it is one of `also`); else one InputError line naming
    the choices."""
    if name not in _SPECS and name not in also:
        raise InputError(f"unknown {what} {name!r} (available: {', '.join([*also, *engine_names()])})")
    return name


def get_engine(name: str) -> Engine:
    return engine_spec(name).load()


def render(brief: MusicBrief, work_dir: Path, *, engine: str = "symbolic", options: Any = None,
           progress: Progress | None = None) -> MusicTrack:
    """`brief` by `engine`; sections with a seed of their own made again and spliced in (sections.py)."""
    from autoscore_video.generation.sections import render_piece

    return render_piece(get_engine(engine), brief, Path(work_dir), options=options, progress=progress)


def render_with_fallback(brief: MusicBrief, work_dir: Path, *, engine: str, fallback: str | None,
                         options: Any = None, fallback_options: Any = None,
                         progress: Progress | None = None) -> MusicTrack:
    """Render with `engine` and its `options`; when it cannot (no weights, no memory), render with `fallback`
    and its `fallback_options`, and say so."""
    try:
        return render(brief, work_dir, engine=engine, options=options, progress=progress)
    except ModelError as exc:
        if not fallback or fallback == engine:
            raise
        log.warning("%s engine failed (%s); rendering with %s", engine, exc, fallback)
        track = render(brief, Path(work_dir) / fallback, engine=fallback, options=fallback_options,
                       progress=progress)
        track.notes.insert(0, f"{engine} engine failed: {exc}; rendered with the {fallback} engine instead")
        return track


def register_plugins() -> None:
    """Engines that other installed packages offer under the `autoscore_video.engines` entry point group (each
    an EngineSpec); one that cannot be loaded is logged and left out."""
    from importlib.metadata import entry_points

    for point in entry_points(group="autoscore_video.engines"):
        try:
            spec = point.load()
            register(spec)
        except Exception as exc:  # another package's code: whatever it raises, autoscore runs without it
            log.warning("engine plugin %s (%s) left out: %s: %s", point.name, point.value, type(exc).__name__, exc)
