"""The melodic lines: the lead sings the phrase's melody (melody.py) and the counter-line its guide tones or
answers; neither starts a note under speech."""
from __future__ import annotations

from collections.abc import Callable

import pretty_midi

from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import Bar

Spoken = Callable[[float], bool]  # whether a note starting then would start under speech
HELD_SHARE = 0.95  # of its written length a line's note is held
COUNTER_UNDER_LEAD = 10  # velocity under the bar's level of a counter-line that accompanies the lead
COUNTER_ALONE = 4  # ... of one that carries the phrase


def sing(performer: Performer, bar: Bar, track: str, notes: list[tuple[float, float, int]], spoken: Spoken) -> None:
    """The lead's notes of the bar as (beat, length, pitch)."""
    for beat, length, pitch in notes:
        if not spoken(performer.grid.time(bar.plan.bar, beat)):
            performer.played(track, pitch, bar.plan.bar, beat, length * HELD_SHARE, bar.level - 6)
    performer.expression(track, bar.plan.bar, bar.plan, swell=False)


def counter(performer: Performer, bar: Bar, track: str, notes: list[tuple[float, float, int]], spoken: Spoken,
            with_lead: bool) -> None:
    """The counter-line's notes of the bar as (beat, length, pitch), softer where the lead sings too."""
    soft = COUNTER_UNDER_LEAD if with_lead else COUNTER_ALONE
    for beat, length, pitch in notes:
        if not spoken(performer.grid.time(bar.plan.bar, beat)):
            performer.played(track, pitch, bar.plan.bar, beat, length * HELD_SHARE, bar.level - soft, legato=1.0)
    performer.expression(track, bar.plan.bar, bar.plan, swell=False)


def final(performer: Performer, track: str, pitch: int, start: float, end: float, level: float) -> None:
    """The line's closing note, at full expression, left to ring."""
    performer.note(track, pitch, start, end, level - 10)
    performer.track(track).control_changes.append(pretty_midi.ControlChange(11, 120, start))
