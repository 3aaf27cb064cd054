"""Every rule that maps video features to musical choices, in one place. User overrides win over all.

| feature                         | drives                          | rule                                        |
|---------------------------------|---------------------------------|---------------------------------------------|
| cut rate (cuts per minute)      | BPM                             | `bpm_for`: interpolated band table, mood-capped |
| BPM asked + genre's range       | half- or double-time feel       | `felt_tempo`: into the genre's range          |
| BPM asked + mood + genre        | tempo search band               | `tempo_band`: ±15%, inside both bands         |
| saturation + cut rate           | energy 0..1                     | `energy_for`: mean of the two, normalised    |
| subtitle sentiment, else brightness + warmth, else energy | mood, then mode | `mood_for`, `MOODS`       |
| speech ratio                    | arrangement density             | `density_for`: more speech, sparser          |
| speech ratio over 60%           | an underscore section           | `UNDERSCORE_SPEECH`, `prompt_for`            |
| energy, mood, saturation, brightness | genre, then instrumentation | `genre_for`, `GENRES`                        |
| a section's mood and energy     | who of the genre's band plays   | `instruments_for`: still or dark, no kit     |
| brightness + seed + mode        | key                             | `key_for`: brighter pictures, sharper keys   |
| mode and energy against the section before | a section's key      | `section_key`: relative key, or a lift of a step |
| cut strength (frame change)     | the cuts the music builds into  | `key_cuts`: section changes and the strongest |
| all of the above                | prompt text                     | `prompt_for` template                        |
"""
from __future__ import annotations

import math
import random

import numpy as np

from autoscore_video.common.errors import InputError
from autoscore_video.generation.symbolic.genres import GENRES as GENRE_RECORDS
from autoscore_video.generation.symbolic.genres import genre as genre_record
from autoscore_video.generation.symbolic.theory import tonic_pitch_class

# cut rate (cuts/min) → BPM, linearly interpolated between the points
BPM_TABLE = ((0.0, 72.0), (4.0, 80.0), (10.0, 92.0), (20.0, 108.0), (40.0, 124.0), (80.0, 140.0))

# mood → (mode, energy shift, BPM floor, BPM ceiling)
MOODS = {
    "joyful": ("major", +0.10, 96.0, 160.0),
    "uplifting": ("major", +0.05, 84.0, 150.0),
    "driving": ("major", +0.10, 100.0, 160.0),
    "calm": ("major", -0.10, 60.0, 100.0),
    "reflective": ("minor", -0.05, 60.0, 110.0),
    "melancholic": ("minor", -0.10, 60.0, 96.0),
    "tense": ("minor", +0.10, 90.0, 160.0),
}

# A genre's band, lively and still, and its tempo range are its record's (generation/symbolic/genres.py).
GENRES = {name: list(record.instruments) for name, record in GENRE_RECORDS.items()}
STILL_ENERGY = 0.3  # under this any section is still
DARK_STILL_ENERGY = 0.6  # a tense section is played still under this (above it: action, not dread)
DARK_MOODS = ("melancholic", "tense")

# Keys around the circle of fifths, flat to sharp: darker pictures get flatter keys, brighter ones sharper.
MAJOR_KEYS = ("Eb", "Bb", "F", "C", "G", "D", "A", "E")
MINOR_KEYS = ("C", "G", "D", "A", "E", "B", "F#")
KEY_CHOICE = 1.5  # keys this many steps of the circle either side of the picture's are drawn from
KEY_CHANGE_ENERGY = 0.25  # a section this much more (less) energetic than the one before lifts (drops) a step


def bpm_for(cut_rate_per_min: float, mood: str) -> float:
    xs, ys = zip(*BPM_TABLE)
    bpm = float(np.interp(cut_rate_per_min, xs, ys))
    _, _, floor, ceiling = MOODS[mood]
    return float(round(min(max(bpm, floor), ceiling)))


TEMPO_SEARCH = 0.15  # the tempo that best fits the cuts is looked for within ±15% of the BPM asked


def tempo_band(bpm: float, mood: str, genre: str) -> tuple[float, float]:
    """Where the tempo is looked for: ±TEMPO_SEARCH of `bpm`, inside the genre's range and the mood's band where
    they hold `bpm` (the genre's range alone where the mood's band does not: a felt half or double time); the
    mood's band alone where the genre's range does not hold it (the cut pace wins)."""
    _, _, floor, ceiling = MOODS[mood]
    low, high = genre_record(genre).tempo
    if low <= bpm <= high:
        if floor <= bpm <= ceiling:
            low, high = max(floor, low), min(ceiling, high)
    else:
        low, high = floor, ceiling
    return max(low, bpm / (1 + TEMPO_SEARCH)), min(high, bpm * (1 + TEMPO_SEARCH))


def felt_tempo(bpm: float, genre: str) -> tuple[float, str]:
    """The BPM a genre plays a cut pace of `bpm` at, and the feel that names it: half of it where the pace is
    past the genre's range ("half-time": the cuts fall on every beat and between them), double where it is
    under ("double-time"), when that lands inside the range; else `bpm` ("")."""
    low, high = genre_record(genre).tempo
    if bpm > high and low <= bpm / 2:
        return bpm / 2, "half-time"
    if bpm < low and bpm * 2 <= high:
        return bpm * 2, "double-time"
    return bpm, ""


def energy_for(saturation_mean: float, cut_rate_per_min: float) -> float:
    saturation_term = min(max((saturation_mean - 0.1) / 0.5, 0.0), 1.0)
    cut_term = min(max(math.log1p(cut_rate_per_min) / math.log1p(60.0), 0.0), 1.0)
    return round(0.5 * saturation_term + 0.5 * cut_term, 3)


STRONG_SENTIMENT = 0.3  # words this positive (negative) decide the mood
GLOOMY_BRIGHTNESS, SUNNY_BRIGHTNESS = 0.35, 0.6  # without strong words, a dark, cool picture reads sad ...
COOL, WARM = -0.03, 0.08  # ... and a bright, warm one happy (warmth: (red - blue) / (red + blue))


def mood_for(sentiment: float | None, energy: float, brightness: float = 0.5, warmth: float = 0.0
             ) -> tuple[str, str]:
    """(mood, the cue that decided it: "words", "picture" or "pace"). Strong words win; else a picture that is
    dark and cool, or bright and warm; else the pace and colour (energy)."""
    lively = energy >= 0.55
    if sentiment is not None and sentiment >= STRONG_SENTIMENT:
        return ("joyful" if lively else "uplifting"), "words"
    if sentiment is not None and sentiment <= -STRONG_SENTIMENT:
        return ("tense" if lively else "melancholic"), "words"
    if brightness < GLOOMY_BRIGHTNESS and warmth <= COOL:
        return ("tense" if lively else "melancholic"), "picture"
    if brightness >= SUNNY_BRIGHTNESS and warmth >= WARM:
        return ("joyful" if lively else "uplifting"), "picture"
    if energy >= 0.6:
        return "driving", "pace"
    return ("calm" if energy < 0.35 else "reflective"), "pace"


def mode_for(mood: str) -> str:
    return MOODS[mood][0]


def is_still(mood: str, energy: float) -> bool:
    """A section the kit and the bright timbres leave: very still, grief at any pace, or tension that is not
    fast (fast, it is action)."""
    return energy < STILL_ENERGY or mood == "melancholic" or (mood in DARK_MOODS and energy < DARK_STILL_ENERGY)


def instruments_for(genre: str, mood: str, energy: float) -> list[str]:
    """Who of the genre's players play a section of this mood and energy."""
    record = genre_record(genre)
    return list(record.still if is_still(mood, energy) else record.instruments)


def shifted_energy(energy: float, mood: str) -> float:
    return round(min(max(energy + MOODS[mood][1], 0.0), 1.0), 3)


def density_for(speech_ratio: float) -> float:
    return round(min(max(1.0 - 1.2 * speech_ratio, 0.2), 1.0), 3)


DARK, MUTED, VIVID = 0.35, 0.38, 0.55  # brightness under DARK is a dark picture; saturation under MUTED, above VIVID


def genre_for(energy: float, mood: str, saturation: float, brightness: float) -> str:
    """Still pictures get a score without a groove (ambient, or cinematic where dark or sad); a moderate pace
    gets orchestral when tense or sad, lofi when washed out, pop otherwise; fast cutting gets electronic when
    the colour is vivid and bright, orchestral when tense, dark and grey, rock otherwise."""
    dark, muted, vivid = brightness < DARK, saturation < MUTED, saturation >= VIVID
    if energy < 0.35:
        return "cinematic" if dark or mood in ("melancholic", "reflective") else "ambient"
    if energy < 0.6:
        if mood in ("tense", "melancholic") or (dark and mood == "reflective"):
            return "orchestral"
        return "lofi" if muted else "pop"
    if mood == "tense" and dark and muted:
        return "orchestral"
    return "electronic" if vivid and not dark else "rock"


def key_for(mode: str, seed: int, brightness: float = 0.5) -> str:
    """A key near the picture's brightness on the circle of fifths, drawn by the seed."""
    keys = MAJOR_KEYS if mode == "major" else MINOR_KEYS
    centre = min(max(brightness, 0.0), 1.0) * (len(keys) - 1)
    near = [key for i, key in enumerate(keys) if abs(i - centre) <= KEY_CHOICE]
    return spelled(tonic_pitch_class(random.Random(seed).choice(near)), mode)


# A key's tonic spelled as its MIDI key signature is (pretty_midi writes the file, and a DAW shows its name):
# "C# minor", not "Db minor", which has no signature of its own.
MAJOR_SPELLING = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
MINOR_SPELLING = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")


def spelled(pitch_class: int, mode: str) -> str:
    return (MINOR_SPELLING if mode == "minor" else MAJOR_SPELLING)[pitch_class % 12]


def section_key(mode: str, previous_key: str, previous_mode: str, energy_change: float) -> str:
    """A section's key after one in `previous_key`/`previous_mode`: the relative key when the mode changes (the
    same notes, another centre), a step up (down) when the energy rises (falls) by KEY_CHANGE_ENERGY, else the
    same key."""
    tonic = tonic_pitch_class(previous_key)
    if mode != previous_mode:
        return spelled(tonic + (-3 if mode == "minor" else 3), mode)
    if energy_change >= KEY_CHANGE_ENERGY:
        return spelled(tonic + 2, mode)
    if energy_change <= -KEY_CHANGE_ENERGY:
        return spelled(tonic - 2, mode)
    return spelled(tonic, mode)


KEY_CUT_SPACING_BARS = 4  # the cuts the music builds into are at least this far apart
KEY_CUT_STRENGTH = 1.25  # a cut at least this many times the median cut's strength can be one


def key_cuts(cuts: list[float], strengths: list[float], section_starts: list[float], bar_s: float,
             duration: float) -> list[float]:
    """The cuts that matter most, which the music builds into: every section change, then the strongest cuts
    (by how much the picture changes), strongest first, none closer than KEY_CUT_SPACING_BARS to another, to the
    start or to the end (where the piece is ending, not building)."""
    chosen = [t for t in section_starts if t > 0]
    if len(strengths) == len(cuts) and cuts:
        median = float(np.median(strengths))
        spacing = KEY_CUT_SPACING_BARS * bar_s
        for strength, cut in sorted(zip(strengths, cuts), reverse=True):
            if strength < KEY_CUT_STRENGTH * median or cut < spacing or cut > duration - spacing / 2:
                continue
            if all(abs(cut - other) >= spacing - 1e-6 for other in chosen):
                chosen.append(cut)
    return sorted(chosen)


def energy_word(energy: float) -> str:
    return "low" if energy < 0.35 else ("medium" if energy < 0.65 else "high")


UNDERSCORE_SPEECH = 0.6  # a section with speech over this share of it gets an underscore arrangement


def prompt_for(mood: str, genre: str, bpm: float, key: str, mode: str, instruments: list[str], energy: float,
               underscore: bool = False) -> str:
    if underscore:
        return (f"{mood} {genre} underscore for dialogue, no melody, no drums, soft sustained pads and bass, "
                f"{bpm:.0f} BPM, {key} {mode}, {energy_word(min(energy, 0.3))} energy")
    return (f"{mood} {genre} instrumental, {bpm:.0f} BPM, {key} {mode}, "
            f"{', '.join(instruments)}, {energy_word(energy)} energy")


def check_mood(mood: str) -> str:
    if mood not in MOODS:
        raise InputError(f"unknown mood {mood!r} (choose {', '.join(MOODS)})")
    return mood


def check_genre(genre: str) -> str:
    return genre_record(genre).name


SEED_MAX = 2**32 - 1  # the generators' seeds are unsigned 32-bit


def check_seed(seed: int) -> int:
    if not 0 <= seed <= SEED_MAX:
        raise InputError(f"seed {seed} is outside 0..{SEED_MAX}")
    return int(seed)


def check_bpm(bpm: float) -> float:
    if not 40.0 <= bpm <= 240.0:
        raise InputError(f"BPM {bpm} is outside 40..240")
    return float(bpm)
