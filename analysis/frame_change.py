"""How much the picture changes from one frame to the next, as a PySceneDetect detector: the strength of
each cut (a cut to a similar shot is a soft one; from night to day, a hard one)."""
from __future__ import annotations

import cv2
import numpy as np
from scenedetect import FrameTimecode, SceneDetector

THUMBNAIL = (32, 18)  # enough to tell shots apart, cheap enough to take on every frame


class FrameChange(SceneDetector):
    """Mean absolute difference (0..1) between consecutive frames' grey thumbnails; never reports cuts."""

    def __init__(self):
        super().__init__()
        self._previous: np.ndarray | None = None
        self.times: list[float] = []
        self.change: list[float] = []

    def process_frame(self, timecode: FrameTimecode, frame_img: np.ndarray) -> list[FrameTimecode]:
        grey = cv2.resize(cv2.cvtColor(frame_img, cv2.COLOR_BGR2GRAY), THUMBNAIL, interpolation=cv2.INTER_AREA)
        if self._previous is not None:
            self.times.append(timecode.seconds)
            self.change.append(float(cv2.absdiff(grey, self._previous).mean()) / 255.0)
        self._previous = grey
        return []

    def strengths(self, cuts: list[float], window_s: float = 0.1) -> list[float]:
        """Each cut's strength: the largest change within `window_s` of it (the detectors place a cut on its
        first new frame, or a frame either side)."""
        times, change = np.asarray(self.times), np.asarray(self.change)
        found = []
        for cut in cuts:
            near = np.abs(times - cut) <= window_s
            found.append(round(float(change[near].max()), 4) if near.any() else 0.0)
        return found
