"""What generation takes (`MusicBrief`) and returns (`MusicTrack`). Times in seconds."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BriefSection:
    start: float
    end: float
    bpm: float
    key: str  # tonic name, e.g. "A", "F#"
    mode: str  # "major" | "minor"
    energy: float  # 0 (still) .. 1 (intense)
    mood: str
    instrumentation: list[str]
    density: float = 1.0  # 0 (sparse, under dialogue) .. 1 (full arrangement)
    prompt: str = ""
    underscore: bool = False  # mostly speech: pads, bass and a light texture; no kit, no melody
    # its own seed (`--regenerate`): the section is made again with it and spliced into the piece the other
    # sections make, which stays as it was outside it (generation/sections.py); None: the piece's seed
    seed: int | None = None


@dataclass
class TempoPoint:
    """From `time` on, beats follow at `bpm`. A point with `bar` set is a downbeat: bars count from it
    (the bar before it may be short, as at a section change that falls mid-bar). The first point is a
    downbeat and may lie before 0 (the music then starts mid-bar)."""

    time: float
    bpm: float
    bar: bool = False


@dataclass
class MusicBrief:
    sections: list[BriefSection]
    tempo_map: list[TempoPoint]
    key: str
    mode: str
    energy: float
    genre: str
    prompt: str
    seed: int
    target_duration: float
    cuts_to_hit: list[float] = field(default_factory=list)
    cut_strengths: list[float] = field(default_factory=list)  # per cut to hit: how much the picture changes, 0..1
    key_cuts: list[float] = field(default_factory=list)  # the cuts that matter most: the music builds into them
    # spoken regions (pauses the duck holds through bridged): the melody and busy parts rest there
    speech: list[tuple[float, float]] = field(default_factory=list)
    beats_per_bar: int = 4
    sample_rate: int = 48000


@dataclass
class MusicTrack:
    audio_path: str  # WAV
    sample_rate: int
    duration: float
    bpm: float  # tempo actually rendered (mean over the track)
    beats: list[float]
    downbeats: list[float]
    engine: str
    seed: int
    prompt: str
    model_id: str | None = None
    midi_path: str | None = None
    notes: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)  # every rendered alternative, the chosen one first
    grid: str = "planned"  # "planned": beats exactly where the brief's tempo map puts them; "measured": tracked
    final_hit: float | None = None  # when the closing chord is struck (the mix's fade waits for it); None: unknown
    # what the music may be used for: the weights' licence, or the bank's for its samples ("": the engine's own
    # registered licence)
    licence: str = ""
