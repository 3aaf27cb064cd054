"""The harmony a piece is written in: progressions as data, per mood and genre, and the phrase's chord per bar.

A chord is a scale degree of the key (0 = tonic) and where it comes from: the key's own mode, or the parallel
mode it is borrowed from (bVI, bVII and iv in a major key; IV and the major I in a minor one). A section has
two progressions, A and B, drawn from its family by the seed; an eight-bar phrase states its progression,
then answers it with a cadence (antecedent, consequent), so no phrase is a four-chord loop played twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.generation.symbolic import theory


@dataclass(frozen=True)
class Chord:
    degree: int  # scale degree, 0 = tonic
    borrowed: bool = False  # from the parallel mode (major ↔ minor)


def _c(*degrees: int | str) -> tuple[Chord, ...]:
    """Degrees as ints, borrowed ones as "b" + degree: _c(0, "b6", 3, 0) is I bVII IV I in a major key."""
    return tuple(Chord(int(d[1:]), True) if isinstance(d, str) else Chord(d) for d in degrees)


# family → progressions of four bars. Major: I=0 ii=1 iii=2 IV=3 V=4 vi=5; borrowed b3=bIII b5=bVI b6=bVII b3=iv.
PROGRESSIONS = {
    ("major", "bright"): (_c(0, 4, 5, 3), _c(0, 3, 5, 4), _c(5, 3, 0, 4), _c(0, 2, 3, 4), _c(3, 0, 4, 5),
                          _c(0, 5, 1, 4)),
    ("major", "calm"): (_c(0, 3, 0, 4), _c(0, 5, 3, 4), _c(0, 2, 5, 3), _c(3, "b3", 0, 0), _c(0, "b5", "b6", 0),
                        _c(0, 4, 5, 2)),
    ("major", "jazz"): (_c(1, 4, 0, 5), _c(0, 5, 1, 4), _c(3, 2, 1, 4), _c(3, "b3", 2, 5)),
    ("major", "rock"): (_c(0, "b6", 3, 0), _c(0, 3, 4, 3), _c(5, 3, 0, 4), _c(0, "b2", "b6", 3)),
    ("major", "epic"): (_c(0, "b5", "b6", 0), _c(5, 3, 0, 4), _c(0, 2, 3, "b3")),
    # Minor: i=0 ii°=1 III=2 iv=3 v=4 VI=5 VII=6; borrowed b3 = IV (dorian), b0 = I (picardy).
    ("minor", "dark"): (_c(0, 5, 2, 6), _c(0, 3, 5, 4), _c(0, 5, 3, 4), _c(0, 6, 5, 6), _c(0, 2, 6, 3)),
    ("minor", "calm"): (_c(0, 5, 2, 6), _c(0, 3, 0, 4), _c(5, 6, 0, 0), _c(0, 2, 3, 5), _c(0, "b3", 0, 6)),
    ("minor", "jazz"): (_c(3, 6, 2, 5), _c(1, 4, 0, 0), _c(0, 3, 6, 2)),
    ("minor", "rock"): (_c(0, 6, 5, 6), _c(0, 2, 6, 3), _c(0, 5, 6, 0)),
    ("minor", "epic"): (_c(0, 5, 2, 6), _c(0, 5, 3, 4), _c(5, 2, 6, 0)),
}

# How a phrase's second half closes: the third and fourth chords (a half cadence ends on V, a full one on I).
CADENCES = {"major": (_c(3, 4), _c(1, 4), _c(3, "b3"), _c(5, 4)), "minor": (_c(3, 4), _c(5, 4), _c(5, 6))}

def family(mode: str, genre_family: str | None, mood: str) -> str:
    """The genre's own family, else one for the mood."""
    if genre_family is not None:
        return genre_family
    if mood in ("calm", "reflective", "melancholic"):
        return "calm"
    return "bright" if mode == "major" else "dark"


def progressions(mode: str, genre_family: str | None, mood: str, seed: int, section: int
                 ) -> tuple[tuple[Chord, ...], ...]:
    """The section's A and B progressions: two different ones of its family, drawn by the seed."""
    options = PROGRESSIONS[(mode, family(mode, genre_family, mood))]
    first = (seed + 3 * section) % len(options)
    second = (first + 1 + (seed // 7) % (len(options) - 1)) % len(options)
    return options[first], options[second]


def phrase_chord(progression: tuple[Chord, ...], mode: str, bar: int, length: int, seed: int) -> Chord:
    """The chord of `bar` in a phrase of `length` bars on `progression`: the progression, then in an eight-bar
    phrase's second half its first two chords and a cadence."""
    if length >= 8 and bar % 8 >= 4 and bar % 4 >= 2:
        cadence = CADENCES[mode][(seed + bar // 8) % len(CADENCES[mode])]
        return cadence[bar % 4 - 2]
    return progression[bar % 4]


def pitch_classes(tonic: int, mode: str, chord: Chord, colour: str, *, dominant: bool = False) -> list[int]:
    """The chord's pitch classes, root first (theory.chord in the key's mode, or the parallel one)."""
    source = ("minor" if mode == "major" else "major") if chord.borrowed else mode
    return theory.chord(tonic, source, chord.degree, colour, dominant=dominant or (chord.degree == 4 and not
                                                                                   chord.borrowed))


def chord_tones(chord: Chord) -> tuple[int, ...]:
    """Scale degrees (of the key) a melody may rest on over `chord`: root, third, fifth."""
    return tuple(chord.degree + step for step in (0, 2, 4))
