"""A PySceneDetect video stream whose small frames are decoded and shrunk by the bundled ffmpeg.

ffmpeg decodes with its frame threads on every core and shrinks each picture in C (swscale's fast
bilinear scaler, then BGR at the small size), so no full-size frame ever reaches Python and the
per-frame Python work is one packet read. Like the cv2.resize of the plain path the scaler samples
rather than averages, so the detectors see the same values and find the same cuts (an area filter
finds extra ones on soft transitions: PySceneDetect's thresholds were tuned on sampled frames).
The frames travel as raw video in NUT, which carries each frame's timestamp, and the input's
timestamps are kept (`-copyts`): everything else, timing included (PTS based, so variable frame
rate works), is PySceneDetect's own PyAV stream, opened on the same file for its metadata only.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import av
import numpy as np
from av.error import FFmpegError
from scenedetect.backends.pyav import VideoStreamAv

from autoscore_video.common.errors import AutoscoreError, InputError
from autoscore_video.common.media import FfmpegPipe, quiet_av


class LowResStreamFfmpeg(VideoStreamAv):
    BACKEND_NAME = "ffmpeg-lowres"

    def __init__(self, path: str, width: int, stream_index: int = 0):
        self.stream_index = stream_index  # the picture's stream (MediaInfo.video_stream), before the base reads it
        super().__init__(path)
        quiet_av()  # after: the base class restores FFmpeg's default (chatty) log callback
        full_width, full_height = super().frame_size
        self.small_width = max(2, min(width, full_width) // 2 * 2)
        self.small_height = max(2, round(full_height * self.small_width / full_width / 2) * 2)
        self._ffmpeg: FfmpegPipe | None = None
        # PySceneDetect reads from its own thread: a stop (Ctrl-C, SIGTERM) closes this stream from the main
        # thread, maybe before that thread starts ffmpeg, which must then not start one nobody will end
        self._lock = threading.Lock()
        self._closed = False
        self._nut = None  # ffmpeg's output, opened by PyAV
        self._packets: Iterator[Any] | None = None
        # Why the frames stopped early, raised by `close`: an exception from `read` would reach the user
        # through PySceneDetect's decode thread, which logs it as a fatal error first.
        self.failure: AutoscoreError | None = None

    @property
    def frame_size(self) -> tuple[int, int]:
        return self.small_width, self.small_height

    @property
    def _video_stream(self):
        """The picture's stream, where PySceneDetect's own takes the first (which may be cover art)."""
        return self._container.streams[self.stream_index]

    def read(self, decode: bool = True) -> np.ndarray | bool:
        if self.failure is not None:
            return False
        try:
            return self._read(decode)
        except AutoscoreError as exc:
            self.failure = exc
            return False

    def _read(self, decode: bool) -> np.ndarray | bool:
        packets = self._packets if self._packets is not None else self._start()
        for packet in packets:
            if packet.size == 0:  # the muxer's end-of-stream flush
                continue
            # has .pts and .time_base: the base class's position reads those
            self._frame = packet  # pyright: ignore[reportAttributeAccessIssue]
            if not decode:
                return True
            return np.frombuffer(packet, dtype=np.uint8).reshape(self.small_height, self.small_width, 3)
        self._finish()
        return False

    def _start(self) -> Iterator[Any]:
        with self._lock:
            self._packets = iter(()) if self._closed else self._start_ffmpeg()
            return self._packets

    def _start_ffmpeg(self) -> Iterator[Any]:
        self._ffmpeg = FfmpegPipe(
            ["-noautorotate", "-copyts", "-i", self.path, "-map", f"0:{self.stream_index}", "-an", "-sn", "-dn",
             "-vf", f"scale={self.small_width}:{self.small_height}:flags=fast_bilinear", "-pix_fmt", "bgr24",
             "-c:v", "rawvideo", "-fps_mode", "passthrough", "-enc_time_base", "demux", "-f", "nut", "pipe:1"],
            what=f"decoding the video of {self.path}")
        try:
            self._nut = av.open(self._ffmpeg.stdout, mode="r", format="nut")
        except FFmpegError as exc:  # ffmpeg wrote nothing: it could not decode the file at all
            self._finish()
            raise InputError(f"{self.path}: no video frame could be decoded") from exc
        return self._nut.demux(video=0)

    def _finish(self) -> None:
        """Waits for ffmpeg. Its failure is the file's only where no picture came out: damaged frames
        are skipped, as PySceneDetect skips them, and a short decode is judged by the caller."""
        self._packets = iter(())
        if self._ffmpeg is not None:  # None: closed before it started
            self._ffmpeg.wait(check=self._frame is None)

    def close(self) -> None:
        """Ends ffmpeg (a detection that stopped early leaves it blocked on a full pipe), then raises the
        reason the frames stopped early, if they did."""
        with self._lock:
            self._closed = True
        try:
            if self._nut is not None:
                self._nut.close()
                self._nut = None
        finally:
            if self._ffmpeg is not None:
                self._ffmpeg.close()
        if self.failure is not None:
            raise self.failure
