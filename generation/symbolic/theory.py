"""Keys, scales, diatonic chords and progressions: the harmony the symbolic engine composes with."""
from __future__ import annotations

from autoscore_video.common.errors import InputError

PITCH_CLASSES = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
                 "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}

# Progressions as scale degrees (0 = tonic), one chord per bar, looped per four-bar phrase.
PROGRESSIONS = {
    "major": {
        "bright": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 4)),
        "calm": ((0, 3, 0, 4), (0, 5, 3, 4), (0, 3, 5, 4)),
    },
    "minor": {
        "dark": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 5, 6, 4)),
        "calm": ((0, 5, 3, 6), (0, 3, 0, 5), (0, 6, 5, 6)),
    },
}


def tonic_pitch_class(key: str) -> int:
    try:
        return PITCH_CLASSES[key.strip()]
    except KeyError:
        raise InputError(f"unknown key {key!r} (use a note name such as C, F#, Bb)") from None


def scale(mode: str) -> tuple[int, ...]:
    try:
        return SCALES[mode]
    except KeyError:
        raise InputError(f"unknown mode {mode!r} (use major or minor)") from None


def degree_pitch(tonic: int, mode: str, degree: int, octave: int) -> int:
    """MIDI pitch of scale `degree` (may exceed 6 or be negative) with the tonic in `octave`."""
    steps = scale(mode)
    octave_shift, index = divmod(degree, 7)
    return 12 * (octave + 1 + octave_shift) + tonic + steps[index]


def triad(tonic: int, mode: str, degree: int, *, dominant: bool = False) -> list[int]:
    """Pitch classes of the diatonic triad on `degree`; `dominant` raises the third of v in minor."""
    pcs = [degree_pitch(tonic, mode, degree + step, 0) % 12 for step in (0, 2, 4)]
    if dominant and mode == "minor" and degree % 7 == 4:
        pcs[1] = (pcs[1] + 1) % 12
    return pcs


def progression(mode: str, energy: float, choice: int) -> tuple[int, ...]:
    family = ("bright" if energy >= 0.4 else "calm") if mode == "major" else ("dark" if energy >= 0.4 else "calm")
    options = PROGRESSIONS[mode][family]
    return options[choice % len(options)]


def voice(pcs: list[int], previous: list[int] | None, low: int, high: int) -> list[int]:
    """Place pitch classes `pcs` in [low, high], as close as possible to the previous voicing."""
    candidates = []
    for inversion in range(len(pcs)):
        ordered = pcs[inversion:] + pcs[:inversion]
        for base in range(low, high - 11):
            notes, current = [], base - 1
            for pc in ordered:
                current += (pc - current) % 12 or 12
                notes.append(current)
            if notes[0] >= low and notes[-1] <= high:
                candidates.append(notes)
    if not candidates:
        return [low + (pc - low) % 12 for pc in pcs]
    centre = sum(previous) / len(previous) if previous else (low + high) / 2
    return min(candidates, key=lambda n: (abs(sum(n) / len(n) - centre), n[0]))
