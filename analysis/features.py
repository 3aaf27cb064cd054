"""What the analysis stage returns: `VideoFeatures` and its parts. Times are seconds from the start."""
from __future__ import annotations

from dataclasses import dataclass, field

from autoscore_video.analysis.settings import AnalysisSettings
from autoscore_video.common.media import MediaInfo


@dataclass
class TimeSeries:
    """Values sampled every `hop` seconds, the first at t = 0."""

    hop: float
    values: list[float] = field(default_factory=list)

    def times(self) -> list[float]:
        return [i * self.hop for i in range(len(self.values))]

    def mean_between(self, start: float, end: float) -> float | None:
        lo = max(0, int(start / self.hop))
        hi = min(len(self.values), max(lo + 1, int(end / self.hop)))
        chunk = self.values[lo:hi]
        return sum(chunk) / len(chunk) if chunk else None


@dataclass
class AudioTrackChoice:
    track: int | None  # 1-based among the clip's audio tracks; None: the clip has none
    stream: int | None  # the container's index of that track
    why: str
    offset_s: float = 0.0  # where its first sample sits on the picture's timeline (positive: after the first frame)
    others: list[int] = field(default_factory=list)  # the other tracks' numbers, kept in the output as they are
    notes: list[str] = field(default_factory=list)  # what placing it on the picture did


VideoInfo = MediaInfo  # the probe's record, one for the whole package (the name older code imported)


@dataclass
class CutFeatures:
    times: list[float]
    rate_per_minute: TimeSeries
    mean_rate_per_minute: float
    detector: str
    strengths: list[float] = field(default_factory=list)  # per cut: how much the picture changes (0..1)

    @property
    def count(self) -> int:
        return len(self.times)


@dataclass
class ColourFeatures:
    """One colour measure over time: saturation or brightness (HSV value), 0..1; warmth, -1..1."""

    series: TimeSeries
    mean: float
    p90: float


@dataclass
class SpeechRegion:
    start: float
    end: float
    level_db: float


@dataclass
class SpeechFeatures:
    has_audio: bool
    regions: list[SpeechRegion]
    energy_db: TimeSeries  # RMS level of the whole audio track, dBFS
    speech_ratio: float  # share of the duration inside speech regions
    speech_level_db: float | None  # mean RMS level inside speech
    program_level_db: float | None  # mean RMS level of the whole track


@dataclass
class SubtitleCue:
    start: float
    end: float
    text: str
    language: str
    sentiment: float | None  # -1 (negative) .. 1 (positive); None where no model covers the language


@dataclass
class SubtitleFeatures:
    source: str | None  # "sidecar:<path>", "embedded:<stream index>", or None
    cues: list[SubtitleCue]
    mean_sentiment: float | None  # weighted by cue duration, over scored cues
    languages: list[str]
    notes: list[str] = field(default_factory=list)


@dataclass
class VideoFeatures:
    info: MediaInfo
    cuts: CutFeatures
    saturation: ColourFeatures
    speech: SpeechFeatures
    subtitles: SubtitleFeatures
    settings: AnalysisSettings
    brightness: ColourFeatures | None = None  # None in features saved before it was measured
    warmth: ColourFeatures | None = None  # colour temperature, -1 (blue) .. 1 (orange); None where not measured
    timings: dict[str, float] = field(default_factory=dict)
    audio_track: AudioTrackChoice | None = None  # which track the mix is made on, and how it sits on the picture

    @property
    def duration(self) -> float:
        return self.info.duration
