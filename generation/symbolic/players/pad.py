"""The pad: the chord held through the bar, spread over C3 and up, off the lead's and the comping's pitches,
swelling over each four-bar phrase."""
from __future__ import annotations

import pretty_midi

from autoscore_video.generation.symbolic import theory
from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import Bar

PAD_ROOT = (48, 59)  # the pad's lowest voice: C3..B3, the octave above the bass's root
PAD_TOP = 77


def play(performer: Performer, bar: Bar, track: str) -> None:
    pad = theory.avoid_unisons(theory.spread(bar.pcs, *PAD_ROOT), set(bar.voicing) | bar.taken, PAD_ROOT[0], PAD_TOP)
    start = performer.grid.time(bar.plan.bar, 0)
    for pitch in pad:
        performer.note(track, pitch, start, performer.bar_end + 0.05, bar.level - 14 - 10 * (1 - bar.section.density))
    if performer.style.expression:
        performer.expression(track, bar.plan.bar, bar.plan, swell=True)


def final(performer: Performer, track: str, tonic_chord: list[int], keys_voicing: list[int], start: float,
          end: float, level: float) -> None:
    """The closing tonic chord, off the comping's pitches, at full expression."""
    pad = theory.avoid_unisons(theory.spread(tonic_chord, *PAD_ROOT), set(keys_voicing), PAD_ROOT[0], PAD_TOP)
    for pitch in pad:
        performer.note(track, pitch, start, end, level - 12)
    performer.track(track).control_changes.append(pretty_midi.ControlChange(11, 120, start))
