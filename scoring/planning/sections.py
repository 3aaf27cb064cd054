"""Musical sections: the video's shots grouped where its character changes, no section shorter than a few bars.

Each shot (the span between two hard cuts) is described by four numbers on comparable scales: how fast
the cutting is around it (log2 of cuts per minute), its colour saturation, how much of it is speech,
and the sentiment of its subtitles. Sections are the grouping of consecutive shots that minimises the
duration-weighted spread of those numbers inside each group plus a fixed price per section (optimal
partitioning, solved exactly by dynamic programming). Boundaries fall on cuts, so the music changes where the
picture does, and where the words turn the mood (word_mood.py): a long stretch of strongly positive or negative
lines starts a section of its own, at a cut near it where there is one.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from autoscore_video.analysis import VideoFeatures
from autoscore_video.scoring.planning.word_mood import mood_boundaries, sentiment_stretches

MIN_SECTION_S = 8.0  # four bars at 120 BPM: the shortest span that sounds like a section, not a hiccup
SECTION_PRICE = 16.0  # spread (scaled units² × seconds) a new section must remove to be worth it
# One unit on each scale is a clear change: cutting twice as fast, saturation +0.3 (shots of one scene
# differ by less), speech over half the shot instead of none, sentiment moved by 0.5.
UNMEASURED_BRIGHTNESS = 0.5
UNMEASURED_WARMTH = 0.0
SCALES = {"log2_cut_rate": 1.0, "saturation": 0.3, "speech": 0.5, "sentiment": 0.5}


@dataclass
class SectionSpan:
    start: float
    end: float
    cut_rate_per_min: float  # cuts inside the span (its own first cut excluded) per minute
    saturation: float
    brightness: float  # mean HSV value, 0..1 (0.5 where it was not measured)
    warmth: float  # colour temperature, -1 (blue) .. 1 (orange) (0 where it was not measured)
    speech_ratio: float
    sentiment: float | None  # None where no subtitle in the span (or the clip) was scored


def shot_bounds(cuts: list[float], duration: float) -> list[float]:
    return [0.0, *[c for c in cuts if 0.0 < c < duration], duration]


def find_sections(features: VideoFeatures, min_section_s: float = MIN_SECTION_S,
                  price: float = SECTION_PRICE) -> list[SectionSpan]:
    duration = features.duration
    cues = features.subtitles.cues
    turns = mood_boundaries(sentiment_stretches(cues), cues, features.cuts.times, duration)
    bounds = shot_bounds(sorted(set(features.cuts.times) | set(turns)), duration)
    shots = list(zip(bounds[:-1], bounds[1:]))
    rows = np.array([_shot_vector(features, index, bounds) for index in range(len(shots))])
    weights = np.array([end - start for start, end in shots])
    # the words' turns are boundaries the partition must keep: each stretch between them is partitioned alone
    fixed = [0, *[bounds.index(t) for t in turns], len(shots)]
    groups = []
    for first, last in zip(fixed[:-1], fixed[1:]):
        groups += [(first + a, first + b) for a, b in
                   optimal_partition(rows[first:last], weights[first:last], min_section_s, price)]
    return [describe(features, bounds[first], bounds[last]) for first, last in groups]


def _shot_vector(features: VideoFeatures, index: int, bounds: list[float]) -> list[float]:
    """Shot `index`'s four numbers, scaled. Cut rate is read over the shot and its neighbours, so one
    odd shot in steady cutting does not look like a change of pace."""
    start, end = bounds[index], bounds[index + 1]
    lo, hi = bounds[max(0, index - 1)], bounds[min(len(bounds) - 1, index + 2)]
    shots_around = min(index + 2, len(bounds) - 1) - max(0, index - 1)
    rate = shots_around / max(hi - lo, 1e-3) * 60.0
    span = describe(features, start, end)
    sentiment = span.sentiment if span.sentiment is not None else (features.subtitles.mean_sentiment or 0.0)
    return [math.log2(max(rate, 1.0)) / SCALES["log2_cut_rate"], span.saturation / SCALES["saturation"],
            span.speech_ratio / SCALES["speech"], sentiment / SCALES["sentiment"]]


def optimal_partition(rows: np.ndarray, weights: np.ndarray, min_weight: float, price: float
                      ) -> list[tuple[int, int]]:
    """Contiguous groups [first, last) of `rows` minimising Σ weighted squared spread + price per group,
    each group weighing at least `min_weight` (one group when the whole weighs less)."""
    n = len(rows)
    cum_w = np.concatenate([[0.0], np.cumsum(weights)])
    cum_x = np.vstack([np.zeros(rows.shape[1]), np.cumsum(rows * weights[:, None], axis=0)])
    cum_xx = np.concatenate([[0.0], np.cumsum(np.sum(rows ** 2, axis=1) * weights)])
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    back = np.zeros(n + 1, dtype=int)
    for end in range(1, n + 1):
        starts = np.arange(end)
        w = cum_w[end] - cum_w[starts]
        allowed = (w >= min_weight - 1e-9) & np.isfinite(best[starts])
        if not allowed.any():
            continue
        sx = cum_x[end] - cum_x[starts]
        spread = cum_xx[end] - cum_xx[starts] - np.sum(sx ** 2, axis=1) / np.maximum(w, 1e-12)
        total = np.where(allowed, best[starts] + spread + price, np.inf)
        back[end] = int(np.argmin(total))
        best[end] = total[back[end]]
    if not np.isfinite(best[n]):
        return [(0, n)]
    groups, end = [], n
    while end > 0:
        groups.append((back[end], end))
        end = back[end]
    return groups[::-1]


def describe(features: VideoFeatures, start: float, end: float) -> SectionSpan:
    length = max(end - start, 1e-6)
    cuts = features.cuts.times
    inside = bisect.bisect_left(cuts, end) - bisect.bisect_right(cuts, start)
    saturation = features.saturation.series.mean_between(start, end)
    brightness = _colour_between(features.brightness, start, end, UNMEASURED_BRIGHTNESS)
    warmth = _colour_between(features.warmth, start, end, UNMEASURED_WARMTH)
    speech = sum(max(0.0, min(end, r.end) - max(start, r.start)) for r in features.speech.regions)
    scored = [(min(end, c.end) - max(start, c.start), c.sentiment) for c in features.subtitles.cues
              if c.sentiment is not None and c.end > start and c.start < end]
    weight = sum(w for w, _ in scored)
    sentiment = sum(w * s for w, s in scored) / weight if weight > 0 else None
    return SectionSpan(start=start, end=end, cut_rate_per_min=inside / length * 60.0,
                       saturation=saturation if saturation is not None else features.saturation.mean,
                       brightness=brightness, warmth=warmth,
                       speech_ratio=min(1.0, speech / length), sentiment=sentiment)


def _colour_between(colour, start: float, end: float, unmeasured: float) -> float:
    if colour is None:
        return unmeasured
    value = colour.series.mean_between(start, end)
    return value if value is not None else colour.mean
