"""common/filtering.py: sosfilt as scipy gives it, without subnormal numbers (which made a ring-down about
thirty times slower to filter: a drum between its hits, a strip that stops early in a window)."""
from __future__ import annotations

import numpy as np
from scipy import signal

from autoscore_video.common.filtering import BLOCK, sosfilt
from autoscore_video.generation.symbolic.studio import eq

RATE = 48000
TINY = np.finfo(np.float32).tiny  # the smallest normal float32


def hits(seconds: float = 6.0) -> np.ndarray:
    """Stereo clicks with silence between: what a drum strip is fed."""
    audio = np.zeros((2, int(seconds * RATE)), dtype=np.float32)
    rng = np.random.default_rng(4)
    for at in range(0, audio.shape[1] - 2000, 2 * RATE):
        audio[:, at:at + 2000] = rng.standard_normal((2, 2000)).astype(np.float32) * np.hanning(2000)
    return audio


def sections() -> np.ndarray:
    return np.concatenate([eq.highpass(40, RATE), eq.bell(3000, 4.0, 1.2, RATE), eq.lowpass(9000, RATE),
                           eq.low_shelf(120, 3.0, RATE)])


def test_the_output_is_sosfilts_and_holds_no_subnormal_number():
    audio = hits()
    ours, state = sosfilt(sections(), audio)
    theirs = signal.sosfilt(sections(), audio.astype(np.float64), axis=-1)
    assert ours.dtype == np.float32 and state.dtype == np.float64
    assert np.max(np.abs(ours - theirs)) < 1e-6 * np.max(np.abs(theirs))
    subnormal = lambda a: int(np.count_nonzero((a != 0) & (np.abs(a) < TINY)))  # noqa: E731
    plain = signal.sosfilt(sections().astype(np.float32), audio, axis=-1)  # what the console ran before
    assert subnormal(plain) > 1000 and subnormal(ours) == 0
    assert not state.any()  # rung down to exact rest by the end of the last silence


def test_blocks_in_any_sizes_give_the_whole_and_silence_before_sound_stays_exact_zero():
    audio = hits()
    audio[:, :BLOCK * 3] = 0.0
    whole, _ = sosfilt(sections(), audio)
    cascade = eq.Cascade([sections()])
    parts, at = [], 0
    for size in (1000, BLOCK * 2 + 7, 5, 30_000, audio.shape[1]):
        parts.append(cascade(audio[:, at:at + size]))
        at += size
    assert np.array_equal(np.concatenate(parts, axis=1), whole)
    assert not whole[:, :BLOCK * 3].any() and whole[:, BLOCK * 3:].any()
