"""`ScoreResult`: what one scoring run produced and measured, written as `<clip>.report.json`."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autoscore_video.mixing import MixReport


@dataclass
class Alignment:
    """How the rendered beat grid sits against the video's hard cuts."""

    cuts: int
    cuts_on_beat: int  # a beat within `tolerance_ms`
    cuts_on_downbeat: int
    mean_offset_ms: float | None
    tolerance_ms: float = 70.0


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


def alignment(cuts: list[float], beats: list[float], downbeats: list[float], tolerance_ms: float = 70.0) -> Alignment:
    if not cuts or not beats:
        return Alignment(cuts=len(cuts), cuts_on_beat=0, cuts_on_downbeat=0, mean_offset_ms=None,
                         tolerance_ms=tolerance_ms)
    beat_arr, down_arr = np.asarray(beats), np.asarray(downbeats or beats)
    offsets = np.array([np.min(np.abs(beat_arr - c)) for c in cuts]) * 1000.0
    down_offsets = np.array([np.min(np.abs(down_arr - c)) for c in cuts]) * 1000.0
    return Alignment(
        cuts=len(cuts),
        cuts_on_beat=int(np.count_nonzero(offsets <= tolerance_ms)),
        cuts_on_downbeat=int(np.count_nonzero(down_offsets <= tolerance_ms)),
        mean_offset_ms=round(float(offsets.mean()), 1),
        tolerance_ms=tolerance_ms,
    )
