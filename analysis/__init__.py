"""Analysis stage: read a video and describe it as `VideoFeatures` (cuts, saturation, speech, subtitles)."""
from analysis.analyze import analyze, analyze_audio_speech
from analysis.features import (
    CutFeatures,
    SaturationFeatures,
    SpeechFeatures,
    SpeechRegion,
    SubtitleCue,
    SubtitleFeatures,
    TimeSeries,
    VideoFeatures,
    VideoInfo,
)
from analysis.settings import AnalysisSettings

__all__ = [
    "AnalysisSettings", "CutFeatures", "SaturationFeatures", "SpeechFeatures", "SpeechRegion", "SubtitleCue",
    "SubtitleFeatures", "TimeSeries", "VideoFeatures", "VideoInfo", "analyze", "analyze_audio_speech",
]
