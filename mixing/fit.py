"""Fit music to the video's exact length: loop whole bars if short, end on a bar with a fade if long.

The fit is a plan (which spans of the music follow each other, where the fade starts) read a block at a
time, so a long clip's music is never copied whole.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_FINAL_S = 0.5  # a closing fade starts no later than this before the end
RING_BEFORE_FADE_S = 0.5  # the final hit rings this long before the closing fade starts
JOIN_FADE_S = 0.02  # fade-in where looped bars are joined


@dataclass(frozen=True)
class Span:
    start: int  # in the music, samples
    stop: int
    fade_in: bool  # a looped repeat: it fades in over the join


@dataclass(frozen=True)
class FitPlan:
    spans: tuple[Span, ...]  # played one after another; silence after them up to `target`
    target: int  # samples out
    fade_from: int  # the closing fade runs from here to `target`
    join: int  # samples of each repeat's fade-in


def plan_fit(music_samples: int, rate: int, downbeats: list[float], duration: float, max_fade_s: float,
             final_hit: float | None = None) -> FitPlan:
    target = int(round(duration * rate))
    join = max(1, int(JOIN_FADE_S * rate))
    first = int(round(fade_start(downbeats, duration, max_fade_s, final_hit) * rate))
    if music_samples >= target:
        return FitPlan((Span(0, target, False),), target, first, join)
    bars = [int(round(d * rate)) for d in downbeats if 0 <= d * rate <= music_samples]
    if len(bars) < 3 or bars[-1] <= bars[1]:
        return FitPlan((Span(0, music_samples, False),), target, first, join)
    # Repeat the span between the second and the last bar line; the first bar is an intro.
    spans = [Span(0, bars[-1], False)]
    length = bars[-1]
    while length < target:
        spans.append(Span(bars[1], bars[-1], True))
        length += bars[-1] - bars[1]
    return FitPlan(tuple(spans), target, first, join)


def read_fitted(read, plan: FitPlan, start: int, stop: int, channels: int = 2) -> np.ndarray:
    """Samples `start`..`stop` of the fitted music; `read(a, b)` gives the music's samples a..b."""
    out = np.zeros((stop - start, channels), dtype=np.float32)
    at = 0  # where the current span starts in the output
    for span in plan.spans:
        length = span.stop - span.start
        lo, hi = max(start, at), min(stop, at + length)
        if lo < hi:
            piece = read(span.start + lo - at, span.start + hi - at)
            if span.fade_in and lo - at < plan.join:
                ramp = np.linspace(0.0, 1.0, plan.join)[lo - at:min(hi - at, plan.join)]
                piece = piece.copy()
                piece[:len(ramp)] *= ramp[:, None]
            out[lo - start:hi - start] = piece
        at += length
        if at >= stop:
            break
    if stop > plan.fade_from and plan.fade_from < plan.target:
        lo = max(start, plan.fade_from)
        ramp = np.cos(np.linspace(0.0, np.pi / 2, plan.target - plan.fade_from)) ** 2
        out[lo - start:] *= ramp[lo - plan.fade_from:stop - plan.fade_from, None]
    return out


def fit_to_length(music: np.ndarray, rate: int, downbeats: list[float], duration: float,
                  max_fade_s: float) -> np.ndarray:
    """`music` (samples, channels) → exactly round(duration * rate) samples."""
    plan = plan_fit(len(music), rate, downbeats, duration, max_fade_s)
    return read_fitted(lambda a, b: music[a:b], plan, 0, plan.target, music.shape[1])


def fade_start(downbeats: list[float], duration: float, max_fade_s: float, final_hit: float | None = None
               ) -> float:
    """Where the closing fade starts. After music's final hit (`final_hit`, seconds), RING_BEFORE_FADE_S after
    it, or the closing window's start if that is later: the chord's attack and first ring are never faded.
    Without one, the last bar line inside the closing window, or the window's start where none falls in it."""
    earliest = max(0.0, duration - max_fade_s)
    latest = max(0.0, duration - MIN_FINAL_S)
    if final_hit is not None and final_hit < duration:
        return min(max(final_hit + RING_BEFORE_FADE_S, earliest), latest)
    inside = [d for d in downbeats if earliest <= d <= latest]
    return inside[-1] if inside else earliest
