"""Ducking: a gain envelope that lowers the music under speech, ramping ahead of each region.

It breathes with the sentences, not with the syllables: pauses shorter than the hold are bridged (the music
stays down between two sentences of one thought), the attack is done by the first word, and the release is
slow and eased, so the music comes back under a long pause without a jump. In a conversation (lines a few
seconds apart at most) it lifts only a little between lines, and comes back fully once the talking stops.
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
                  attack_ms: float, release_ms: float, hold_ms: float = 0.0, start: int = 0) -> np.ndarray:
    """Linear gain per sample: 1 outside speech, -depth_db inside, with eased (raised-cosine) ramps in dB.

    Pauses under `hold_ms` are bridged. The attack ramp ends at the region's start (the regions are known in
    advance, so the music is fully down when the first word starts); the release ramp starts at its end.
    `start`: the first sample's index (an envelope is made a block at a time).
    """
    return region_gain(samples, rate, regions, -depth_db, 0.0, attack_ms, release_ms, hold_ms, start)


def region_gain(samples: int, rate: int, regions: list[tuple[float, float]], inside_db: float, outside_db: float,
                attack_ms: float, release_ms: float, hold_ms: float = 0.0, start: int = 0) -> np.ndarray:
    """Linear gain per sample from `start`: `inside_db` over the regions (pauses under `hold_ms` bridged),
    `outside_db` elsewhere, moving between them on the duck's eased ramps (done by a region's start, from its
    end)."""
    amount = region_amount(samples, rate, held_regions(regions, hold_ms / 1000.0), attack_ms, release_ms, start)
    return gain_from_amount(amount, inside_db, outside_db)


def duck_amount(samples: int, rate: int, held: list[tuple[float, float]], conversation: list[tuple[float, float]],
                depth_db: float, gap_rise_db: float, attack_ms: float, release_ms: float, start: int = 0
                ) -> np.ndarray:
    """`region_amount` over the held regions, and within a conversation (its lines bridged: `conversation`) no
    lower than the share of the duck that leaves the music `gap_rise_db` up: between lines the music rises that
    much at most, and comes back fully only after the conversation."""
    amount = region_amount(samples, rate, held, attack_ms, release_ms, start)
    if depth_db <= 0 or not conversation:
        return amount
    floor = max(0.0, 1.0 - gap_rise_db / depth_db)
    return np.maximum(amount, floor * region_amount(samples, rate, conversation, attack_ms, release_ms, start))


def gap_rises_db(held: list[tuple[float, float]], conversation: list[tuple[float, float]], depth_db: float,
                 gap_rise_db: float, attack_ms: float, release_ms: float) -> list[float]:
    """How far the music rises (dB) in each pause inside a conversation, as the duck plans it."""
    rises = []
    for (_, end), (start, _) in zip(held, held[1:]):
        if not any(a <= end and start <= b for a, b in conversation):
            continue
        points = max(2, int((start - end) * CONTROL_RATE))
        amount = duck_amount(points, CONTROL_RATE, held, conversation, depth_db, gap_rise_db, attack_ms, release_ms,
                             int(end * CONTROL_RATE))
        rises.append(round(depth_db * (1.0 - float(amount.min())), 2))
    return rises


def gain_from_amount(amount: np.ndarray, inside_db: float, outside_db: float) -> np.ndarray:
    """Linear gain per sample from `region_amount`: `inside_db` where it is 1, `outside_db` where it is 0."""
    return (10.0 ** ((outside_db + (inside_db - outside_db) * amount) / 20.0)).astype(np.float32)


def region_amount(samples: int, rate: int, held: list[tuple[float, float]], attack_ms: float, release_ms: float,
                  start: int = 0) -> np.ndarray:
    """Per sample from `start`: 1 inside the (already held) regions, 0 away from them, eased between on the
    duck's ramps. Worked out at CONTROL_RATE points and interpolated, the points fixed in absolute time so that
    blocks join up exactly."""
    first = int(np.floor(start / rate * CONTROL_RATE))
    last = int(np.ceil((start + samples) / rate * CONTROL_RATE)) + 1
    t = np.arange(first, last) / CONTROL_RATE
    attack, release = max(attack_ms / 1000.0, 1e-3), max(release_ms / 1000.0, 1e-3)
    amount = np.zeros(len(t))  # 0 = outside, 1 = inside
    for region_start, region_end in held:
        if region_end + release < t[0] or region_start - attack > t[-1]:
            continue
        rising = np.clip((t - (region_start - attack)) / attack, 0.0, 1.0)
        falling = np.clip(1.0 - (t - region_end) / release, 0.0, 1.0)
        amount = np.maximum(amount, np.minimum(rising, falling))
    amount = 0.5 - 0.5 * np.cos(np.pi * amount)  # eased: no corner where a ramp starts or ends
    sample_times = (start + np.arange(samples)) / rate
    return np.interp(sample_times, t, amount)


class LevelInsideOutside:
    """RMS level (dBFS) of a signal inside the regions and outside them (before `exclude_after`, and `guard`
    seconds before and after each region away from it: the ramps are neither), fed a block at a time."""

    def __init__(self, rate: int, regions: list[tuple[float, float]], exclude_after: float | None = None,
                 guard: tuple[float, float] = (0.0, 0.0)):
        self.rate, self.regions, self.exclude_after, self.guard = rate, regions, exclude_after, guard
        self.sums = [0.0, 0.0]  # inside, outside
        self.counts = [0, 0]

    def add(self, block: np.ndarray, start: int) -> None:
        mono = block.mean(axis=1) if block.ndim == 2 else block
        rate, n = self.rate, len(mono)
        inside = np.zeros(n, dtype=bool)
        near = np.zeros(n, dtype=bool)
        for region_start, region_end in self.regions:
            lo, hi = int((region_start - self.guard[0]) * rate), int((region_end + self.guard[1]) * rate)
            if hi <= start or lo >= start + n:
                continue
            inside[max(0, int(region_start * rate) - start):max(0, int(region_end * rate) - start)] = True
            near[max(0, lo - start):max(0, hi - start)] = True
        outside = ~near
        if self.exclude_after is not None:
            outside[max(0, int(self.exclude_after * rate) - start):] = False
        for i, mask in enumerate((inside, outside)):
            self.sums[i] += float(np.sum(np.square(mono[mask], dtype=np.float64)))
            self.counts[i] += int(mask.sum())

    def result(self) -> tuple[float | None, float | None]:
        inside, outside = (None if count == 0 else (10.0 * float(np.log10(total / count)) if total > 0 else -200.0)
                           for total, count in zip(self.sums, self.counts))
        return inside, outside


def level_inside_outside(audio: np.ndarray, rate: int, regions: list[tuple[float, float]],
                         exclude_after: float | None = None, guard: tuple[float, float] = (0.0, 0.0)
                         ) -> tuple[float | None, float | None]:
    """RMS level (dBFS) of `audio` inside the regions and outside them (see `LevelInsideOutside`)."""
    level = LevelInsideOutside(rate, regions, exclude_after, guard)
    level.add(audio, 0)
    return level.result()
