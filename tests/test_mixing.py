"""Mixing pieces on synthetic signals: exact length, ducking envelope, loudness and true peak."""
from __future__ import annotations

import numpy as np
import pytest

from autoscore_video.common.errors import InputError
from autoscore_video.mixing import settings_for_preset
from autoscore_video.mixing.duck import duck_envelope
from autoscore_video.mixing.fit import fade_start, fit_to_length
from autoscore_video.mixing.loudness import integrated_lufs, limit_true_peak, true_peak_db
from autoscore_video.mixing.mixdown import normalise

RATE = 48000


def tone(seconds: float, amplitude: float = 0.5, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    mono = amplitude * np.sin(2 * np.pi * freq * t)
    return np.stack([mono, mono], axis=1).astype(np.float32)


def test_fit_cuts_to_the_exact_sample_count_and_fades_from_a_bar_line():
    music = tone(20.0)
    downbeats = [i * 2.0 for i in range(11)]
    out = fit_to_length(music, RATE, downbeats, 13.37, max_fade_s=3.0)
    assert len(out) == round(13.37 * RATE)
    assert fade_start(downbeats, 13.37, 3.0) == 12.0
    assert np.max(np.abs(out[: 12 * RATE - 10])) == pytest.approx(0.5, abs=1e-3)
    assert np.max(np.abs(out[-100:])) < 0.01


def test_fit_extends_short_music_by_whole_bars():
    music = tone(6.0)
    out = fit_to_length(music, RATE, [0.0, 2.0, 4.0, 6.0], 15.0, max_fade_s=2.0)
    assert len(out) == 15 * RATE
    assert np.sqrt(np.mean(out[8 * RATE:12 * RATE] ** 2)) > 0.3  # looped, not silence


def test_duck_envelope_is_down_by_the_depth_inside_regions_and_ramps_outside():
    env = duck_envelope(10 * RATE, RATE, [(2.0, 4.0)], depth_db=20.0, attack_ms=100, release_ms=500)
    db = 20 * np.log10(env)
    assert db[int(2.0 * RATE):int(4.0 * RATE)].max() == pytest.approx(-20.0, abs=0.01)
    assert db[int(1.0 * RATE)] == pytest.approx(0.0, abs=1e-6)
    assert -20 < db[int(1.95 * RATE)] < 0  # attack ramps ahead of the region
    assert -20 < db[int(4.25 * RATE)] < 0  # release ramps after it
    assert db[int(5.0 * RATE)] == pytest.approx(0.0, abs=1e-6)


def test_limiter_holds_true_peak_under_the_ceiling():
    x = tone(10.0, amplitude=0.3)
    x[3 * RATE:3 * RATE + 2400] *= 4.0  # a loud burst
    x[6 * RATE + 17] = 1.4  # a single-sample spike
    assert true_peak_db(x) > 2.0
    result = limit_true_peak(x, RATE, -1.0)
    assert true_peak_db(result.audio) <= -1.0 + 1e-3
    assert result.true_peak_db == pytest.approx(true_peak_db(result.audio))
    assert result.reduction_db > 3.0
    # away from the burst the signal is untouched
    assert np.allclose(result.audio[RATE:2 * RATE], x[RATE:2 * RATE])


@pytest.mark.parametrize("preset, target", [("default", -14.0), ("tiktok", -14.0), ("broadcast", -23.0)])
def test_normalise_lands_on_the_target_after_limiting(preset, target):
    rng = np.random.default_rng(0)
    mix = (rng.standard_normal((10 * RATE, 2)) * 0.05).astype(np.float32)
    mix[::RATE // 4] = 0.9  # clicks that the limiter must take down
    settings = settings_for_preset(preset)
    limited, stem, _, measured = normalise(mix, mix.copy(), RATE, settings)
    assert integrated_lufs(limited.audio, RATE) == pytest.approx(target, abs=0.2)
    assert measured == pytest.approx(integrated_lufs(limited.audio, RATE))
    assert true_peak_db(limited.audio) <= -1.0 + 1e-3
    assert true_peak_db(stem) <= -1.0 + 1e-3


def test_unknown_preset_is_refused():
    with pytest.raises(InputError, match="preset"):
        settings_for_preset("cinema")


def test_true_peaks_in_blocks_equal_one_oversampling_of_the_whole_track():
    """The peaks are oversampled a block at a time (a long track's 4x copy would not fit in memory); the
    blocks overlap, so each value is bit for bit the one a single pass over the whole track gives."""
    from scipy.signal import resample_poly

    from autoscore_video.mixing.loudness import PEAK_BLOCK, sample_peaks

    rng = np.random.default_rng(7)
    for samples in (10, PEAK_BLOCK - 1, PEAK_BLOCK + 1, 3 * PEAK_BLOCK + 12345):
        audio = (rng.standard_normal((samples, 2)) * 0.4).astype(np.float32)
        audio[samples // 2] = 0.99  # a lone spike right where a block may end
        left, right = (np.abs(resample_poly(audio[:, c], 4, 1)).reshape(-1, 4).max(axis=1) for c in (0, 1))
        assert np.array_equal(sample_peaks(audio), np.maximum(left, right)), samples
        assert np.array_equal(sample_peaks(audio[:, 0]), left), samples
