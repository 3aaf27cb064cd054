"""A PySceneDetect video stream that hands out small frames: PyAV decodes on all cores and swscale
shrinks each frame in its own pixel format before the one conversion to BGR, so no full-size BGR frame
is ever made and the Python side only touches thumbnails. Timing is PySceneDetect's own (PTS based,
so variable frame rate works).

Frames are shrunk with swscale's fast bilinear filter: like the cv2.resize the plain path uses, it
samples rather than averages, so the detectors see the same values and find the same cuts (an area
filter finds extra ones on soft transitions: PySceneDetect's thresholds were tuned on sampled frames).
"""
from __future__ import annotations

import numpy as np
from scenedetect.backends.pyav import VideoStreamAv


class LowResStreamAv(VideoStreamAv):
    BACKEND_NAME = "pyav-lowres"

    def __init__(self, path: str, width: int):
        super().__init__(path, threading_mode="AUTO")
        full_width, full_height = super().frame_size
        self.small_width = min(width, full_width) // 2 * 2
        self.small_height = max(2, round(full_height * self.small_width / full_width / 2) * 2)

    @property
    def frame_size(self) -> tuple[int, int]:
        return self.small_width, self.small_height

    def read(self, decode: bool = True) -> np.ndarray | bool:
        if not super().read(decode=False):
            return False
        if not decode:
            return True
        return self._frame.reformat(width=self.small_width, height=self.small_height, format="bgr24",
                                    interpolation="FAST_BILINEAR").to_ndarray()
