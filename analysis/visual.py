"""Hard cuts (with their strength), saturation, brightness and warmth from one decode of the video (PySceneDetect drives
the decode)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scenedetect import AdaptiveDetector, ContentDetector, SceneManager, VideoOpenFailure, open_video

from autoscore_video.analysis.colour import ColourSampler
from autoscore_video.analysis.features import ColourFeatures, CutFeatures, TimeSeries
from autoscore_video.analysis.frame_change import FrameChange
from autoscore_video.analysis.lowres import LowResStreamFfmpeg
from autoscore_video.analysis.settings import AnalysisSettings
from autoscore_video.common.errors import InputError


@dataclass
class VisualFeatures:
    cuts: CutFeatures
    saturation: ColourFeatures
    brightness: ColourFeatures
    warmth: ColourFeatures
    frames: int


# The last decodable frame may fall this short of the declared duration (a last frame's length, a few
# dropped frames at the end) before the file counts as truncated and is refused.
TRUNCATION_SLACK_S = 1.0
TRUNCATION_SLACK_SHARE = 0.05


def detect_visual(path: str, duration: float, settings: AnalysisSettings, progress=None,
                  video_stream: int = 0) -> VisualFeatures:
    """Cuts, colour and picture change of the video stream `video_stream` (the container's index: only the
    default low-res backend reads another than the first)."""
    manager = SceneManager()
    try:
        if settings.video_backend == LowResStreamFfmpeg.BACKEND_NAME:
            video = LowResStreamFfmpeg(path, settings.frame_width, video_stream)
            manager.auto_downscale = False  # frames arrive at the analysis size
        else:
            video = open_video(path, backend=settings.video_backend)
            manager.auto_downscale = True  # to PySceneDetect's 256 px width, like `frame_width`
    except (VideoOpenFailure, OSError) as exc:
        raise InputError(f"{path}: cannot decode video ({exc})") from exc

    manager.add_detector(_cut_detector(settings))
    report = (lambda t: progress(min(1.0, t / duration))) if progress and duration > 0 else None
    sampler = ColourSampler(settings.colour_sample_hz, on_frame=report)
    manager.add_detector(sampler)
    change = FrameChange()
    manager.add_detector(change)
    try:
        frames = manager.detect_scenes(video)
    finally:
        if isinstance(video, LowResStreamFfmpeg):
            video.close()
    if frames == 0:
        raise InputError(f"{path}: no video frame could be decoded")
    decoded = sampler.last_frame_at
    if duration - decoded > max(TRUNCATION_SLACK_S, TRUNCATION_SLACK_SHARE * duration):
        raise InputError(f"{path}: pictures stop at {decoded:.2f} s of the {duration:.2f} s the file declares "
                         f"(truncated or corrupt)")

    cut_times = sorted(round(scene[0].seconds, 6) for scene in manager.get_scene_list()[1:])
    cut_times = [t for t in cut_times if 0.0 < t < duration]
    cuts = CutFeatures(
        times=cut_times,
        rate_per_minute=cut_rate_series(cut_times, duration, settings.cut_rate_window_s, settings.cut_rate_hop_s),
        mean_rate_per_minute=len(cut_times) / duration * 60.0 if duration > 0 else 0.0,
        detector=settings.cut_detector,
        strengths=change.strengths(cut_times),
    )
    return VisualFeatures(cuts=cuts, saturation=_colour(sampler.times, sampler.saturation, duration, settings),
                          brightness=_colour(sampler.times, sampler.brightness, duration, settings),
                          warmth=_colour(sampler.times, sampler.warmth, duration, settings), frames=frames)


def _cut_detector(settings: AnalysisSettings):
    if settings.cut_detector == "adaptive":
        return AdaptiveDetector(adaptive_threshold=settings.adaptive_threshold,
                                min_scene_len=settings.min_scene_len_frames)
    if settings.cut_detector == "content":
        return ContentDetector(threshold=settings.content_threshold, min_scene_len=settings.min_scene_len_frames)
    raise InputError(f"unknown cut detector {settings.cut_detector!r} (choose adaptive or content)")


def cut_rate_series(cut_times: list[float], duration: float, window: float, hop: float) -> TimeSeries:
    """Cuts per minute in a window centred on each sample time (clipped to the clip's extent)."""
    n = max(1, int(np.ceil(duration / hop)))
    cuts = np.asarray(cut_times, dtype=float)
    values = []
    for i in range(n):
        centre = i * hop
        lo, hi = max(0.0, centre - window / 2), min(duration, centre + window / 2)
        span = max(hi - lo, 1e-6)
        count = np.count_nonzero((cuts >= lo) & (cuts < hi))
        values.append(round(float(count / span * 60.0), 3))
    return TimeSeries(hop=hop, values=values)


def _colour(sample_times: list[float], samples: list[float], duration: float, settings: AnalysisSettings
            ) -> ColourFeatures:
    hop = settings.colour_hop_s
    if not samples:
        return ColourFeatures(series=TimeSeries(hop=hop), mean=0.0, p90=0.0)
    times = np.asarray(sample_times)
    values = np.asarray(samples)
    n = max(1, int(np.ceil(duration / hop)))
    bins = np.clip((times / hop).astype(int), 0, n - 1)
    sums = np.bincount(bins, weights=values, minlength=n)
    counts = np.bincount(bins, minlength=n)
    series = np.interp(np.arange(n), np.flatnonzero(counts), sums[counts > 0] / counts[counts > 0])
    return ColourFeatures(
        series=TimeSeries(hop=hop, values=[round(float(v), 4) for v in series]),
        mean=round(float(values.mean()), 4),
        p90=round(float(np.percentile(values, 90)), 4),
    )
