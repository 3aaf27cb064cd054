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


COLOUR_STEPS = {  # scale steps above the chord's root
    "": (0, 2, 4), "7": (0, 2, 4, 6), "9": (0, 2, 4, 6, 8), "add9": (0, 2, 4, 8), "sus2": (0, 1, 4), "sus4": (0, 3, 4),
}


def chord(tonic: int, mode: str, degree: int, colour: str = "", *, dominant: bool = False) -> list[int]:
    """Pitch classes of the diatonic chord on `degree` with `colour` (see COLOUR_STEPS), root first."""
    pcs = [degree_pitch(tonic, mode, degree + step, 0) % 12 for step in COLOUR_STEPS[colour]]
    if dominant and mode == "minor" and degree % 7 == 4:  # the leading tone in v, wherever it sits
        leading = (degree_pitch(tonic, mode, degree + 2, 0) % 12)
        pcs = [(pc + 1) % 12 if pc == leading else pc for pc in pcs]
    return pcs


def spread(pcs: list[int], root_low: int, root_high: int) -> list[int]:
    """An open voicing: the root in [root_low, root_high], then the fifth (or what stands for it) above it, then
    the third and the colours an octave higher, so no two voices crowd within a third in the low register."""
    root = root_low + (pcs[0] - root_low) % 12
    if root > root_high:
        root -= 12
    notes = [root]
    rest = pcs[1:]
    fifth = (pcs[0] + 7) % 12
    if fifth in rest:
        notes.append(root + 7)
        rest = [pc for pc in rest if pc != fifth]
    current = notes[-1] + 5
    for pc in rest:
        current += (pc - current) % 12
        notes.append(current)
    return notes


def avoid_unisons(voicing: list[int], taken: set[int], low: int, high: int) -> list[int]:
    """`voicing` with any pitch another part already plays moved by an octave, within [low, high] if it can be."""
    moved = []
    for pitch in voicing:
        if pitch in taken:
            pitch = pitch + 12 if pitch + 12 <= high and pitch + 12 not in taken else pitch - 12
            if pitch < low or pitch in taken:
                continue  # the other part has this voice already
        moved.append(pitch)
    return moved


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
