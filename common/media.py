"""Media access at the edges: the bundled ffmpeg binary (run to the end, or piped as it decodes), PyAV
probing, and PCM decoding (whole or streamed).

ffmpeg comes from imageio-ffmpeg so that pip alone installs it; it ships no ffprobe, so streams
are probed with PyAV (which bundles its own FFmpeg libraries).
"""
from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Generator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import IO

import numpy as np

from autoscore_video.common.errors import InputError, ResourceError
from autoscore_video.common.files import regular_file_or_refuse

TEXT_SUBTITLE_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"})
MIN_DURATION_S = 0.5  # shorter than this there is no music to fit: refused with a line, not a silent stem
MIN_SIDE_PX = 16  # cut and colour analysis need a picture; a 1x1 "video" is refused


def quiet_av():
    """PyAV with FFmpeg's own stderr chatter off (warnings about SAR, corrupt packets...): problems reach
    the user as exceptions turned into one line, not as library noise around it. Called again after
    anything that resets FFmpeg's logging (PySceneDetect's PyAV backend restores the default callback)."""
    import av
    import av.logging

    av.logging.set_level(av.logging.PANIC)
    return av


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:  # no binary for this platform and none on PATH
        raise ResourceError(f"ffmpeg is not available: {exc}") from exc


def _ffmpeg_command(args: list[str]) -> list[str]:
    """ffmpeg with `args`, quiet but for errors (their last line becomes the one-line message)."""
    return [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", *args]


def run_ffmpeg(args: list[str], *, what: str, input_bytes: bytes | None = None) -> bytes:
    """Run ffmpeg with `args`; return stdout. `what` names the job for the one-line error."""
    cmd = _ffmpeg_command(args)
    try:
        proc = subprocess.run(cmd, input=input_bytes, capture_output=True, check=False)
    except OSError as exc:
        raise ResourceError(f"cannot run ffmpeg for {what}: {exc}") from exc
    if proc.returncode != 0:
        _raise_ffmpeg_failure(proc.stderr, proc.returncode, what)
    return proc.stdout


def _raise_ffmpeg_failure(stderr: bytes, returncode: int, what: str) -> None:
    message = _last_line(stderr) or f"exit code {returncode}"
    if "No space left on device" in message:
        raise ResourceError(f"{what} failed: no space left on device")
    raise InputError(f"{what} failed: {message}")


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


@dataclass(frozen=True)
class SubtitleStream:
    index: int  # absolute stream index in the container
    codec: str
    language: str | None
    title: str | None

    @property
    def is_text(self) -> bool:
        return self.codec in TEXT_SUBTITLE_CODECS


@dataclass(frozen=True)
class AudioStream:
    index: int  # absolute stream index in the container
    codec: str
    sample_rate: int
    channels: int
    start: float  # its first timestamp, seconds on the container's clock (the picture's `MediaInfo.start` too)
    default: bool  # marked default (Matroska marks every track so unless told otherwise)
    duration: float | None = None  # seconds, where the container says
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class MediaInfo:
    path: str
    container: str
    duration: float  # of the video stream, seconds
    fps: float
    width: int
    height: int
    video_codec: str
    rotation: int = 0
    audio_sample_rate: int | None = None
    audio_channels: int | None = None
    subtitle_streams: tuple[SubtitleStream, ...] = field(default_factory=tuple)
    video_stream: int = 0  # the container's index of the picture: not cover art, the longest (as players choose)
    start: float = 0.0  # the picture's first timestamp, seconds on the container's clock: time 0 of every stage
    audio_streams: tuple[AudioStream, ...] = field(default_factory=tuple)  # every decodable audio stream
    # the container's index of the track the mix is made on (`audio_sample_rate` and `audio_channels` are its);
    # the first audio stream until analysis chooses (analysis.tracks)
    audio_stream: int | None = None
    has_audio: bool = field(init=False)  # an audio stream there is a rate for (kept in the JSON for readers)

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_audio", self.audio_sample_rate is not None)


def check_readable_file(path: Path) -> None:
    """The checks every input path gets before any decoder sees it."""
    size = regular_file_or_refuse(path, "video file")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")


def probe(path: Path) -> MediaInfo:
    """Streams and exact video duration of `path`. Raises InputError for anything not a video."""
    av = quiet_av()
    from av.error import FFmpegError

    check_readable_file(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable video ({_av_reason(exc)})") from exc
    with container:
        videos = [s for s in container.streams.video if s.codec_context is not None]
        if not videos:
            raise InputError(f"{path}: has no video stream")
        video, duration = _main_video(container, videos)
        width, height = video.codec_context.width, video.codec_context.height
        if not width or not height:
            raise InputError(f"{path}: video stream has no frame size (corrupt or unsupported)")
        if min(width, height) < MIN_SIDE_PX:
            raise InputError(f"{path}: picture of {width}x{height} is too small to analyse "
                             f"(at least {MIN_SIDE_PX} px a side)")
        rate = video.average_rate or video.guessed_rate or video.base_rate
        if not rate or rate <= 0:
            raise InputError(f"{path}: video stream has no frame rate")
        try:
            rotation = _first_frame_rotation(container, video)
        except FFmpegError as exc:
            raise InputError(f"{path}: video cannot be decoded ({_av_reason(exc)})") from exc
        if duration <= 0:
            raise InputError(f"{path}: video stream has no frames")
        if duration < MIN_DURATION_S:
            raise InputError(f"{path}: {duration:.2f} s of video is too short to score (at least {MIN_DURATION_S} s)")
        audio_streams = _audio_streams(container)
        audio = audio_streams[0] if audio_streams else None
        subtitles = tuple(
            SubtitleStream(
                index=s.index,
                codec=s.codec_context.name if s.codec_context else (s.codec.name if s.codec else "unknown"),
                language=s.metadata.get("language"),
                title=s.metadata.get("title"),
            )
            for s in container.streams.subtitles
        )
        return MediaInfo(
            path=str(path),
            container=container.format.name,
            duration=duration,
            fps=float(rate),
            width=width,
            height=height,
            video_codec=video.codec_context.name,
            rotation=rotation,
            audio_sample_rate=audio.sample_rate if audio else None,
            audio_channels=audio.channels if audio else None,
            subtitle_streams=subtitles,
            video_stream=video.index,
            start=_stream_start(video),
            audio_streams=audio_streams,
            audio_stream=audio.index if audio else None,
        )


def _stream_start(stream) -> float:
    """A stream's first timestamp in seconds (0 where the container gives none)."""
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _audio_streams(container) -> tuple[AudioStream, ...]:
    """The audio streams a decoder can read (those with a rate), in the container's order."""
    from av.stream import Disposition

    found = []
    for s in container.streams.audio:
        context = s.codec_context
        if context is None or not context.sample_rate:
            continue
        found.append(AudioStream(index=s.index, codec=context.name, sample_rate=context.sample_rate,
                                 channels=context.channels or 2, start=_stream_start(s),
                                 default=bool(s.disposition & Disposition.default),
                                 duration=(float(s.duration * s.time_base) if s.duration is not None
                                           and s.time_base is not None else None),
                                 language=s.metadata.get("language"), title=s.metadata.get("title")))
    return tuple(found)


def _av_reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[-1].strip() if ":" in text else text


def _main_video(container, videos) -> tuple:
    """(the stream that is the picture, its duration): cover art and thumbnails (attached pictures, which
    Matroska does not mark, but which last one frame) lose to the longest stream, the first of equals."""
    from av.stream import Disposition

    attached = Disposition.attached_pic
    moving = [s for s in videos if not s.disposition & attached] or videos
    durations = _video_durations(container, moving)
    video = max(moving, key=lambda s: (durations[s.index], -s.index))
    return video, durations[video.index]


def _video_durations(container, videos) -> dict[int, float]:
    """Duration of each video stream itself (not the container, whose audio may run longer)."""
    durations = {s.index: float(s.duration * s.time_base) for s in videos
                 if s.duration is not None and s.time_base is not None}
    unknown = [s for s in videos if s.index not in durations]
    if not unknown:
        return durations
    # Matroska and some streams carry no per-stream duration: read packet timestamps (no decoding).
    ends = {s.index: Fraction(0) for s in unknown}
    starts: dict[int, Fraction] = {}
    for packet in container.demux(unknown):
        if packet.pts is None or packet.time_base is None or packet.stream.index not in ends:
            continue
        pts = packet.pts * packet.time_base
        index = packet.stream.index
        starts[index] = min(starts[index], pts) if index in starts else pts
        ends[index] = max(ends[index], pts + (packet.duration or 0) * packet.time_base)
    for index, end in ends.items():
        durations[index] = float(end - starts[index]) if index in starts else 0.0
    return durations


def _first_frame_rotation(container, video) -> int:
    """Display rotation in degrees, read from the first decoded frame (which also proves it decodes)."""
    container.seek(0, stream=video)
    for frame in container.decode(video):
        return int(getattr(frame, "rotation", 0) or 0) % 360
    raise InputError(f"{container.name}: no video frame could be decoded")


@dataclass(frozen=True)
class Placement:
    """Where one audio stream of a file goes on the picture's timeline: decoded from `stream` (the container's
    index), its timestamps taken from the picture's first one (`start`), silence where it has none (before its
    first packet, in gaps), what lies before the first frame or past `duration` cut."""
    stream: int
    start: float
    duration: float

    @classmethod
    def of(cls, info: MediaInfo, stream: int | None = None) -> Placement | None:
        """The mix's track of `info` (or its `stream`) on its picture; None without audio."""
        chosen = info.audio_stream if stream is None else stream
        return None if chosen is None else cls(chosen, info.start, info.duration)

    def ffmpeg_input(self, path: Path) -> list[str]:
        """ffmpeg's input options and input, stream map and filter that decode `path` so placed."""
        # -copyts keeps the streams' own timestamps, so both are on the container's clock; aresample's async
        # mode then honours them: silence before the first sample and in gaps, samples before 0 dropped.
        return ["-copyts", "-i", str(path), "-map", f"0:{self.stream}", "-vn", "-sn", "-dn",
                "-af", f"asetpts=PTS-({self.start:.6f})/TB,aresample=async=1:first_pts=0,atrim=end={self.duration:.6f}"]


def read_audio(path: Path, *, sample_rate: int, channels: int, what: str,
               placement: Placement | None = None) -> np.ndarray:
    """Decode the audio of `path` to float32 PCM, shape (samples, channels): as `stream_audio`."""
    blocks = list(stream_audio(path, sample_rate=sample_rate, channels=channels, what=what, placement=placement))
    return np.concatenate(blocks) if blocks else np.zeros((0, channels), dtype=np.float32)


def stream_audio(path: Path, *, sample_rate: int, channels: int, what: str,
                 block_seconds: float = 4.0, placement: Placement | None = None) -> Generator[np.ndarray, None, None]:
    """The audio of `path` as float32 PCM blocks of shape (samples, channels), decoded by ffmpeg as they are
    consumed, so a long file never sits in memory whole: its first audio stream as it comes, or with
    `placement`, one stream placed on the picture's timeline. Errors as `run_ffmpeg`."""
    frame_bytes = 4 * channels
    block_bytes = max(1, int(block_seconds * sample_rate)) * frame_bytes
    source = (placement.ffmpeg_input(path) if placement is not None
              else ["-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn"])
    with FfmpegPipe([*source, "-ac", str(channels), "-ar", str(sample_rate), "-f", "f32le", "-"],
                    what=what) as ffmpeg:
        while chunk := ffmpeg.stdout.read(block_bytes):
            usable = len(chunk) - len(chunk) % frame_bytes  # only the very last read can be ragged
            if usable:
                yield np.frombuffer(chunk[:usable], dtype=np.float32).reshape(-1, channels)
        ffmpeg.wait()


class FfmpegPipe:
    """ffmpeg running with its output read from `stdout` as it comes. Its stderr goes to a file (a pipe
    left unread while stdout is drained can fill and stall ffmpeg); `close` (or leaving the `with`)
    kills and reaps an ffmpeg whose reader stopped early."""

    def __init__(self, args: list[str], *, what: str):
        cmd = _ffmpeg_command(args)
        self.what = what
        self._stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr)
        except OSError as exc:
            self._stderr.close()
            raise ResourceError(f"cannot run ffmpeg for {what}: {exc}") from exc
        assert self.process.stdout is not None  # stdout=PIPE
        self.stdout: IO[bytes] = self.process.stdout

    def wait(self, *, check: bool = True) -> int:
        """ffmpeg's exit code once it ends; with `check`, a failure raises as in `run_ffmpeg`."""
        returncode = self.process.wait()
        if returncode != 0 and check:
            self._stderr.seek(0)
            _raise_ffmpeg_failure(self._stderr.read(), returncode, self.what)
        return returncode

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.stdout.close()
        self._stderr.close()

    def __enter__(self) -> FfmpegPipe:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class FfmpegSink:
    """ffmpeg reading raw float32 PCM from its stdin as it is written (an encoder fed a block at a time).
    `finish` closes its input and waits for it; `close` (or leaving the `with`) kills one left unfinished."""

    def __init__(self, args: list[str], *, sample_rate: int, channels: int, what: str):
        cmd = _ffmpeg_command(["-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0", *args])
        self.what = what
        self._stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                            stderr=self._stderr)
        except OSError as exc:
            self._stderr.close()
            raise ResourceError(f"cannot run ffmpeg for {what}: {exc}") from exc
        assert self.process.stdin is not None  # stdin=PIPE
        self.stdin: IO[bytes] = self.process.stdin

    def write(self, block: np.ndarray) -> None:
        try:
            self.stdin.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
        except BrokenPipeError:
            self.finish()  # it stopped reading: its own error says why
            raise ResourceError(f"ffmpeg stopped reading while {self.what}") from None

    def finish(self) -> None:
        if not self.stdin.closed:
            try:
                self.stdin.close()
            except BrokenPipeError:
                pass
        returncode = self.process.wait()
        if returncode != 0:
            self._stderr.seek(0)
            _raise_ffmpeg_failure(self._stderr.read(), returncode, self.what)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if not self.stdin.closed:
            try:
                self.stdin.close()
            except BrokenPipeError:
                pass
        self._stderr.close()

    def __enter__(self) -> FfmpegSink:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
