"""When a cut is "on a beat": the one definition every stage uses (planning the tempo map, choosing among
MusicGen candidates, trimming measured music, reporting and evaluating).

A cut is on a beat when a beat lies within HIT_TOLERANCE_S of it: 70 ms, about where a viewer stops
seeing the cut and hearing the beat as one event.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np

Times = Union[Sequence[float], np.ndarray]  # seconds, a list or an array

HIT_TOLERANCE_S = 0.070
_EPSILON = 1e-9  # a cut exactly at the tolerance counts, whatever the float rounding


def distances_to_nearest(cuts: Times, beats: Times) -> np.ndarray:
    """|cut - nearest beat| for each cut, in seconds (infinite when there are no beats)."""
    cut_arr = np.asarray(cuts, dtype=float)
    grid = np.sort(np.asarray(beats, dtype=float))
    if not len(grid):
        return np.full(len(cut_arr), np.inf)
    index = np.clip(np.searchsorted(grid, cut_arr), 1, max(1, len(grid) - 1))
    before = np.abs(grid[np.minimum(index - 1, len(grid) - 1)] - cut_arr)
    after = np.abs(grid[np.minimum(index, len(grid) - 1)] - cut_arr)
    return np.minimum(before, after)


def count_hits(cuts: Times, beats: Times, tolerance_s: float = HIT_TOLERANCE_S) -> int:
    """How many cuts have a beat within `tolerance_s`."""
    if not len(cuts):
        return 0
    return int(np.count_nonzero(distances_to_nearest(cuts, beats) <= tolerance_s + _EPSILON))
