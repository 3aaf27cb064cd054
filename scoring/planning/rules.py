"""Every rule that maps video features to musical choices, in one place. User overrides win over all.

| feature                         | drives                          | rule                                        |
|---------------------------------|---------------------------------|---------------------------------------------|
| cut rate (cuts per minute)      | BPM                             | `bpm_for`: interpolated band table, mood-capped |
| BPM asked + mood                | tempo search band               | `tempo_band`: ±15%, inside the mood's band   |
| saturation + cut rate           | energy 0..1                     | `energy_for`: mean of the two, normalised    |
| subtitle sentiment + energy     | mood, then mode                 | `mood_for`, `MOODS`                          |
| speech ratio                    | arrangement density             | `density_for`: more speech, sparser          |
| energy + mood                   | genre, then instrumentation     | `genre_for`, `GENRES`                        |
| seed + mode                     | key                             | `key_for`                                    |
| all of the above                | prompt text                     | `prompt_for` template                        |
"""
from __future__ import annotations

import math
import random

import numpy as np

from autoscore_video.common.errors import InputError

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

GENRES = {
    "ambient": ["warm pad", "piano", "acoustic bass", "light percussion", "vibraphone"],
    "cinematic": ["slow strings", "piano", "cello", "light percussion", "french horn"],
    "lofi": ["electric piano", "warm pad", "finger bass", "drums", "vibraphone"],
    "pop": ["piano", "strings", "finger bass", "drums", "flute"],
    "electronic": ["synth pad", "electric piano", "synth bass", "drums", "saw lead"],
    "rock": ["overdriven guitar", "organ", "picked bass", "drums", "distortion guitar"],
    "orchestral": ["strings", "brass", "cello", "drums", "french horn"],
}

MAJOR_KEYS = ("C", "G", "D", "F", "A", "E", "Bb")
MINOR_KEYS = ("A", "E", "D", "B", "C", "G", "F#")


def bpm_for(cut_rate_per_min: float, mood: str) -> float:
    xs, ys = zip(*BPM_TABLE)
    bpm = float(np.interp(cut_rate_per_min, xs, ys))
    _, _, floor, ceiling = MOODS[mood]
    return float(round(min(max(bpm, floor), ceiling)))


TEMPO_SEARCH = 0.15  # the tempo that best fits the cuts is looked for within ±15% of the BPM asked


def tempo_band(bpm: float, mood: str) -> tuple[float, float]:
    _, _, floor, ceiling = MOODS[mood]
    return max(floor, bpm / (1 + TEMPO_SEARCH)), min(ceiling, bpm * (1 + TEMPO_SEARCH))


def energy_for(saturation_mean: float, cut_rate_per_min: float) -> float:
    saturation_term = min(max((saturation_mean - 0.1) / 0.5, 0.0), 1.0)
    cut_term = min(max(math.log1p(cut_rate_per_min) / math.log1p(60.0), 0.0), 1.0)
    return round(0.5 * saturation_term + 0.5 * cut_term, 3)


def mood_for(sentiment: float | None, energy: float) -> str:
    if sentiment is not None and sentiment >= 0.3:
        return "joyful" if energy >= 0.55 else "uplifting"
    if sentiment is not None and sentiment <= -0.3:
        return "tense" if energy >= 0.55 else "melancholic"
    if energy >= 0.6:
        return "driving"
    return "calm" if energy < 0.35 else "reflective"


def mode_for(mood: str) -> str:
    return MOODS[mood][0]


def shifted_energy(energy: float, mood: str) -> float:
    return round(min(max(energy + MOODS[mood][1], 0.0), 1.0), 3)


def density_for(speech_ratio: float) -> float:
    return round(min(max(1.0 - 1.2 * speech_ratio, 0.2), 1.0), 3)


def genre_for(energy: float, mood: str) -> str:
    if mood in ("melancholic", "reflective") and energy < 0.5:
        return "cinematic"
    if energy < 0.35:
        return "ambient"
    return "pop" if energy < 0.65 else "electronic"


def key_for(mode: str, seed: int) -> str:
    keys = MAJOR_KEYS if mode == "major" else MINOR_KEYS
    return random.Random(seed).choice(keys)


def energy_word(energy: float) -> str:
    return "low" if energy < 0.35 else ("medium" if energy < 0.65 else "high")


def prompt_for(mood: str, genre: str, bpm: float, key: str, mode: str, instruments: list[str], energy: float) -> str:
    return (f"{mood} {genre} instrumental, {bpm:.0f} BPM, {key} {mode}, "
            f"{', '.join(instruments)}, {energy_word(energy)} energy")


def check_mood(mood: str) -> str:
    if mood not in MOODS:
        raise InputError(f"unknown mood {mood!r} (choose {', '.join(MOODS)})")
    return mood


def check_genre(genre: str) -> str:
    if genre not in GENRES:
        raise InputError(f"unknown genre {genre!r} (choose {', '.join(GENRES)})")
    return genre


def check_bpm(bpm: float) -> float:
    if not 40.0 <= bpm <= 240.0:
        raise InputError(f"BPM {bpm} is outside 40..240")
    return float(bpm)
