"""What the user asked for: the one typed record of the flags `score`, `plan`, `watch` and `hook` share, and of
the API's job options. Every field that is set wins over the rules.

A Preferences that exists is a valid one: each value is checked when it is made, by the one check that owns
it (the rules for bpm, mood and genre; the registry for engines; MixSettings for loudness; each engine's options
for its own flags), so the CLI, the API and a plan all give the same one-line error.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any

from autoscore_video.common.errors import InputError
from autoscore_video.generation import check_engine, engine_flags, engine_specs
from autoscore_video.generation.auto import AUTO
from autoscore_video.mixing import MixSettings
from autoscore_video.scoring.planning import rules

MAX_AUDIO_TRACK = 64
KINDS = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}  # an engine flag's types


@dataclass(frozen=True)
class Preferences:
    bpm: float | None = None
    mood: str | None = None
    genre: str | None = None
    prompt: str | None = None
    seed: int | None = None
    engine: str | None = None
    preset: str | None = None
    lufs: float | None = None
    replace_audio: bool | None = None
    fallback: str | None = None  # an engine name, or "none"
    audio_track: int | None = None  # the source's audio track (1-based) the mix is made on
    # The engines' own flags (generation's registry: `model`, `device`, `candidates`, `soundfont`, ...) by name;
    # each engine takes those it declares. `Preferences.of(model="small")` fills it from flat names.
    engine_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.bpm is not None:
            rules.check_bpm(self.bpm)
        if self.seed is not None:
            rules.check_seed(self.seed)
        if self.mood is not None:
            rules.check_mood(self.mood)
        if self.genre is not None:
            rules.check_genre(self.genre)
        if self.engine is not None:
            check_engine(self.engine, also=(AUTO,))
        if self.fallback is not None:
            check_engine(self.fallback, what="fallback", also=("none",))
        if self.audio_track is not None and not 1 <= self.audio_track <= MAX_AUDIO_TRACK:
            raise InputError(f"--audio-track {self.audio_track} is outside 1..{MAX_AUDIO_TRACK}")
        if self.preset is not None or self.lufs is not None:
            self.mix(MixSettings())
        declared = engine_flags()
        for name, value in self.engine_options.items():
            if name not in declared:
                raise InputError(f"unknown engine option {name!r} (the engines take: {', '.join(declared)})")
            wanted = declared[name][0].type
            if value is not None and not _of_type(value, wanted):
                raise InputError(f"--{name.replace('_', '-')} {value!r}: expected {KINDS[wanted]}")
        named = {name for name in (self.engine, self.fallback) if name is not None}
        for spec in engine_specs():  # each engine that may run checks the values of its own flags
            if self.engine in (None, AUTO) or spec.name in named:
                spec.with_flags(self.engine_options)

    @classmethod
    def of(cls, **values: Any) -> Preferences:
        """From flat names, as the CLI and the API give them: Preferences' own fields and the engines' flags
        (`Preferences.of(genre="lofi", soundfont="bank.sf2")`); None means not given."""
        own = cls.own_names()
        flags = engine_flags()
        for name in values:
            if name not in own and name not in flags:
                raise InputError(f"unknown option {name!r}")
        return cls(**{name: value for name, value in values.items() if name in own},
                   engine_options={name: value for name, value in values.items()
                                   if name in flags and value is not None})

    @classmethod
    def own_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name != "engine_options")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every flat name: Preferences' own fields, then the engines' flags."""
        return tuple(cls.types())

    @classmethod
    def types(cls) -> dict[str, type]:
        """The type of each flat name's value (without None)."""
        hints = typing.get_type_hints(cls)
        own = {name: next(arg for arg in typing.get_args(hints[name]) if arg is not type(None))
               for name in cls.own_names()}
        return {**own, **{name: declared[0].type for name, declared in engine_flags().items()}}

    def mix(self, base: MixSettings) -> MixSettings:
        """`base` with the loudness preset, target and audio choice asked for (each only where given)."""
        from autoscore_video.mixing import LOUDNESS_PRESETS

        mix = base
        if self.preset is not None:  # a preset is a loudness target: the rest of `base` (an edited plan's) stays
            mix = replace(mix, preset=self.preset, target_lufs=LOUDNESS_PRESETS.get(self.preset, mix.target_lufs))
        if self.lufs is not None:
            mix = replace(mix, target_lufs=self.lufs)
        if self.replace_audio is not None:
            mix = replace(mix, replace_audio=self.replace_audio)
        return mix


def _of_type(value: Any, wanted: type) -> bool:
    if isinstance(value, bool):
        return wanted is bool
    return isinstance(value, (int, float)) if wanted is float else isinstance(value, wanted)
