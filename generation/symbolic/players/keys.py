"""The comping part: the genre's rhythm of chords (or the chord broken, or power chords), under the lead, the
sustain pedal down through the bar on piano-family keys."""
from __future__ import annotations

import pretty_midi

from autoscore_video.generation.symbolic import theory
from autoscore_video.generation.symbolic.grooves import onsets, pick
from autoscore_video.generation.symbolic.instruments import lookup
from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import Bar

KEYS_RANGE = (57, 79)  # the comping part's voicing, under the lead
ARPEGGIO_FLOOR = 64
POWER_ROOT = 40  # a power chord's root lies in E2..D#3
PIANO_PROGRAMS = range(0, 8)
LOW_CHORD_ROOT = 48  # C3


def play(performer: Performer, bar: Bar, track: str) -> None:
    parts, plan, bpb = bar.parts, bar.plan, performer.bar_beats
    voicing = theory.avoid_unisons(bar.voicing, set(bar.taken), KEYS_RANGE[0], KEYS_RANGE[1] + 5)
    pattern = parts.light_comp if bar.light or bar.section.density < 0.5 else pick(parts.comp, plan.phrase_bar)
    strikes = [pos for pos, _ in onsets(pattern) if pos < bpb]
    if not strikes:
        return
    if performer.style.pedal and lookup(track).program in PIANO_PROGRAMS and parts.comp_style != "power":
        performer.pedal(track, plan.bar)
    gaps = [b - a for a, b in zip(strikes, strikes[1:] + [float(bpb)])]
    velocity = bar.level - (20 if parts.comp_style == "arpeggio" else 16)
    if parts.comp_style == "arpeggio":
        if min(voicing) < ARPEGGIO_FLOOR and max(voicing) + 12 <= 88 and bar.section.energy < 0.6:
            voicing = [pitch + 12 for pitch in voicing]
        cycle = voicing + voicing[1:-1][::-1]
        offset = plan.phrase_bar % 2  # the broken chord turns a different way each bar
        for i, (pos, gap) in enumerate(zip(strikes, gaps)):
            performer.played(track, cycle[(i + offset) % len(cycle)], plan.bar, pos, max(gap, 0.25) * 1.5, velocity)
    elif parts.comp_style == "power":
        root = POWER_ROOT + (bar.pcs[0] - POWER_ROOT) % 12
        for pos, gap in zip(strikes, gaps):
            for pitch in (root, root + 7, root + 12):
                performer.played(track, pitch, plan.bar, pos, gap * parts.comp_length, velocity + 4, spread=0.5)
    else:
        for pos, gap in zip(strikes, gaps):
            for pitch in voicing:
                performer.played(track, pitch, plan.bar, pos, gap * parts.comp_length, velocity)


def stab(performer: Performer, track: str, root_pc: int, at: float, velocity: float) -> None:
    """A stop-time stab on a cut off the beat: root, fifth and octave from the comping range's floor."""
    low = KEYS_RANGE[0] + (root_pc - KEYS_RANGE[0]) % 12
    for pitch in (low, low + 7, low + 12):
        performer.note(track, pitch, at, at + 0.25, velocity - 12)


def low_chord(performer: Performer, track: str, root_pc: int, at: float, velocity: float) -> None:
    """Where there is neither kit nor timpani, a cut's hit: root, fifth and octave from C3."""
    low = LOW_CHORD_ROOT + (root_pc - LOW_CHORD_ROOT) % 12
    for pitch in (low, low + 7, low + 12):
        performer.note(track, pitch, at, at + 0.6, velocity - 4)


def final(performer: Performer, track: str, voicing: list[int], start: float, end: float, level: float) -> None:
    """The closing chord, the pedal down on piano-family keys, left to ring."""
    if performer.style.pedal and lookup(track).program in PIANO_PROGRAMS:
        performer.track(track).control_changes.append(pretty_midi.ControlChange(64, 127, start + 0.03))
    for pitch in voicing:
        performer.note(track, pitch, start, end, level - 8)
