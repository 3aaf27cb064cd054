"""Where the music marks each cut: on a beat when one of the grid is there, else on the off-beat eighth, else on
a sixteenth, when that is close enough to be seen as the cut (±70 ms, common/beat_hits.py), else exactly on the
cut (a hit off the grid, as a drummer catches a picture edit). A cut that matters (the plan's key cuts) gets a
build before it and the strongest hit."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autoscore_video.common.beat_hits import HIT_TOLERANCE_S
from autoscore_video.generation.tempo import Grid

STRONG = 1.25  # a cut this many times the median strength is marked even where a beat already falls on it


@dataclass(frozen=True)
class Accent:
    cut: float
    at: float  # where the music hits
    kind: str  # "beat" | "eighth" | "sixteenth" | "cut"
    strength: float  # the cut's strength relative to the median cut (1 = a typical cut of this clip)
    key: bool  # a cut that matters: a build leads into it

    @property
    def marked(self) -> bool:
        """Whether the music plays a hit here: off the beat always; on a beat where the cut is strong or key."""
        return self.kind != "beat" or self.key or self.strength >= STRONG


def place_accents(grid: Grid, cuts: list[float], strengths: list[float], key_cuts: list[float]) -> list[Accent]:
    median = float(np.median(strengths)) if len(strengths) == len(cuts) and cuts else 0.0
    beats = grid.beats
    steps = np.diff(beats)
    positions = {
        "beat": beats,
        "eighth": beats[:-1] + steps / 2,
        "sixteenth": np.concatenate([beats[:-1] + steps / 4, beats[:-1] + 3 * steps / 4]),
    }
    accents = []
    for i, cut in enumerate(cuts):
        relative = strengths[i] / median if median > 0 else 1.0
        key = any(abs(cut - k) < 1e-6 for k in key_cuts)
        for kind, at in positions.items():
            nearest = float(at[np.argmin(np.abs(at - cut))]) if len(at) else np.inf
            if abs(nearest - cut) <= HIT_TOLERANCE_S:
                accents.append(Accent(cut, nearest, kind, relative, key))
                break
        else:
            accents.append(Accent(cut, cut, "cut", relative, key))
    return accents
