"""`analyze(path)`: every feature of a video, from one video decode and one audio decode, both streamed."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Callable

from autoscore_video.analysis.features import SpeechFeatures, VideoFeatures
from autoscore_video.analysis.settings import AnalysisSettings
from autoscore_video.analysis.speech import SpeechMeter
from autoscore_video.analysis.subtitles import load_subtitles
from autoscore_video.analysis.tracks import choose_track
from autoscore_video.analysis.visual import detect_visual
from autoscore_video.common.media import MediaInfo, Placement, probe, stream_audio

Progress = Callable[[str, float], None]


def analyze(path: str | Path, settings: AnalysisSettings | None = None, *, subtitles: Path | None = None,
            use_sidecar: bool = True, progress: Progress | None = None,
            info: MediaInfo | None = None, audio_track: int | None = None) -> VideoFeatures:
    """Read `path` and return its VideoFeatures. A clip without audio, subtitles or cuts is normal input.
    `info`: the file's probe where the caller already has it (it is probed otherwise); `audio_track`: the
    1-based audio track to mix on (analysis.tracks chooses otherwise). Every time is on the picture's
    timeline: 0 is its first frame, whenever the audio starts."""
    settings = settings or AnalysisSettings()
    path = Path(path)
    report = progress or (lambda stage, fraction: None)
    timings: dict[str, float] = {}

    started = time.perf_counter()
    info, track = choose_track(path, info or probe(path), audio_track)
    timings["probe"] = time.perf_counter() - started

    started = time.perf_counter()
    subtitle_features = load_subtitles(path, info, subtitles, use_sidecar=use_sidecar)
    timings["subtitles"] = time.perf_counter() - started

    # The audio is read and analysed on a thread of its own while the video decodes (FFmpeg, ONNX
    # Runtime and NumPy release the GIL), so it costs little wall time.
    # A stop (Ctrl-C, SIGTERM, a failed video decode) ends the audio thread at its next block: leaving the
    # pool waits for it, which for a long clip was minutes of audio still to read.
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="autoscore-audio") as pool:
        audio_job = pool.submit(_audio_features, path, info, settings, stop)
        try:
            started = time.perf_counter()
            visual = detect_visual(str(path), info.duration, settings, progress=lambda f: report("video", f),
                                   video_stream=info.video_stream)
            timings["video"] = time.perf_counter() - started
            started = time.perf_counter()
            heard, speech, audio_seconds = audio_job.result()
        except BaseException:
            stop.set()
            raise
        timings["audio"] = audio_seconds
        timings["audio_wait"] = time.perf_counter() - started
    report("audio", 1.0)

    return VideoFeatures(
        info=replace(info, path=str(path), duration=round(info.duration, 6), fps=round(info.fps, 6),
                     # an audio stream that cannot be decoded is no audio to the stages after analysis
                     audio_sample_rate=info.audio_sample_rate if heard else None,
                     audio_channels=info.audio_channels if heard else None),
        cuts=visual.cuts,
        saturation=visual.saturation,
        brightness=visual.brightness,
        warmth=visual.warmth,
        speech=speech,
        subtitles=subtitle_features,
        settings=settings,
        timings={k: round(v, 3) for k, v in timings.items()},
        audio_track=track,
    )


def _audio_features(path: Path, info, settings: AnalysisSettings,
                    stop: threading.Event | None = None) -> tuple[bool, SpeechFeatures, float]:
    """(any sound at all, speech features, seconds taken), the audio streamed through the meter; `stop` set
    ends the reading at the next block (the result is then of no use, and unused)."""
    started = time.perf_counter()
    meter = SpeechMeter(settings)
    if info.has_audio:
        with closing(stream_audio(path, sample_rate=settings.analysis_sample_rate, channels=1,
                                  placement=Placement.of(info), what=f"decoding the audio of {path}")) as blocks:
            for block in blocks:
                if stop is not None and stop.is_set():
                    break
                meter.feed(block[:, 0])
    return meter.heard, meter.finish(info.duration), time.perf_counter() - started


def analyze_audio_speech(path: str | Path, settings: AnalysisSettings | None = None) -> SpeechFeatures:
    """Speech regions and levels of a file's audio alone (no video decode)."""
    path = Path(path)
    info, _ = choose_track(path, probe(path))
    return _audio_features(path, info, settings or AnalysisSettings())[1]
