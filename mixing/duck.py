"""Ducking: a gain envelope that lowers the music under speech, ramping ahead of each region.

It breathes with the sentences, not with the syllables: pauses shorter than the hold are bridged (the music
stays down between two sentences of one thought), the attack is done by the first word, and the release is
slow and eased, so the music comes back under a long pause without a jump.
"""
from __future__ import annotations

import math

import numpy as np

from autoscore_video.common.spans import merge_spans

CONTROL_RATE = 1000  # envelope points per second before interpolation to the audio rate


def held_regions(regions: list[tuple[float, float]], hold_s: float) -> list[tuple[float, float]]:
    """`regions` with every pause shorter than `hold_s` filled: the spans the music stays down over."""
    return merge_spans(regions, bridge_s=hold_s, lo=-math.inf)


def duck_envelope(samples: int, rate: int, regions: list[tuple[float, float]], depth_db: float,
                  attack_ms: float, release_ms: float, hold_ms: float = 0.0) -> np.ndarray:
    """Linear gain per sample: 1 outside speech, -depth_db inside, with eased (raised-cosine) ramps in dB.

    Pauses under `hold_ms` are bridged. The attack ramp ends at the region's start (the regions are known in
    advance, so the music is fully down when the first word starts); the release ramp starts at its end.
    """
    return region_gain(samples, rate, regions, -depth_db, 0.0, attack_ms, release_ms, hold_ms)


def region_gain(samples: int, rate: int, regions: list[tuple[float, float]], inside_db: float, outside_db: float,
                attack_ms: float, release_ms: float, hold_ms: float = 0.0) -> np.ndarray:
    """Linear gain per sample: `inside_db` over the regions (pauses under `hold_ms` bridged), `outside_db`
    elsewhere, moving between them on the duck's eased ramps (done by a region's start, from its end)."""
    points = int(np.ceil(samples / rate * CONTROL_RATE)) + 1
    t = np.arange(points) / CONTROL_RATE
    attack, release = max(attack_ms / 1000.0, 1e-3), max(release_ms / 1000.0, 1e-3)
    amount = np.zeros(points)  # 0 = no duck, 1 = full depth
    for start, end in held_regions(regions, hold_ms / 1000.0):
        rising = np.clip((t - (start - attack)) / attack, 0.0, 1.0)
        falling = np.clip(1.0 - (t - end) / release, 0.0, 1.0)
        amount = np.maximum(amount, np.minimum(rising, falling))
    amount = 0.5 - 0.5 * np.cos(np.pi * amount)  # eased: no corner where a ramp starts or ends
    gain_db = outside_db + (inside_db - outside_db) * amount
    sample_times = np.arange(samples) / rate
    return (10.0 ** (np.interp(sample_times, t, gain_db) / 20.0)).astype(np.float32)


def level_inside_outside(audio: np.ndarray, rate: int, regions: list[tuple[float, float]],
                         exclude_after: float | None = None, guard: tuple[float, float] = (0.0, 0.0)
                         ) -> tuple[float | None, float | None]:
    """RMS level (dBFS) of `audio` inside the regions and outside them (before `exclude_after`, and `guard`
    seconds before and after each region away from it: the ramps are neither)."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    inside = np.zeros(len(mono), dtype=bool)
    near = np.zeros(len(mono), dtype=bool)
    for start, end in regions:
        inside[max(0, int(start * rate)):max(0, int(end * rate))] = True
        near[max(0, int((start - guard[0]) * rate)):max(0, int((end + guard[1]) * rate))] = True
    outside = ~near
    if exclude_after is not None:
        outside[int(exclude_after * rate):] = False
    return _db(mono[inside]), _db(mono[outside])


def _db(x: np.ndarray) -> float | None:
    if x.size == 0:
        return None
    power = float(np.mean(np.square(x, dtype=np.float64)))
    return 10.0 * np.log10(power) if power > 0 else -200.0
