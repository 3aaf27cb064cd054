"""The single source of analysis defaults. Every knob the analysis stage has lives here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisSettings:
    # Hard cuts (PySceneDetect). "adaptive" copes with camera motion better than "content".
    cut_detector: str = "adaptive"
    adaptive_threshold: float = 3.0
    content_threshold: float = 27.0
    min_scene_len_frames: int = 15
    # "ffmpeg-lowres": the bundled ffmpeg decodes on all cores and shrinks to `frame_width` in C, before
    # the BGR conversion (analysis/lowres.py). "opencv"/"pyav": PySceneDetect's backends at full size,
    # shrunk by its SceneManager to the same width (the plain path).
    video_backend: str = "ffmpeg-lowres"
    frame_width: int = 256  # PySceneDetect's own automatic downscale target
    # Cut rate over time: cuts per minute in a centred window, sampled every hop.
    cut_rate_window_s: float = 10.0
    cut_rate_hop_s: float = 1.0
    # Colour: mean HSV saturation and value (brightness) of downscaled frames, sampled then averaged per hop.
    colour_sample_hz: float = 10.0
    colour_hop_s: float = 0.5
    # Speech (silero VAD on 16 kHz mono) and level (RMS, dBFS).
    analysis_sample_rate: int = 16000
    vad_threshold: float = 0.5
    vad_release_threshold: float = 0.35
    min_speech_s: float = 0.25
    min_silence_s: float = 0.3
    speech_pad_s: float = 0.1
    energy_hop_s: float = 0.05
    silence_floor_db: float = -90.0
