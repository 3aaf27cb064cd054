"""Colour as a PySceneDetect detector, so it rides on the same decode as cut detection."""
from __future__ import annotations

import cv2
import numpy as np
from scenedetect import FrameTimecode, SceneDetector


class ColourSampler(SceneDetector):
    """Records the mean HSV saturation and value (brightness), each 0..1, and the colour temperature as warmth
    (mean red minus mean blue over their sum, -1 blue .. 1 orange), of the already-downscaled frames; never
    reports cuts."""

    def __init__(self, sample_hz: float, on_frame=None):
        super().__init__()
        self._period = 1.0 / sample_hz
        self._next_at = 0.0
        self._on_frame = on_frame
        self.times: list[float] = []
        self.saturation: list[float] = []
        self.brightness: list[float] = []
        self.warmth: list[float] = []
        self.last_frame_at = 0.0

    def process_frame(self, timecode: FrameTimecode, frame_img: np.ndarray) -> list[FrameTimecode]:
        seconds = timecode.seconds
        self.last_frame_at = max(self.last_frame_at, seconds)
        if seconds + 1e-9 >= self._next_at:
            hsv = cv2.cvtColor(frame_img, cv2.COLOR_BGR2HSV)
            self.times.append(seconds)
            self.saturation.append(float(hsv[:, :, 1].mean()) / 255.0)
            self.brightness.append(float(hsv[:, :, 2].mean()) / 255.0)
            blue, _, red = (float(channel) for channel in frame_img.reshape(-1, 3).mean(axis=0))
            self.warmth.append((red - blue) / max(red + blue, 1.0))
            self._next_at = seconds + self._period
        if self._on_frame is not None:
            self._on_frame(seconds)
        return []
