"""The bass: the genre's line on the chord's root (a tonic pedal under intros and breakdowns, the dominant's
driving into a build's cut), the bar's last note held to the chord change where the genre plays legato, a sine
an octave under its roots where the style has a sub."""
from __future__ import annotations

from autoscore_video.generation.symbolic import theory
from autoscore_video.generation.symbolic.grooves import onsets, pick
from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import Bar
from autoscore_video.generation.symbolic.style import accent

BASS_ROOT = 36  # C2: the bass's roots lie in C2..B2, a sub octave in C1..B1 (33-62 Hz)
SUB_TRACK = "sub: sub bass"
HELD_OVER_S = 0.02  # a held note overlaps the next by this much: legato, no gap at the change


def play(performer: Performer, bar: Bar, track: str) -> None:
    parts, plan, bpb, tonic = bar.parts, bar.plan, performer.bar_beats, bar.tonic
    if plan.phrase in ("pickup", "intro", "breakdown"):
        root_pc = tonic  # a pedal point: the tonic under whatever the harmony does
        pattern = parts.light_bass
    elif plan.phrase == "build":
        root_pc = theory.degree_pitch(tonic, bar.section.mode, 4, 0) % 12  # the dominant's pedal, into the cut
        pattern = "x.x.x.x.x.x.x.x."
    else:
        root_pc = bar.pcs[0]
        pattern = parts.light_bass if bar.light else pick(parts.bass, plan.phrase_bar)
    root = BASS_ROOT + (root_pc - BASS_ROOT) % 12
    third = root + (bar.pcs[1] - root_pc) % 12 if len(bar.pcs) > 1 else root + 4
    fifth = root + 7 if root + 7 <= 55 else root - 5
    notes = [(pos, symbol) for pos, symbol in onsets(pattern) if pos < bpb]
    for i, (pos, symbol) in enumerate(notes):
        following = notes[i + 1][0] if i + 1 < len(notes) else float(bpb)
        pitch = {"5": fifth, "8": root + 12, "3": third}.get(symbol, root)
        start = performer.time(plan.bar, pos, spread=0.5)
        held = 1.0 if parts.bass_holds and i == len(notes) - 1 else parts.bass_legato
        end = performer.grid.time(plan.bar, pos + (following - pos) * held) + (HELD_OVER_S if held == 1.0 else 0.0)
        velocity = bar.level - 6 + accent(pos % bpb) / 2
        performer.note(track, pitch, start, end, velocity, jitter=2)
        if performer.style.sub_octave and pitch == root:
            performer.note(SUB_TRACK, pitch - 12, start, end, velocity)


def final(performer: Performer, track: str, tonic: int, start: float, end: float, level: float) -> None:
    """The closing tonic (and its sub octave), left to ring."""
    root = BASS_ROOT + (tonic - BASS_ROOT) % 12
    performer.note(track, root, start, end, level - 4)
    if performer.style.sub_octave:
        performer.note(SUB_TRACK, root - 12, start, end, level - 4)
