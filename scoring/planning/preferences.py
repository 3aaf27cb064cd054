"""What the user asked for: the one typed record of the flags `score`, `plan`, `watch` and `hook` share, and of
the API's job options. Every field that is set wins over the rules.

A Preferences that exists is a valid one: each value is checked when it is made, by the one check that owns
it (the rules for bpm, mood and genre; the registry for engines; MixSettings for loudness; MusicGenOptions for
the musicgen fields; SymbolicOptions for the bank), so the CLI, the API and a plan all give the same one-line error.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from autoscore_video.common.errors import InputError
from autoscore_video.generation import check_engine
from autoscore_video.generation.musicgen.options import MusicGenOptions
from autoscore_video.generation.symbolic.options import SymbolicOptions
from autoscore_video.mixing import MixSettings
from autoscore_video.scoring.planning import rules

MUSICGEN_FIELDS = ("model", "device", "candidates")
MAX_AUDIO_TRACK = 64


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
    model: str | None = None
    device: str | None = None
    candidates: int | None = None
    fallback: str | None = None  # an engine name, or "none"
    soundfont: str | None = None  # the symbolic engine's General MIDI bank
    audio_track: int | None = None  # the source's audio track (1-based) the mix is made on

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
            check_engine(self.engine)
        if self.fallback is not None:
            check_engine(self.fallback, what="fallback", also=("none",))
        if self.audio_track is not None and not 1 <= self.audio_track <= MAX_AUDIO_TRACK:
            raise InputError(f"--audio-track {self.audio_track} is outside 1..{MAX_AUDIO_TRACK}")
        if self.preset is not None or self.lufs is not None:
            self.mix(MixSettings())
        self.musicgen(MusicGenOptions())
        self.symbolic(SymbolicOptions())

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

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

    def musicgen(self, base: MusicGenOptions) -> MusicGenOptions:
        given = {name: getattr(self, name) for name in MUSICGEN_FIELDS if getattr(self, name) is not None}
        return replace(base, **given) if given else base

    def symbolic(self, base: SymbolicOptions) -> SymbolicOptions:
        return replace(base, soundfont=self.soundfont) if self.soundfont is not None else base
