"""The tempo map: each section's tempo, and small bounded tempo changes that put hard cuts on beats.

Per section, every base tempo in the search band is tried. For one base tempo the cuts are walked in
order; a cut becomes an anchor (a beat exactly on the cut) when a whole number of beats fits between
it and the previous anchor at a tempo within ±MAX_DEVIATION of the base and within ±MAX_STEP of the
tempo before it, so the groove drifts by small steps and never lurches. Among the counts that fit,
the one that puts the cut on a downbeat wins unless it bends the tempo noticeably more. A cut that
fits nowhere is left off the grid (it may still fall near a beat). The base tempo with the best
score (cuts hit, downbeats hit, little bending, close to what the rules asked for) is kept.

A section starts with a downbeat on its first cut (the first section on the clip's first cut, the
music's pick-up bars before it starting mid-bar); the bar before a section change may be short. After
its last anchor a section keeps the tempo it reached. Cuts the grid misses are the composer's to mark
with an accent (generation/symbolic/accents.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from autoscore_video.common.beat_hits import count_hits
from autoscore_video.generation import TempoPoint

MAX_DEVIATION = 0.06  # a span between anchors runs at most 6% off its section's base tempo
MAX_STEP = 0.03  # and at most 3% off the span before it: a tempo change within a section is never a lurch
STEP_BPM = 0.5  # base tempi tried
DOWNBEAT_BONUS = 0.3  # a cut on a downbeat counts this much more than one on another beat
BEND_COST = 5.0  # per anchored span, per unit of relative tempo change
DRIFT_COST = 1.0  # per cut, per unit of log distance from the tempo the rules asked for


@dataclass
class Span:
    start: float
    end: float
    beats: int

    @property
    def bpm(self) -> float:
        return 60.0 * self.beats / (self.end - self.start)


@dataclass
class SectionTempo:
    start: float
    end: float
    base_bpm: float
    first_downbeat: float  # the section's first bar line (its start, or the clip's first cut)
    spans: list[Span] = field(default_factory=list)
    score: float = 0.0

    def points(self, beats_per_bar: int, lead_in: bool) -> list[TempoPoint]:
        base = self.base_bpm
        points = []
        if lead_in:  # whole bars before the first cut, starting at or before 0
            period = 60.0 / base
            bars = math.ceil(round(self.first_downbeat / (period * beats_per_bar), 9))
            points.append(TempoPoint(time=self.first_downbeat - bars * beats_per_bar * period, bpm=base, bar=True))
        points.append(TempoPoint(time=self.first_downbeat, bpm=self.spans[0].bpm if self.spans else base, bar=True))
        for span in self.spans[1:]:
            if abs(span.bpm - points[-1].bpm) > 1e-9:
                points.append(TempoPoint(time=span.start, bpm=span.bpm))
        return points

    @property
    def tail_bpm(self) -> float:
        """The tempo after the last anchor: the one the section reached."""
        return self.spans[-1].bpm if self.spans else self.base_bpm


def fit_section(start: float, end: float, cuts: list[float], target_bpm: float, band: tuple[float, float],
                beats_per_bar: int, first: bool, last: bool, max_deviation: float = MAX_DEVIATION) -> SectionTempo:
    """The best base tempo in `band` (both ends included) and its anchored spans for one section.

    `cuts` are the cuts strictly inside the section; a section that is not the last must end on a
    beat (the next section's first downbeat). `max_deviation` 0 keeps the tempo exactly constant
    (a tempo the user fixed)."""
    low, high = band
    steps = max(0, int(math.floor((high - low) / STEP_BPM + 1e-9)))
    candidates = sorted({round(low + i * STEP_BPM, 3) for i in range(steps + 1)} | {round(high, 3)})
    if first and cuts:
        first_downbeat, cuts = cuts[0], cuts[1:]
        counted = 1  # the first cut is on a downbeat by construction
    else:
        first_downbeat, counted = start, 0
    best = None
    for bpm in candidates:
        spans = _anchor(first_downbeat, cuts, end, 60.0 / bpm, beats_per_bar, close=not last, bound=max_deviation)
        fit = SectionTempo(start=start, end=end, base_bpm=bpm, first_downbeat=first_downbeat, spans=spans)
        hits, downbeat_hits = _hits(fit, cuts, beats_per_bar)
        bend = sum(abs(60.0 / bpm * s.beats / (s.end - s.start) - 1.0) for s in spans)
        if spans and not last:
            bend += abs(spans[-1].bpm / bpm - 1.0)  # the next section starts from the tempo this one reached
        fit.score = (counted + hits + DOWNBEAT_BONUS * (counted + downbeat_hits) - BEND_COST * bend
                     - DRIFT_COST * abs(math.log(bpm / target_bpm)) * max(1, len(cuts)))
        if best is None or fit.score > best.score + 1e-9:
            best = fit
    assert best is not None  # candidates always holds the band's ends
    return best


def _anchor(first_downbeat: float, cuts: list[float], end: float, period: float, beats_per_bar: int,
            close: bool, bound: float) -> list[Span]:
    spans: list[Span] = []
    anchor, phase = first_downbeat, 0

    def previous() -> float:
        return (spans[-1].end - spans[-1].start) / spans[-1].beats if spans else period

    step = MAX_STEP if bound > 0 else 0.0
    for cut in cuts:
        beats = _best_count(cut - anchor, period, phase, beats_per_bar, DOWNBEAT_BONUS, bound, previous(), step)
        if beats is not None:
            spans.append(Span(anchor, cut, beats))
            anchor, phase = cut, (phase + beats) % beats_per_bar
    if not close:
        return spans
    while True:  # the section's end must be a beat: give up anchors until the last stretch fits
        beats = _best_count(end - anchor, period, phase, beats_per_bar, 1.0, MAX_DEVIATION, previous(), MAX_STEP)
        if beats is not None or not spans:
            break
        dropped = spans.pop()
        anchor, phase = dropped.start, (phase - dropped.beats) % beats_per_bar
    if beats is None:  # a section too short for any count within bounds: the nearest count, bent
        beats = max(1, round((end - anchor) / period))
    spans.append(Span(anchor, end, beats))
    return spans


def _best_count(gap: float, period: float, phase: int, beats_per_bar: int, downbeat_bonus: float,
                bound: float, previous: float, step: float) -> int | None:
    """The number of beats to put in `gap`: within `bound` of the base period and `step` of the `previous`
    span's, on a downbeat if that is cheap."""
    if gap <= 0:
        return None
    best, best_value = None, -math.inf
    lowest = max(1, math.floor(gap / (period * (1 + bound))))
    for beats in range(lowest, math.ceil(gap / (period * (1 - bound))) + 1):
        deviation = gap / (beats * period) - 1.0
        if abs(deviation) > bound + 1e-6 or abs(gap / (beats * previous) - 1.0) > step + 1e-6:
            continue
        value = (downbeat_bonus if (phase + beats) % beats_per_bar == 0 else 0.0) - BEND_COST * abs(deviation)
        if value > best_value:
            best, best_value = beats, value
    return best


def section_beats(fit: SectionTempo, beats_per_bar: int) -> tuple[np.ndarray, np.ndarray]:
    """(beat times, downbeat flags) of the section from its first downbeat to its end."""
    times, flags, phase = [], [], 0
    for span in fit.spans:
        step = (span.end - span.start) / span.beats
        for i in range(span.beats):
            times.append(span.start + i * step)
            flags.append(phase == 0)
            phase = (phase + 1) % beats_per_bar
    t = fit.spans[-1].end if fit.spans else fit.first_downbeat
    period = 60.0 / fit.tail_bpm
    while t <= fit.end + 1e-9:
        times.append(t)
        flags.append(phase == 0)
        phase = (phase + 1) % beats_per_bar
        t += period
    return np.asarray(times), np.asarray(flags, dtype=bool)


def _hits(fit: SectionTempo, cuts: list[float], beats_per_bar: int) -> tuple[int, int]:
    if not cuts:
        return 0, 0
    times, flags = section_beats(fit, beats_per_bar)
    return hits_on_grid(cuts, times, times[flags])


def hits_on_grid(cuts: list[float], beats: np.ndarray, downbeats: np.ndarray) -> tuple[int, int]:
    """(cuts on a beat, cuts on a downbeat)."""
    return count_hits(cuts, beats), count_hits(cuts, downbeats)
