"""Headroom by design: the symbolic engine takes its own peaks, the kit's on the drum bus and the finished bus's
after it (studio/peaks.py), so the delivery limiter barely touches the accents written for the cuts, and the
music keeps its timing through the limiters' look-ahead."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint, render
from autoscore_video.generation.symbolic.studio import console
from autoscore_video.generation.symbolic.studio.peaks import PeakLimiter
from autoscore_video.scoring.planning.rules import GENRES
from samples.make_samples import ClipSpec, irregular_shots, make_clip
from tests.conftest import run_cli

RATE = 48000


def bursts(seconds: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(2)
    audio = (rng.standard_normal((2, int(seconds * RATE))) * 0.05).astype(np.float32)
    audio[:, 10000:10050] *= 20  # a transient
    audio[:, 30000] = 0.9  # a single-sample spike
    return audio


def limited(audio: np.ndarray, block: int) -> tuple[np.ndarray, PeakLimiter]:
    limiter = PeakLimiter(0.3, RATE)
    pieces = [limiter(audio[:, at:at + block]) for at in range(0, audio.shape[1], block)]
    pieces.append(limiter(np.zeros((2, limiter.delay), dtype=np.float32)))
    return np.concatenate(pieces, axis=1)[:, limiter.delay:], limiter


def test_the_peak_limiter_holds_its_ceiling_touches_only_the_peaks_and_keeps_time():
    audio = bursts()
    out, limiter = limited(audio, 7001)
    assert out.shape == audio.shape
    assert np.abs(out).max() <= 0.3 + 1e-6 and limiter.deepest_db > 9.0
    # away from the peaks (further than the look-ahead and the hold) the signal is untouched, sample for sample
    assert np.array_equal(out[:, :9000], audio[:, :9000]) and np.array_equal(out[:, 12000:29000], audio[:, 12000:29000])


def test_the_peak_limiter_gives_the_same_for_any_blocks():
    audio = bursts()
    whole, _ = limited(audio, audio.shape[1])
    for block in (1, 997, 4096):
        assert np.allclose(limited(audio, block)[0], whole, atol=1e-7), block


def test_the_engine_keeps_its_timing_through_the_look_ahead(tmp_path, monkeypatch):
    """The engine with limiters that never act (but look ahead: their output is late) is the engine with no
    delay in them at all, sample for sample: the kit is read ahead by as much, and the bus's delay is dropped."""
    section = BriefSection(start=0.0, end=8.0, bpm=120.0, key="A", mode="minor", energy=0.7, mood="tense",
                           instrumentation=list(GENRES["pop"]), density=1.0, prompt="test")
    brief = MusicBrief(sections=[section], tempo_map=[TempoPoint(0.0, 120.0)], key="A", mode="minor", energy=0.7,
                       genre="pop", prompt="test", seed=3, target_duration=8.0, cuts_to_hit=[4.0])

    class Idle(PeakLimiter):
        def __init__(self, ceiling, sample_rate):
            super().__init__(None, sample_rate)

    class Instant(Idle):
        delay = 0

        def __call__(self, audio):
            return audio

    monkeypatch.setattr(console, "PeakLimiter", Idle)
    late = soundfile.read(render(brief, tmp_path / "late").audio_path, dtype="float32")[0]
    monkeypatch.setattr(console, "PeakLimiter", Instant)
    plain = soundfile.read(render(brief, tmp_path / "plain").audio_path, dtype="float32")[0]
    assert late.shape == plain.shape and np.abs(plain).max() > 0.01
    assert np.array_equal(late, plain)


def test_a_montage_without_words_loses_at_most_3_db_at_any_cut_hit(tmp_path):
    """Issue 33: the delivery limiter took 6-11 dB off the cut hits; now at most 3 dB at each, as the report
    lists them, with the true peak under the ceiling and the loudness on target."""
    clip = make_clip(tmp_path / "montage.mp4",
                     ClipSpec(shots=irregular_shots(16.0, seed=31, shortest=1.0, longest=2.5), saturation=1.0))
    result = run_cli("score", str(clip), "-o", str(tmp_path / "montage.scored.mp4"), "--genre", "pop", "--json")
    assert result.returncode == 0, result.stderr
    mix = json.loads(result.stdout)["mix"]
    hits = [c["reduction_db"] for c in mix["limiter_at_cuts"]]
    assert len(hits) >= 6
    assert max(hits) <= 3.0, mix["limiter_at_cuts"]
    assert mix["true_peak_db"] <= -1.0 and mix["integrated_lufs"] == pytest.approx(-14.0, abs=0.5)
