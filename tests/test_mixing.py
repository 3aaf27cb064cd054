"""Mixing pieces on synthetic signals: exact length, ducking envelope, loudness and true peak, each of them
a block at a time as the mixing stage streams them, and the stage itself through the encoder."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile

from autoscore_video.common.errors import InputError
from autoscore_video.mixing import settings_for_preset
from autoscore_video.mixing.blocks import fixed_blocks, with_context
from autoscore_video.mixing.duck import duck_envelope, level_inside_outside, region_gain
from autoscore_video.mixing.fit import fade_start, fit_to_length, plan_fit, read_fitted
from autoscore_video.mixing.loudness import (
    CeilingDips,
    TruePeakMeter,
    integrated_lufs,
    limit_true_peak,
    limiter_context,
    true_peak_db,
)
from autoscore_video.mixing.meter import LoudnessMeter, k_weighting_sos
from tests.measure import ebur128

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
    # music that says where its final chord is struck: the fade waits half a second after it
    assert fade_start(downbeats, 13.37, 3.0, final_hit=11.9) == pytest.approx(12.4)
    assert fade_start(downbeats, 13.37, 3.0, final_hit=8.0) == pytest.approx(13.37 - 3.0)
    assert fade_start(downbeats, 13.37, 3.0, final_hit=13.2) == pytest.approx(13.37 - 0.5)
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


def test_unknown_preset_is_refused():
    with pytest.raises(InputError, match="preset"):
        settings_for_preset("cinema")


@pytest.mark.parametrize("changed", [{"duck_conversation_gap_ms": 300.0}, {"duck_gap_rise_db": -1.0}])
def test_a_conversation_duck_that_cannot_work_is_refused(changed):
    """A conversation gap shorter than the duck's hold (600 ms), or a negative rise in it."""
    from dataclasses import replace

    with pytest.raises(InputError, match="conversation"):
        replace(settings_for_preset("default"), **changed)


def peaky_noise(seconds: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    audio = (rng.standard_normal((int(seconds * RATE), 2)) * 0.1).astype(np.float32)
    audio[::RATE // 3] = 0.95  # clicks for the limiter
    audio[: RATE // 2] *= 0.01  # a quiet start for the gates
    return audio


def test_k_weighting_is_the_standards_filter_at_48k():
    """BS.1770-4 publishes the two stages' coefficients at 48 kHz."""
    sos = k_weighting_sos(48000)
    assert np.allclose(sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285,
                                1.0, -1.69065929318241, 0.73248077421585], atol=1e-10)
    assert np.allclose(sos[1], [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], atol=1e-10)


def test_loudness_in_blocks_is_the_loudness_of_the_whole_and_pyloudnorms():
    import pyloudnorm

    audio = peaky_noise(13.7)
    whole = integrated_lufs(audio, RATE)
    assert whole == pytest.approx(pyloudnorm.Meter(RATE, filter_class="DeMan").integrated_loudness(
        audio.astype(np.float64)), abs=1e-6)
    for size in (1, 4799, 4800, 100_000):
        meter = LoudnessMeter(RATE, 2)
        for start in range(0, len(audio), size if size > 1 else 977):
            meter.add(audio[start:start + (size if size > 1 else 977)])
        assert meter.integrated() == pytest.approx(whole, abs=1e-9), size
    assert integrated_lufs(audio[: int(0.3 * RATE)], RATE) == float("-inf")
    assert integrated_lufs(np.zeros((RATE, 2), np.float32), RATE) == float("-inf")


def test_true_peak_in_blocks_is_the_true_peak_of_the_whole(tmp_path):
    audio = peaky_noise(9.1)
    t = np.arange(RATE) / RATE  # a sine at a quarter of the rate, sampled 45 degrees off its crests
    audio[RATE:2 * RATE, 0] = 0.7 * np.sin(2 * np.pi * RATE / 4 * t + np.pi / 4)
    for size, part in ((5, audio[RATE - 500:RATE + 500]), (12, audio[RATE - 500:RATE + 500]), (65_537, audio)):
        meter = TruePeakMeter(2)
        for start in range(0, len(part), size):
            meter.add(part[start:start + size])
        assert meter.db() == pytest.approx(true_peak_db(part), abs=1e-9), size
    sine = np.repeat(audio[RATE:2 * RATE, :1], 2, axis=1)
    assert 20 * np.log10(np.abs(sine).max()) == pytest.approx(20 * np.log10(0.7) - 3.0, abs=0.05)
    assert true_peak_db(sine) == pytest.approx(20 * np.log10(0.7), abs=0.2)  # the crest between the samples
    soundfile.write(str(tmp_path / "peaks.wav"), audio, RATE, subtype="FLOAT")
    assert true_peak_db(audio) == pytest.approx(ebur128(tmp_path / "peaks.wav")[1], abs=0.15)


def test_true_peak_meter_notes_where_a_signal_goes_over_a_mark():
    audio = np.zeros((10 * RATE, 2), np.float32)
    audio[3 * RATE + 100, 1] = 0.9
    audio[7 * RATE, 0] = 0.5
    meter = TruePeakMeter(2, mark_db=-3.0)
    for start in range(0, len(audio), 12_345):
        meter.add(audio[start:start + 12_345])
    meter.db()
    assert len(meter.spots) == 1
    first, peak = meter.spots[0]
    assert first <= 3 * RATE + 100 < first + 480 and peak == pytest.approx(20 * np.log10(0.9), abs=0.3)


def test_the_limiter_in_blocks_gives_what_limiting_the_whole_gives():
    """The mixing stage limits a block at a time with its neighbours around it: the result is the one
    limiting the whole track at once gives, clicks on the block edges included."""
    audio = peaky_noise(21.3)
    block = 2 * RATE
    audio[block - 3] = 0.99  # a click right at a block edge
    whole = limit_true_peak(audio, RATE, -1.0).audio
    pieces = [limit_true_peak(extended, RATE, -1.0).audio[core]
              for extended, core in with_context(fixed_blocks(iter([audio]), len(audio), block, 2),
                                                 limiter_context(RATE))]
    joined = np.concatenate(pieces)
    assert joined.shape == whole.shape
    assert np.abs(joined - whole).max() <= 1e-6
    assert true_peak_db(joined) <= -1.0 + 1e-3


def test_the_limiter_takes_a_lower_ceiling_where_it_dips():
    audio = peaky_noise(6.0)
    dips = CeilingDips([(2 * RATE, 3.0)])
    curve = dips.curve(-1.0, 0, len(audio))
    limited = limit_true_peak(audio, RATE, -1.0, ceiling=curve).audio
    near = slice(2 * RATE - 480, 2 * RATE + 960)
    assert true_peak_db(limited[near]) <= -4.0 + 0.1
    assert true_peak_db(limited) <= -1.0 + 1e-3
    assert true_peak_db(limited[3 * RATE:]) > -4.0  # elsewhere the ceiling is where it was
    assert dips.curve(-1.0, 4 * RATE, RATE) is None


def test_fitting_a_block_at_a_time_gives_the_whole_fit():
    rng = np.random.default_rng(3)
    music = rng.standard_normal((7 * RATE, 2)).astype(np.float32)
    for duration, downbeats in ((5.3, [0, 2, 4, 6]), (31.7, [0.5, 2.5, 4.5, 6.5]), (12.0, [0, 1.5])):
        whole = fit_to_length(music, RATE, downbeats, duration, 3.0)
        plan = plan_fit(len(music), RATE, downbeats, duration, 3.0)
        blocks = [read_fitted(lambda a, b: music[a:b], plan, start, min(plan.target, start + 77_777))
                  for start in range(0, plan.target, 77_777)]
        assert np.array_equal(np.concatenate(blocks), whole), duration


def test_envelopes_and_levels_a_block_at_a_time_match_the_whole():
    regions = [(1.0, 2.5), (2.8, 4.0), (9.0, 9.6)]
    samples = 11 * RATE
    whole = region_gain(samples, RATE, regions, -10.0, -3.0, 200, 700, 600)
    pieces = [region_gain(min(50_000, samples - s), RATE, regions, -10.0, -3.0, 200, 700, 600, start=s)
              for s in range(0, samples, 50_000)]
    assert np.array_equal(np.concatenate(pieces), whole)
    rng = np.random.default_rng(5)
    audio = rng.standard_normal((samples, 2)).astype(np.float32) * whole[:, None]
    inside, outside = level_inside_outside(audio, RATE, regions, exclude_after=10.0, guard=(0.2, 0.7))
    assert outside - inside == pytest.approx(7.0, abs=0.2)


def test_fixed_blocks_cut_pad_and_stop_their_source():
    closed = []

    def chunks():
        try:
            for _ in range(100):
                yield np.ones((1000, 2), np.float32)
        finally:
            closed.append(True)

    blocks = list(fixed_blocks(chunks(), 4500, 2000, 2))
    assert [len(b) for b in blocks] == [2000, 2000, 500] and closed == [True]
    padded = np.concatenate(list(fixed_blocks(iter([np.ones((700, 2), np.float32)]), 2500, 1000, 2)))
    assert padded.shape == (2500, 2) and padded[:700].min() == 1.0 and padded[700:].max() == 0.0


@pytest.fixture(scope="module")
def mixing_inputs(tmp_path_factory):
    """A 24 s clip whose audio is speech-like bursts over room tone, and a music WAV with hard clicks."""
    from samples.make_samples import ClipSpec, Line, make_clip

    folder = tmp_path_factory.mktemp("mixing")
    video = make_clip(folder / "clip.mp4", ClipSpec(shots=[6.0] * 4, size=(160, 90), audio="tone",
                                                  speech=[Line(3.0, 6.0, "x"), Line(12.0, 15.0, "x")]))
    music = peaky_noise(26.0, seed=11) * 2.0
    soundfile.write(str(folder / "music.wav"), music, RATE, subtype="FLOAT")
    return folder, video, folder / "music.wav"


@pytest.mark.parametrize("preset, target", [("default", -14.0), ("broadcast", -23.0)])
def test_the_mix_lands_on_the_target_through_the_encoder(mixing_inputs, tmp_path, preset, target):
    """The delivered file, read by ffmpeg's EBU R128 meter: on the target, under the ceiling, encoded at most
    twice, and the music ducked under speech."""
    from autoscore_video.mixing.mixdown import MixOutputs, StemTags, mix_and_mux

    _, video, music = mixing_inputs
    outputs = MixOutputs(video=tmp_path / "out.mp4", stem_wav=tmp_path / "stem.wav", stem_mp3=tmp_path / "stem.mp3",
                         work_dir=tmp_path)
    report = mix_and_mux(video, music, duration=24.0, downbeats=[i * 2.0 for i in range(13)],
                         speech_regions=[(3.0, 6.0), (12.0, 15.0)], has_original_audio=True, outputs=outputs,
                         tags=StemTags("t", "a", "c"), settings=settings_for_preset(preset))
    integrated, peak = ebur128(outputs.video)
    assert integrated == pytest.approx(target, abs=0.5)
    assert report.integrated_lufs == pytest.approx(integrated, abs=0.1)
    assert peak <= -1.0 and report.true_peak_db <= -1.0
    assert report.encodes <= 2
    assert report.duck_depth_db == pytest.approx(10.0, abs=2.0)
    stem, rate = soundfile.read(str(outputs.stem_wav))
    assert rate == RATE and len(stem) == 24 * RATE
    assert true_peak_db(stem.astype(np.float32)) <= -1.0 + 1e-3


def test_a_target_out_of_reach_under_the_ceiling_is_said_and_not_chased(mixing_inputs, tmp_path):
    """-6 LUFS with peaky music and dialogue: the limiter may take at most MAX_LIMITING_LU off, the report says
    the target is out of reach and where the mix was aimed, and no encode chases it (the gain ran away to
    +150 dB over three encodes before)."""
    from autoscore_video.mixing.levels import MAX_LIMITING_LU
    from autoscore_video.mixing.mixdown import MixOutputs, StemTags, mix_and_mux
    from autoscore_video.mixing.settings import MixSettings

    _, video, music = mixing_inputs
    outputs = MixOutputs(video=tmp_path / "out.mp4", stem_wav=tmp_path / "stem.wav", stem_mp3=tmp_path / "stem.mp3",
                         work_dir=tmp_path)
    report = mix_and_mux(video, music, duration=24.0, downbeats=[i * 2.0 for i in range(13)],
                         speech_regions=[(3.0, 6.0), (12.0, 15.0)], has_original_audio=True, outputs=outputs,
                         tags=StemTags("t", "a", "c"), settings=MixSettings(target_lufs=-6.0))
    assert any("out of reach" in note for note in report.notes), report.notes
    assert report.encodes == 1 and report.true_peak_db <= -1.0
    assert -6.0 - MAX_LIMITING_LU - 3.0 <= report.integrated_lufs < -6.0
    integrated, _ = ebur128(outputs.video)
    assert report.integrated_lufs == pytest.approx(integrated, abs=0.1)


def test_mixing_memory_does_not_grow_with_the_clip(tmp_path):
    """The stage streams: what it holds at its peak (every Python and NumPy allocation, traced) is the same
    for a 2.5-minute clip as for a 30-second one, and less than one whole track (58 MB at 2.5 minutes)."""
    import tracemalloc

    import scipy.ndimage  # noqa: F401
    import scipy.signal  # noqa: F401

    from autoscore_video.mixing.mixdown import MixOutputs, StemTags, mix_and_mux
    from samples.make_samples import ffmpeg

    peaks = {}
    for minutes in (0.5, 2.5):
        seconds = 60.0 * minutes
        video = tmp_path / f"clip{minutes}.mp4"
        noise = f"anoisesrc=color=pink:amplitude=0.05:duration={seconds}:sample_rate=48000:seed=5"
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=96x64:rate=5:duration={seconds}", "-f", "lavfi", "-i", noise,
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
               str(video))
        music = tmp_path / f"music{minutes}.wav"
        with soundfile.SoundFile(str(music), "w", RATE, 2, subtype="FLOAT") as out:
            for second in range(int(seconds) + 2):  # written a second at a time: the test holds no whole track
                out.write(peaky_noise(1.0, seed=second))
        work = tmp_path / f"work{minutes}"
        work.mkdir()
        outputs = MixOutputs(video=work / "out.mp4", stem_wav=work / "stem.wav", stem_mp3=work / "stem.mp3",
                             work_dir=work)
        speech = [(t, t + 4.0) for t in np.arange(10.0, seconds - 10.0, 30.0)]
        tracemalloc.start()
        try:
            report = mix_and_mux(video, music, duration=seconds, downbeats=[i * 2.0 for i in range(int(seconds) // 2)],
                                 speech_regions=speech, has_original_audio=True, outputs=outputs,
                                 tags=StemTags("t", "a", "c"), settings=settings_for_preset("default"))
            peaks[minutes] = tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()
        assert abs(report.integrated_lufs + 14.0) <= 0.5 and report.true_peak_db <= -1.0
    assert peaks[2.5] <= peaks[0.5] * 1.1 + 2.0, peaks
    assert peaks[2.5] < 58.0, peaks


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov", ".webm"])
def test_the_encoded_mix_is_copied_beside_the_picture_in_sync(tmp_path, suffix):
    """The mix is encoded into a file of its own, then copied beside the picture: a click at 1 s is still at
    1 s, to the sample, once the container is decoded (the encoder's priming is carried over)."""
    from autoscore_video.common.media import FfmpegSink, read_audio
    from autoscore_video.mixing.mux import audio_encoder, mux
    from samples.make_samples import ffmpeg

    audio = np.zeros((4 * RATE, 2), np.float32)
    audio[RATE] = 0.9
    out = tmp_path / f"out{suffix}"
    args, encoded_suffix = audio_encoder(out, bitrate="192k")
    encoded = tmp_path / f"mix{encoded_suffix}"
    with FfmpegSink(["-y", *args, str(encoded)], sample_rate=RATE, channels=2, what="encoding") as encoder:
        encoder.write(audio)
        encoder.finish()
    video = tmp_path / ("picture.webm" if suffix == ".webm" else "picture.mp4")
    codec = ["-c:v", "libvpx-vp9", "-deadline", "realtime"] if suffix == ".webm" else ["-c:v", "libx264"]
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10:duration=4", *codec, str(video))
    mux(video, encoded, out)
    decoded = read_audio(out, sample_rate=RATE, channels=2, what="decoding")
    assert len(decoded) == 4 * RATE
    assert int(np.argmax(np.abs(decoded[:, 0]))) == RATE
