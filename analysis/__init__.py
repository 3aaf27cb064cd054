"""Analysis stage: read a video and describe it as `VideoFeatures` (cuts, saturation, speech, subtitles)."""
from autoscore_video.analysis.analyze import analyze, analyze_audio_speech
from autoscore_video.analysis.features import (
    ColourFeatures,
    CutFeatures,
    SpeechFeatures,
    SpeechRegion,
    SubtitleCue,
    SubtitleFeatures,
    TimeSeries,
    VideoFeatures,
    VideoInfo,
)
from autoscore_video.analysis.settings import AnalysisSettings

__all__ = [
    "AnalysisSettings", "CutFeatures", "ColourFeatures", "SpeechFeatures", "SpeechRegion", "SubtitleCue",
    "SubtitleFeatures", "TimeSeries", "VideoFeatures", "VideoInfo", "analyze", "analyze_audio_speech",
]
