"""The part writers: one module per role of the band, each writing its part of one bar through the Performer
(performer.py) from what the composer knows of that bar (`Bar`). Their rules live here and nowhere else:
pad.py, keys.py (comping), bass.py, drums.py (groove and fills), lines.py (lead and counter-line),
timpani.py, fx.py (the riser)."""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.generation.brief import BriefSection
from autoscore_video.generation.symbolic.form import BarPlan
from autoscore_video.generation.symbolic.grooves import Parts

QUIET_LIGHT = 0.3  # below this energy the players play their light patterns


@dataclass(frozen=True)
class Bar:
    """What every part writer knows of the bar being written."""
    plan: BarPlan
    section: BriefSection
    parts: Parts  # the genre's patterns
    tonic: int  # pitch class of the section's key
    pcs: list[int]  # the chord's pitch classes, root first
    voicing: list[int]  # the chord voiced for the comping part, led from the bar before
    level: float  # the velocity the bar is played at, before each part's offset
    light: bool  # the light patterns: low energy, an intro, outro or breakdown, or a bar under words
    taken: frozenset[int]  # the pitches the lead sings in the bar: the harmony keeps off them
