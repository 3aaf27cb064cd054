"""Effects: the riser that swells over the bar into a cut that matters (synthesised: synths.py)."""
from __future__ import annotations

from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import Bar

RISER_TRACK = "fx: reverse cymbal"


def riser(performer: Performer, bar: Bar, piece_energy: float) -> None:
    t0, t1 = performer.grid.time(bar.plan.bar, 0), performer.grid.time(bar.plan.bar + 1, 0)
    performer.note(RISER_TRACK, 60, t0, t1, 64 + 30 * piece_energy)
