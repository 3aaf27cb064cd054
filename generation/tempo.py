"""The beat grid a tempo map implies: beat times and where each bar starts.

Both engines and the planner read the same grid, so a planned cut-hit is a rendered cut-hit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autoscore_video.common.errors import InputError
from autoscore_video.generation.brief import TempoPoint

SNAP_S = 1e-3  # a beat this close to a tempo point is the point (float drift over many beats)


@dataclass
class Grid:
    beats: np.ndarray  # beat times in seconds; the first may be before 0
    bar_starts: np.ndarray  # indices into `beats`; the last is the downbeat after the covered span

    @property
    def downbeats(self) -> np.ndarray:
        return self.beats[self.bar_starts]

    @property
    def bars(self) -> int:
        """Complete bars (the last bar start only closes the bar before it)."""
        return len(self.bar_starts) - 1

    def bar_length(self, bar: int) -> int:
        return int(self.bar_starts[bar + 1] - self.bar_starts[bar])

    def time(self, bar: int, beat: float) -> float:
        """Time of fractional `beat` counted from the start of `bar`, interpolated between grid beats."""
        position = self.bar_starts[bar] + beat
        index = min(int(np.floor(position)), len(self.beats) - 2)
        return float(self.beats[index] + (position - index) * (self.beats[index + 1] - self.beats[index]))


def check_tempo_map(tempo_map: list[TempoPoint]) -> list[TempoPoint]:
    if not tempo_map:
        raise InputError("the plan has an empty tempo map")
    points = sorted(tempo_map, key=lambda p: p.time)
    for point in points:
        if not 20.0 <= point.bpm <= 300.0:
            raise InputError(f"tempo {point.bpm} BPM at {point.time:.2f} s is outside 20..300 BPM")
    return points


def beat_grid(tempo_map: list[TempoPoint], until: float, beats_per_bar: int) -> Grid:
    """Beats from the first point until the first downbeat after `until`.

    A tempo point between two beats changes the tempo from the next beat on; a `bar` point restarts
    the bar count at the beat on (or just after) it.
    """
    if beats_per_bar < 1:
        raise InputError("beats per bar must be at least 1")
    points = check_tempo_map(tempo_map)
    beats: list[float] = []
    bar_starts: list[int] = []
    t, current, beat_in_bar = points[0].time, 0, 0
    while True:
        while current + 1 < len(points) and points[current + 1].time <= t + SNAP_S:
            current += 1
            if points[current].bar:
                beat_in_bar = 0
        if beat_in_bar == 0:
            bar_starts.append(len(beats))
        beats.append(t)
        if beat_in_bar == 0 and t > until:
            break
        beat_in_bar = (beat_in_bar + 1) % beats_per_bar
        following = t + 60.0 / points[current].bpm
        if current + 1 < len(points) and abs(points[current + 1].time - following) <= SNAP_S:
            following = points[current + 1].time
        t = following
    return Grid(beats=np.asarray(beats), bar_starts=np.asarray(bar_starts, dtype=int))


def mean_bpm(grid: Grid, start: float, end: float) -> float | None:
    """Mean tempo of the grid's beats inside [start, end); None with fewer than two beats there."""
    inside = grid.beats[(grid.beats >= start - 1e-9) & (grid.beats < end - 1e-9)]
    if len(inside) < 2:
        return None
    return round(60.0 * (len(inside) - 1) / float(inside[-1] - inside[0]), 2)
