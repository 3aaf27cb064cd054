"""How each genre is played, as data: chord colours, groove (swing, timing, accents), and what the players do
(sub octave, sustain pedal, expression). The console's side of a genre is in studio/presets.py."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    colours: tuple[str, ...]  # chord colours bars may take: "7", "9", "add9", "sus2", "sus4"; () plain triads
    swing: float = 0.5  # where the off-beat `swing_unit` falls within its pair: 0.5 straight, 0.6 lazy
    swing_unit: float = 0.5  # in beats: 0.5 swings eighths, 0.25 sixteenths
    timing_ms: float = 4.0  # the players' timing spread (standard deviation); the kick on the beat keeps half
    sub_octave: bool = False  # a sine an octave under the bass (synths.py)
    pedal: bool = True  # sustain pedal on piano-family keys
    expression: bool = True  # CC11 swells on pads
    colour_share: float = 0.6  # of bars that take a colour rather than the plain triad
    riser: bool = True  # a reverse cymbal swells into each cut that matters


STYLES = {
    "ambient": Style(colours=("add9", "7", "sus2"), timing_ms=6.0, colour_share=0.8, riser=False),
    "cinematic": Style(colours=("sus2", "add9", "sus4"), timing_ms=5.0),
    "orchestral": Style(colours=("sus4", "add9"), timing_ms=5.0, colour_share=0.35),
    "lofi": Style(colours=("7", "9"), swing=0.62, swing_unit=0.5, timing_ms=9.0, colour_share=0.9, riser=False),
    "pop": Style(colours=("add9", "sus4", "sus2"), swing=0.52, swing_unit=0.25, timing_ms=3.0, sub_octave=True),
    "electronic": Style(colours=("add9", "sus2", "7"), swing=0.54, swing_unit=0.25, timing_ms=1.5, sub_octave=True,
                        pedal=False),
    "rock": Style(colours=("sus4", "sus2"), timing_ms=4.0, pedal=False, colour_share=0.3),
}

# Velocity added by position in the bar (beats from the bar line): the downbeat leads, the back beats answer,
# off-beats and sixteenths sit back.
ACCENTS = ((0.0, 9), (2.0, 5), (1.0, 2), (3.0, 2))
OFFBEAT_ACCENT, SIXTEENTH_ACCENT = -3, -7


def accent(position: float) -> int:
    for at, added in ACCENTS:
        if abs(position - at) < 1e-6:
            return added
    if float(position).is_integer():
        return 2
    return OFFBEAT_ACCENT if abs(position * 2 - round(position * 2)) < 1e-6 else SIXTEENTH_ACCENT
