"""A PySceneDetect video stream that hands out small frames, decoded ahead on a thread of their own.

PyAV decodes with FFmpeg's frame threads on every core; a feeder thread keeps the decoder busy
(PyAV releases the GIL inside FFmpeg) and queues decoded frames, so shrinking a frame, the detectors
and the audio analysis overlap with decoding instead of following it. Each frame is shrunk by
swscale's fast bilinear scaler in its own pixel format and converted to BGR at the small size, so no
full-size BGR frame is ever made. Like the cv2.resize of the plain path it samples rather than
averages, so the detectors see the same values and find the same cuts (an area filter finds extra
ones on soft transitions: PySceneDetect's thresholds were tuned on sampled frames).
Timing is PySceneDetect's own (PTS based, so variable frame rate works).
"""
from __future__ import annotations

import logging
import queue
import threading

import av
import numpy as np
from scenedetect.backends.pyav import VideoStreamAv

from common.media import quiet_av

log = logging.getLogger(__name__)

AHEAD = 16  # decoded frames waiting for the detectors (each is one full-size frame in memory)
MAX_CONSECUTIVE_FAILURES = 10
_END = object()


class LowResStreamAv(VideoStreamAv):
    BACKEND_NAME = "pyav-lowres"

    def __init__(self, path: str, width: int):
        super().__init__(path, threading_mode="AUTO")
        quiet_av()  # after: the base class restores FFmpeg's default (chatty) log callback
        full_width, full_height = super().frame_size
        self.small_width = min(width, full_width) // 2 * 2
        self.small_height = max(2, round(full_height * self.small_width / full_width / 2) * 2)
        self._queue: queue.Queue = queue.Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None

    @property
    def frame_size(self) -> tuple[int, int]:
        return self.small_width, self.small_height

    def read(self, decode: bool = True) -> np.ndarray | bool:
        if self._feeder is None:
            self._feeder = threading.Thread(target=self._feed, name="autoscore-decode", daemon=True)
            self._feeder.start()
        item = self._queue.get()
        if item is _END:
            self._queue.put(_END)  # later reads see the end too
            return False
        self._frame = item
        if not decode:
            return True
        return item.reformat(width=self.small_width, height=self.small_height, format="bgr24",
                             interpolation="FAST_BILINEAR").to_ndarray()

    def _feed(self) -> None:
        failures = 0
        decoder = self._container.decode(video=0)
        try:
            while not self._stop.is_set():
                try:
                    frame = next(decoder)
                except (StopIteration, av.error.EOFError):
                    break
                except av.error.FFmpegError as exc:  # a damaged packet: skip it, as PySceneDetect does
                    failures += 1
                    self._decode_failures += 1
                    if failures >= MAX_CONSECUTIVE_FAILURES:
                        log.warning("stopping after %d undecodable frames in a row: %s", failures, exc)
                        break
                    decoder = self._container.decode(video=0)
                    continue
                failures = 0
                self._put(frame)
        finally:
            self._put(_END)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Stops the feeder (a detection that ended early leaves it waiting on a full queue)."""
        self._stop.set()
        if self._feeder is not None:
            self._feeder.join(timeout=5.0)
