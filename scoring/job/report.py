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
class Regenerated:
    """A section made again (`--regenerate N`) and what was kept around it (regenerated.py)."""
    section: int  # counted from 1
    seed: int  # the section's own seed now
    # the section's range: the music changed from a short crossfade before it (sections.SPLICE_FADE_S) to its end
    start_s: float
    end_s: float
    # the gains came from this earlier report (None: there was none, so they were solved again and the stem's
    # level may differ everywhere)
    levels_from: str | None
    # the music stem outside the section (and the limiter's reach around it) is the earlier run's, sample for
    # sample; None: there was no earlier stem to compare with
    outside_identical: bool | None
    outside_difference_db: float | None = None  # the largest difference there (dBFS), where there is one


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
    regenerated: Regenerated | None = None  # the section made again (`--regenerate`) and what was kept around it


def alignment(cuts: list[float], beats: list[float], downbeats: list[float]) -> Alignment:
    if not cuts or not beats:
        return Alignment(cuts=len(cuts), cuts_on_beat=0, cuts_on_downbeat=0, mean_offset_ms=None)
    return Alignment(
        cuts=len(cuts),
        cuts_on_beat=count_hits(cuts, beats),
        cuts_on_downbeat=count_hits(cuts, downbeats or beats),
        mean_offset_ms=round(float(distances_to_nearest(cuts, beats).mean()) * 1000.0, 1),
    )
