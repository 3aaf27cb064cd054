"""`ScoreResult`: what one scoring run produced and measured, written as `<clip>.report.json`."""
from __future__ import annotations

from dataclasses import dataclass, field

from autoscore_video.analysis.features import AudioTrackChoice
from autoscore_video.common.beat_hits import HIT_TOLERANCE_S, count_hits, distances_to_nearest
from autoscore_video.mixing import MixReport


@dataclass
class Alignment:
    """How the rendered beat grid sits against the video's hard cuts."""

    cuts: int
    cuts_on_beat: int  # a beat within `tolerance_ms`
    cuts_on_downbeat: int
    mean_offset_ms: float | None
    tolerance_ms: float = HIT_TOLERANCE_S * 1000


@dataclass
class Marks:
    """Where the picture and the music meet, for editors (`autoscore export`): the hard cuts, the downbeats as
    they sit in the mix, the plan's sections, and the clip's frame rate."""

    fps: float
    cuts: list[float]
    downbeats: list[float]
    sections: list[dict[str, object]]  # start, end, mood, bpm


@dataclass
class ScoreResult:
    source: str
    outputs: dict[str, str]
    engine: dict[str, object]
    duration: float
    output_duration: float
    planned_bpm: float
    rendered_bpm: float
    mix: MixReport
    alignment: Alignment
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    marks: Marks | None = None
    audio_track: AudioTrackChoice | None = None  # the source's track the mix is made on, why, and where it sat


def alignment(cuts: list[float], beats: list[float], downbeats: list[float]) -> Alignment:
    if not cuts or not beats:
        return Alignment(cuts=len(cuts), cuts_on_beat=0, cuts_on_downbeat=0, mean_offset_ms=None)
    return Alignment(
        cuts=len(cuts),
        cuts_on_beat=count_hits(cuts, beats),
        cuts_on_downbeat=count_hits(cuts, downbeats or beats),
        mean_offset_ms=round(float(distances_to_nearest(cuts, beats).mean()) * 1000.0, 1),
    )
