"""The pure parts of musical fit: the beat grid of a tempo map, the tempo fit, sections, the warp, TBIoU."""
from __future__ import annotations

import numpy as np
import pytest

from autoscore_video.common.beat_hits import HIT_TOLERANCE_S, count_hits, distances_to_nearest
from autoscore_video.generation import TempoPoint
from autoscore_video.generation.beats import measure_beats
from autoscore_video.generation.tempo import beat_grid, mean_bpm
from autoscore_video.mixing.align import apply_warp, plan_warp
from autoscore_video.scoring.job.evaluate import cut_hits, tbiou, tempo_error
from autoscore_video.scoring.planning.sections import optimal_partition
from autoscore_video.scoring.planning.tempo_map import (
    MAX_DEVIATION,
    MAX_STEP,
    fit_section,
    hits_on_grid,
    section_beats,
)


def test_grid_follows_tempo_changes_and_restarts_bars():
    restart = 3.0 + 60 / 90
    tempo_map = [TempoPoint(-1.0, 120.0, bar=True), TempoPoint(3.0, 90.0), TempoPoint(restart, 100.0, bar=True)]
    grid = beat_grid(tempo_map, 8.0, 4)
    beats = grid.beats
    assert beats[0] == -1.0 and np.allclose(np.diff(beats[:9]), 0.5)  # -1 .. 3 at 120
    # one beat at 90 BPM, then a new bar: the bar that began at 3.0 is one beat long
    assert np.allclose(grid.downbeats[:4], [-1.0, 1.0, 3.0, restart])
    assert grid.bar_length(2) == 1 and grid.bar_length(3) == 4
    assert np.allclose(np.diff(beats[beats >= restart - 1e-9]), 0.6)
    assert grid.downbeats[-1] > 8.0  # the grid closes the last bar past `until`
    assert mean_bpm(grid, restart, 8.0) == pytest.approx(100.0)


def test_a_point_between_beats_takes_effect_on_the_next_beat():
    grid = beat_grid([TempoPoint(0.0, 120.0), TempoPoint(1.2, 60.0, bar=True)], 6.0, 4)
    assert np.allclose(grid.beats[:5], [0.0, 0.5, 1.0, 1.5, 2.5])
    assert 1.5 in grid.downbeats.tolist()


@pytest.mark.parametrize("gap, target", [(4.0, 100.0), (2.0, 116.0), (1.0, 132.0), (0.5, 140.0)])
def test_regular_cuts_are_all_anchored(gap, target):
    cuts = [gap * i for i in range(1, int(24 / gap))]
    fit = fit_section(0.0, 24.0, cuts, target, (target / 1.15, target * 1.15), 4, first=True, last=True)
    times, flags = section_beats(fit, 4)
    hits, _ = hits_on_grid(cuts[1:], times, times[flags])
    assert hits == len(cuts) - 1  # the first cut is the first downbeat by construction
    for span in fit.spans:
        assert abs(span.bpm / fit.base_bpm - 1) <= MAX_DEVIATION + 1e-9


def test_irregular_cuts_bend_the_tempo_in_small_steps_only():
    """Cuts 0.6-1.2 s apart: no steady tempo hits them all, and the map does not lurch to try."""
    rng = np.random.default_rng(4)
    cuts = list(np.cumsum(rng.uniform(0.6, 1.2, 30)))
    fit = fit_section(0.0, cuts[-1] + 1.0, cuts, 128.0, (128 / 1.15, 128 * 1.15), 4, first=True, last=True)
    times, _ = section_beats(fit, 4)
    periods = np.diff(times)
    assert np.max(np.abs(periods[1:] / periods[:-1] - 1)) <= MAX_STEP + 1e-6
    assert all(abs(span.bpm / fit.base_bpm - 1) <= MAX_DEVIATION + 1e-6 for span in fit.spans)


def test_a_section_that_is_not_last_ends_on_a_beat():
    cuts = [1.3, 2.9, 4.1, 6.6]
    fit = fit_section(0.0, 8.0, cuts, 110.0, (96.0, 126.0), 4, first=False, last=False)
    times, _ = section_beats(fit, 4)
    assert np.min(np.abs(times - 8.0)) < 1e-9
    assert fit.spans[-1].end == 8.0


def test_fixed_tempo_is_never_bent():
    cuts = [1.1, 2.6, 4.4, 7.0]
    fit = fit_section(0.0, 10.0, cuts, 100.0, (100.0, 100.0), 4, first=True, last=True, max_deviation=0.0)
    assert fit.base_bpm == 100.0
    assert all(span.bpm == pytest.approx(100.0) for span in fit.spans)


def test_optimal_partition_finds_the_change_and_respects_the_minimum():
    rows = np.array([[0.0]] * 8 + [[3.0]] * 8)
    weights = np.full(16, 2.0)  # 16 shots of 2 s
    assert optimal_partition(rows, weights, 8.0, 16.0) == [(0, 8), (8, 16)]
    assert optimal_partition(rows, weights, 40.0, 16.0) == [(0, 16)]  # too short for two sections
    uniform = np.zeros((16, 1))
    assert optimal_partition(uniform, weights, 8.0, 16.0) == [(0, 16)]


def _click_track(period: float, seconds: float, rate: int = 22050) -> np.ndarray:
    audio = np.zeros(int(seconds * rate), dtype=np.float32)
    click = (np.hanning(200) * np.sin(np.arange(200) * 0.6)).astype(np.float32)
    for t in np.arange(0.25, seconds - 0.1, period):
        audio[int(t * rate):int(t * rate) + 200] += click
    return np.stack([audio, audio], axis=1)


def test_warp_moves_measured_beats_onto_cuts_within_the_bound():
    rate = 22050
    audio = _click_track(0.5, 31.0, rate)
    tempo, beats, downbeats = measure_beats(audio.mean(axis=1), rate, 120.0)
    assert tempo == pytest.approx(120.0, rel=0.01)
    cuts = [2.13, 4.91, 6.97, 10.12, 12.66, 15.02, 18.41, 20.3, 23.77, 26.01]
    before, _, _ = cut_hits(cuts, beats, downbeats)
    warp = plan_warp(beats, cuts, max_stretch=0.08, tolerance_s=HIT_TOLERANCE_S, available_s=1.0)
    assert warp.max_stretch <= 0.08
    warped, moved = apply_warp(audio, rate, warp, beats, downbeats)
    _, remeasured, redown = measure_beats(warped.mean(axis=1), rate, 120.0)
    after, _, _ = cut_hits(cuts, remeasured, redown)
    assert before <= 0.5 and after >= 0.9, (before, after)
    src, dst = warp.anchors[-1]
    assert len(warped) / rate == pytest.approx(31.0 - warp.trim_s + dst - src, abs=0.02)  # the tail keeps its speed
    assert moved.beats and all(b >= 0 for b in moved.beats)


def test_tbiou_and_tempo_error():
    assert tbiou([1.0, 2.0], [1.0, 2.0], 0.5) == 1.0
    assert tbiou([1.0, 2.0], [1.1, 1.5, 2.0, 3.0], 0.5) == pytest.approx(2 / 4)
    assert tbiou([1.0], [1.4], 0.5) == 0.0  # outside half the window
    assert tempo_error(60.0, 120.0) == 0.0 and tempo_error(123.0, 120.0) == pytest.approx(0.025)


def test_a_cut_is_on_a_beat_within_the_one_tolerance():
    beats = [1.0, 2.0, 3.0]
    assert count_hits([1.0 + HIT_TOLERANCE_S, 2.0 - HIT_TOLERANCE_S], beats) == 2  # the edge counts
    assert count_hits([1.0 + HIT_TOLERANCE_S + 0.001, 3.5], beats) == 0
    assert count_hits([0.5, 3.2], []) == 0 and count_hits([], beats) == 0
    assert distances_to_nearest([0.0, 2.4, 9.0], [3.0, 1.0, 2.0]) == pytest.approx([1.0, 0.4, 6.0])
    assert distances_to_nearest([1.2], [1.0]) == pytest.approx([0.2])
