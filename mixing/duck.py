"""Ducking: a gain envelope that lowers the music under speech, ramping ahead of each region."""
from __future__ import annotations

import numpy as np

CONTROL_RATE = 1000  # envelope points per second before interpolation to the audio rate


def duck_envelope(samples: int, rate: int, regions: list[tuple[float, float]], depth_db: float,
                  attack_ms: float, release_ms: float) -> np.ndarray:
    """Linear gain per sample: 1 outside speech, -depth_db inside, with linear-in-dB ramps.

    The attack ramp ends at the region's start (the regions are known in advance, so the music is
    fully down when the first word starts); the release ramp starts at the region's end.
    """
    points = int(np.ceil(samples / rate * CONTROL_RATE)) + 1
    t = np.arange(points) / CONTROL_RATE
    attack, release = max(attack_ms / 1000.0, 1e-3), max(release_ms / 1000.0, 1e-3)
    amount = np.zeros(points)  # 0 = no duck, 1 = full depth
    for start, end in regions:
        rising = np.clip((t - (start - attack)) / attack, 0.0, 1.0)
        falling = np.clip(1.0 - (t - end) / release, 0.0, 1.0)
        amount = np.maximum(amount, np.minimum(rising, falling))
    gain_db = -depth_db * amount
    sample_times = np.arange(samples) / rate
    return (10.0 ** (np.interp(sample_times, t, gain_db) / 20.0)).astype(np.float32)


def level_inside_outside(audio: np.ndarray, rate: int, regions: list[tuple[float, float]],
                         exclude_after: float | None = None) -> tuple[float | None, float | None]:
    """RMS level (dBFS) of `audio` inside the regions and outside them (before `exclude_after`)."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    inside = np.zeros(len(mono), dtype=bool)
    for start, end in regions:
        inside[int(start * rate):int(end * rate)] = True
    outside = ~inside
    if exclude_after is not None:
        outside[int(exclude_after * rate):] = False
    return _db(mono[inside]), _db(mono[outside])


def _db(x: np.ndarray) -> float | None:
    if x.size == 0:
        return None
    power = float(np.mean(np.square(x, dtype=np.float64)))
    return 10.0 * np.log10(power) if power > 0 else -200.0
