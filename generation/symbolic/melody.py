"""Melody: a one-bar motif, developed through four-bar phrases with a contour and a cadence, and the
counter-line that carries interest where the lead rests (and answers it where it sings).

Notes are (bar within the phrase, beat, length in beats, scale degree of the key; 0 = tonic, 7 = its octave).
In a four-bar phrase the motif is stated, sequenced onto the next chord, developed (inverted, or broken into
a fragment that repeats), and closed by a cadence: a half cadence (on the fifth or second degree) where the
phrase is an antecedent, the tonic where it is the answering consequent. Each later phrase of the same kind
varies the statement (another start, another rhythm), so the motif grows rather than repeats. Strong beats
land on chord tones. Pure: the caller draws the random numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autoscore_video.generation.symbolic.harmony import Chord, chord_tones

Note = tuple[int, float, float, int]  # (bar, beat, length, degree)
LEAD_DEGREES = (-2, 10)  # the lead's compass in degrees around the tonic it is written over
COUNTER_DEGREES = (-4, 5)


@dataclass(frozen=True)
class Motif:
    rhythm: tuple[tuple[float, float], ...]  # (beat, length) within one bar
    steps: tuple[int, ...]  # degrees from each note to the next


@dataclass(frozen=True)
class MelodyStyle:
    """A genre's melodic vocabulary: the rhythms its motifs are cut from, the steps and leaps of their contour,
    and where its lead sings."""
    rhythms: tuple[tuple[tuple[float, float], ...], ...]  # one-bar cells of (beat, length)
    steps: tuple[int, ...]  # degrees from note to note, drawn with replacement (0: a repeated note)
    leaps: tuple[int, ...]  # one of these once per motif
    lead_floor: int  # the lead's tonic lies in lead_floor .. lead_floor + 11 (MIDI)


def _cells(*cells: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Cells written as sixteenths: "x" starts a note, "-" holds it, "." rests (one 4/4 bar)."""
    written = []
    for cell in cells:
        notes, start = [], None
        for i, symbol in enumerate(cell + "x"):  # the "x" past the bar closes its last note
            if symbol != "-" and start is not None:
                notes.append((start / 4, (i - start) / 4))
                start = None
            if symbol == "x":
                start = i
        written.append(tuple(notes))
    return tuple(written)


MELODY_STYLES = {
    "pop": MelodyStyle(_cells("x---x-x---x-x---", "x-x---x-x---x---", "x-----x-x---x---", "..x-x---x-x-x---"),
                       steps=(-1, 1, 1, 2, -2, 1), leaps=(3, 4, -3), lead_floor=67),
    "electronic": MelodyStyle(_cells("x-.x-.x-x-.x-.x-", "x--x--x-x--x--x-", "..x-x-x-x---x-x-", "x-x.x-x.x-x.x-x."),
                              steps=(0, 0, 1, -1, 2, -2), leaps=(7, 4, -3), lead_floor=69),
    "rock": MelodyStyle(_cells("x-x-x---x-x-x---", "x---x---x-----x-", "x-x-x-x-x---x---"),
                        steps=(0, -1, 1, -2, 2), leaps=(3, -3, 4), lead_floor=64),
    "lofi": MelodyStyle(_cells("..x---x-x-----x-", "x-----x---x-----", "...x--x---x-----", "x---..x-x-x-----"),
                        steps=(-1, -1, 1, -2, 2), leaps=(3, -4, 5), lead_floor=72),
    "ambient": MelodyStyle(_cells("..x-----x-------", "....x-------x---", "x-----------x---"),  # floats off the bar
                           steps=(2, -2, 3, -1, 1), leaps=(4, -3, 5), lead_floor=72),
    "cinematic": MelodyStyle(_cells("x-----x-x-------", "x-----------x---", "x-------x---x---"),
                             steps=(1, -1, 1, 2, -1), leaps=(4, 3, 5), lead_floor=60),
    "orchestral": MelodyStyle(_cells("x-----x-x---x--x", "x--xx---x-------", "x---x-x-x-------", "x-----xxx---x---"),
                              steps=(1, 1, -1, 2, -2), leaps=(4, 3, 7), lead_floor=62),
}


def make_motif(rng: np.random.Generator, style: MelodyStyle) -> Motif:
    """A one-bar motif in the genre's vocabulary: one of its rhythm cells, a contour of its steps with one of
    its leaps."""
    rhythm = style.rhythms[int(rng.integers(0, len(style.rhythms)))]
    steps = [int(rng.choice(style.steps)) for _ in range(max(1, len(rhythm) - 1))]
    leap = int(rng.integers(0, len(steps)))
    steps[leap] = int(rng.choice(style.leaps))
    return Motif(rhythm=rhythm, steps=tuple(steps))


def _nearest(options: tuple[int, ...], to: int) -> int:
    """The degree among `options` (and their octaves) nearest `to`."""
    candidates = [o + 7 * k for o in options for k in (-2, -1, 0, 1, 2)]
    return min(candidates, key=lambda d: (abs(d - to), d))


def _fit(degree: int, low: int, high: int) -> int:
    while degree > high:
        degree -= 7
    while degree < low:
        degree += 7
    return degree


def _state(motif: Motif, start: int, chord: Chord, bar: int, *, invert: bool = False,
           rhythm: tuple[tuple[float, float], ...] | None = None) -> list[Note]:
    notes, degree = [], start
    rhythm = rhythm or motif.rhythm
    for i, (beat, length) in enumerate(rhythm):
        if i:
            step = motif.steps[(i - 1) % len(motif.steps)]
            degree += -step if invert else step
        if beat in (0.0, 2.0):
            degree = _nearest(chord_tones(chord), degree)
        degree = _fit(degree, *LEAD_DEGREES)
        notes.append((bar, beat, length, degree))
    return notes


def _varied_rhythm(motif: Motif, occurrence: int) -> tuple[tuple[float, float], ...]:
    """The motif's rhythm with its longest note split (odd occurrences) or its last two notes merged."""
    rhythm = list(motif.rhythm)
    if occurrence % 2 and rhythm:
        i = max(range(len(rhythm)), key=lambda k: rhythm[k][1])
        beat, length = rhythm[i]
        if length >= 1.0:
            rhythm[i:i + 1] = [(beat, length / 2), (beat + length / 2, length / 2)]
    elif len(rhythm) > 3:
        beat, _ = rhythm[-2]
        rhythm[-2:] = [(beat, rhythm[-1][0] + rhythm[-1][1] - beat)]
    return tuple(rhythm)


def phrase_lead(motif: Motif, chords: list[Chord], occurrence: int, previous: int) -> list[Note]:
    """The lead over a phrase of len(chords) bars (four-bar groups: antecedent, consequent, ...)."""
    notes: list[Note] = []
    last = previous
    for bar, chord in enumerate(chords):
        within, group = bar % 4, bar // 4
        consequent = group % 2 == 1 or bar == len(chords) - 1  # the phrase's last cadence closes on the tonic
        if within == 0:
            start = _nearest(chord_tones(chord), last + (occurrence % 3) - 1)
            rhythm = _varied_rhythm(motif, occurrence) if occurrence else None
            line = _state(motif, start, chord, bar, rhythm=rhythm)
        elif within == 1:
            start = _nearest(chord_tones(chord), last + (1 if occurrence % 2 else -1))
            line = _state(motif, start, chord, bar, rhythm=_varied_rhythm(motif, occurrence + 1))
        elif within == 2:
            start = _nearest(chord_tones(chord), last)
            if group % 2 == 0:
                line = _state(motif, start, chord, bar, invert=True)
            else:  # the fragment: the motif's first half, twice
                half = [(beat, min(length, 1.0)) for beat, length in motif.rhythm if beat < 2.0]
                twice = tuple(half + [(beat + 2.0, length) for beat, length in half])
                line = _state(motif, start, chord, bar, rhythm=twice)
        else:
            target = 0 if consequent else (4 if occurrence % 2 == 0 else 1)
            target = _fit(_nearest((target,), last), *LEAD_DEGREES)
            approach = _fit(target + (1 if last > target else -1), *LEAD_DEGREES)
            # in the motif's own rhythm: its first note steps in, its second lands and holds
            (first, _), (second, _) = (motif.rhythm + ((motif.rhythm[0][0] + 1.0, 1.0),))[:2]
            line = [(bar, first, second - first, approach), (bar, second, max(1.0, 3.5 - second), target)]
        notes.extend(line)
        last = line[-1][3] if line else last
    return notes


def counter_line(chords: list[Chord], active: bool, previous: int, motif: Motif, answer: bool) -> list[Note]:
    """Guide tones (thirds and sevenths, moving by the smallest step) under the harmony: half notes with a
    passing tone where the counter-line carries the phrase (`active`), whole notes under a lead, and where
    `answer`, a reply to the lead in each cadence bar while it holds its last note."""
    notes: list[Note] = []
    last = previous
    for bar, chord in enumerate(chords):
        guide = _fit(_nearest((chord.degree + 2, chord.degree + 6), last), *COUNTER_DEGREES)
        if active:
            following = chords[bar + 1] if bar + 1 < len(chords) else chord
            target = _nearest(chord_tones(following), guide)
            passing = _fit(guide + (1 if target > guide else -1 if target < guide else 2), *COUNTER_DEGREES)
            upper = _fit(_nearest(chord_tones(chord), guide + 2), *COUNTER_DEGREES)
            notes += [(bar, 0.0, 2.0, guide), (bar, 2.0, 1.0, upper), (bar, 3.0, 1.0, passing)]
        elif answer and bar % 4 == 3:
            notes.append((bar, 0.0, 1.5, guide))
            degree = guide
            for (beat, _), step in zip(motif.rhythm[:3], (0, *motif.steps[:2])):
                degree = _fit(degree - step, *COUNTER_DEGREES)
                notes.append((bar, 2.0 + beat / 2, 0.5, degree))
        else:
            notes.append((bar, 0.0, 4.0, guide))
        last = guide
    return notes
