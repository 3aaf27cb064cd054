"""The tonal match (generation/symbolic/studio/tone.py): the bus brought to its genre's band shares, the same
whatever blocks it comes in, and the consonants' band left to the words under speech."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile

from autoscore_video.common.sound_profile import band_shares
from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint, render
from autoscore_video.generation.symbolic.studio import eq
from autoscore_video.generation.symbolic.studio.presets import PRODUCTIONS
from autoscore_video.generation.symbolic.studio.tone import (
    MATCHED,
    LongTermSpectrum,
    TonalTarget,
    ToneMatch,
    band_filters,
    matching_gains,
    shares,
)
from autoscore_video.scoring.planning.rules import GENRES

RATE = 48000


def pink(seconds: float, seed: int = 1) -> np.ndarray:
    """(2, samples) of independent pink noise per channel."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    spectrum = rng.standard_normal((2, n // 2 + 1)) + 1j * rng.standard_normal((2, n // 2 + 1))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / RATE), 1.0))
    audio = np.fft.irfft(spectrum, n, axis=1)
    return (audio / np.abs(audio).max() * 0.3).astype(np.float32)


def test_the_long_term_spectrum_does_not_depend_on_the_blocks():
    audio = pink(6.0)
    whole, pieces = LongTermSpectrum(RATE), LongTermSpectrum(RATE)
    whole.feed(audio)
    for start in range(0, audio.shape[1], 7001):
        pieces.feed(audio[:, start:start + 7001])
    assert np.allclose(whole.power, pieces.power, rtol=1e-5)


@pytest.mark.parametrize("genre", sorted(GENRES))
def test_the_match_brings_noise_to_each_genres_target(genre):
    """Pink noise through the solved filters lands on the genre's target, band by band (within 0.02), but for a
    band whose filter sits at its limit (pink noise is far brighter than any target): that one is as near as
    the limit allows, below the target for a boost and above it for a cut."""
    target = PRODUCTIONS[genre].tone
    audio = pink(8.0)
    spectrum = LongTermSpectrum(RATE)
    spectrum.feed(audio)
    match = ToneMatch(spectrum, target, [], RATE)
    assert np.all(match.gains_db <= 6.0 + 1e-6) and np.all(match.gains_db >= -15.0 - 1e-6)
    out = match(0, audio.shape[1], audio)
    measured = band_shares(out.T, RATE)
    low = sum(measured[f"{a}-{b}"] for a, b in MATCHED)
    got = np.array([measured[f"{a}-{b}"] / low for a, b in MATCHED])
    wanted = np.array(target.shares)
    free = (match.gains_db < 6.0 - 0.01) & (match.gains_db > -15.0 + 0.01)
    assert np.allclose(got[free], wanted[free], atol=0.02), (genre, got.round(3), wanted, match.gains_db)
    assert np.all(got[match.gains_db <= -15.0 + 0.01] >= wanted[match.gains_db <= -15.0 + 0.01] - 0.02)


def test_a_band_the_bank_cannot_fill_goes_to_the_body_not_the_mids():
    """No energy under 60 Hz at all: the sub's share is given to 60-250 Hz, and the mids stay on target."""
    frequencies = np.fft.rfftfreq(8192, 1 / RATE)
    power = np.where(frequencies < 60, 0.0, 1.0 / np.maximum(frequencies, 1.0))
    target = TonalTarget((0.30, 0.40, 0.12, 0.15, 0.03), "a test")
    gains = matching_gains(frequencies, power, target, RATE)

    response = eq.response_db(band_filters(gains, RATE), frequencies, RATE)
    got = shares(frequencies, power * 10 ** (response / 10))
    assert got[0] < 0.01 and got[3] == pytest.approx(0.15, abs=0.01) and got[1] == pytest.approx(0.70, abs=0.02)


def test_under_speech_the_consonant_band_is_lowered_and_only_there():
    """2-5 kHz 5 dB or more lower under the words than in the same music without them; below 1 kHz and away from
    the words, the same."""
    from scipy.signal import butter, sosfilt

    audio = pink(6.0)
    spectrum = LongTermSpectrum(RATE)
    spectrum.feed(audio)
    target = PRODUCTIONS["pop"].tone
    plain = ToneMatch(spectrum, target, [], RATE)(0, audio.shape[1], audio)
    spoken = ToneMatch(spectrum, target, [(2.0, 4.0)], RATE)(0, audio.shape[1], audio)

    def level(x, band, a, b):
        filtered = sosfilt(butter(4, band, btype="bandpass", fs=RATE, output="sos"), x[:, int(a * RATE):int(b * RATE)])
        return 10 * np.log10(np.mean(filtered ** 2))

    presence, low = (2000, 5000), (100, 1000)
    assert level(plain, presence, 2.5, 3.5) - level(spoken, presence, 2.5, 3.5) >= 5.0
    assert abs(level(plain, low, 2.5, 3.5) - level(spoken, low, 2.5, 3.5)) < 0.5
    assert abs(level(plain, presence, 0.5, 1.5) - level(spoken, presence, 0.5, 1.5)) < 0.1


def test_a_rendered_underscore_under_words_keeps_out_of_the_consonants(tmp_path):
    """A rock piece (its guitars the brightest part we play) with words over most of it: 2-6 kHz at most 0.04 of
    its energy, where it is 0.10 at most without them."""
    section = BriefSection(start=0.0, end=20.0, bpm=120.0, key="A", mode="minor", energy=0.7, mood="tense",
                           instrumentation=list(GENRES["rock"]), density=1.0, prompt="test")

    def piece(speech, folder):
        brief = MusicBrief(sections=[section], tempo_map=[TempoPoint(0.0, 120.0)], key="A", mode="minor", energy=0.7,
                           genre="rock", prompt="test", seed=3, target_duration=20.0, cuts_to_hit=[4.0, 12.0],
                           speech=speech)
        audio, rate = soundfile.read(render(brief, tmp_path / folder).audio_path, dtype="float32")
        return band_shares(audio, rate)["2000-6000"]

    assert piece([], "plain") <= 0.10
    assert piece([(1.0, 19.5)], "spoken") <= 0.04
