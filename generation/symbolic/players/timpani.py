"""The timpani: the chord's root on the genre's pattern, and a roll through a build's second half."""
from __future__ import annotations

import numpy as np

from autoscore_video.generation.symbolic.grooves import onsets
from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import Bar

TIMPANI_ROOT = 41  # F2..E3, the timpani's compass


def root_of(pitch_class: int) -> int:
    return TIMPANI_ROOT + (pitch_class - TIMPANI_ROOT) % 12


def play(performer: Performer, bar: Bar, track: str) -> None:
    root = root_of(bar.pcs[0])
    for pos, _ in onsets(bar.parts.timpani or "x..............."):
        if pos < performer.bar_beats:
            performer.played(track, root, bar.plan.bar, pos, 1.0, bar.level - 4 + (6 if pos == 0 else 0), vary=False)


def roll(performer: Performer, bar: Bar, track: str) -> None:
    """Into a cut that matters: sixteenths through the bar's second half, growing."""
    root = root_of(bar.pcs[0])
    for i, pos in enumerate(np.arange(performer.bar_beats / 2, performer.bar_beats, 0.25)):
        performer.played(track, root, bar.plan.bar, float(pos), 0.25, bar.level - 20 + 3 * i, vary=False)


def cut(performer: Performer, track: str, root_pc: int, at: float, velocity: float) -> None:
    """A cut's hit on the root."""
    performer.note(track, root_of(root_pc), at, at + 0.8, velocity)


def final(performer: Performer, track: str, tonic: int, start: float, level: float) -> None:
    performer.note(track, root_of(tonic), start, start + 1.5, level)
