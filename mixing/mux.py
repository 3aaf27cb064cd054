"""Put the mixed audio under the picture: the video stream is copied, never re-encoded."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autoscore_video.common.errors import InputError
from autoscore_video.common.media import MediaInfo, run_ffmpeg

AUDIO_CODEC_BY_SUFFIX = {".mp4": "aac", ".m4v": "aac", ".mov": "aac", ".mkv": "aac", ".webm": "libopus"}
SUBTITLE_COPY_SUFFIXES = {".mkv"}  # containers that take any subtitle stream as it is


# Pictures a container cannot take as they are (the picture is copied, never re-encoded), as the bundled
# ffmpeg's muxers answered when each corpus codec (tests/corpus.py) was stream-copied into each container.
WEBM_VIDEO_CODECS = frozenset({"vp8", "vp9", "av1"})
REFUSED_VIDEO_CODECS = {".mp4": {"prores"}, ".m4v": {"prores"}, ".mov": {"vp8", "vp9", "av1"}}


def supported_suffix(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_CODEC_BY_SUFFIX


def check_copyable(video_codec: str, out: Path) -> None:
    """InputError, before any work, when `out`'s container cannot hold the source's picture unchanged."""
    suffix = out.suffix.lower()
    refused = (video_codec not in WEBM_VIDEO_CODECS if suffix == ".webm"
               else video_codec in REFUSED_VIDEO_CODECS.get(suffix, ()))
    if refused:
        raise InputError(f"{out}: a {video_codec} picture cannot go into a {suffix} file unchanged "
                         f"(autoscore never re-encodes the picture); write a .mkv instead")


# The mix is encoded once into a file of its own, measured, then copied beside the picture: a retry (when the
# codec overshot the peak ceiling) re-encodes the audio alone.
ENCODED_AUDIO_SUFFIX = {"aac": ".m4a", "libopus": ".opus"}
# ffmpeg's AAC encoder with its "fast" coder (its authors: it sounds better than the default twoloop at high
# bitrates) and a 16 kHz band (the symbolic engine's own top): on 14 limited mixes (montages in each genre on
# two banks, both samples, a voice-over, a 2-minute piece) the encoded audio overshot the limited true peak by
# at most 0.57 dB (mean 0.33) where the defaults overshot by up to 1.54 (mean 0.70), in 40% of the time.
ENCODER_OPTIONS = {"aac": ["-aac_coder", "fast", "-cutoff", "16000"]}


def audio_encoder(out: Path, *, bitrate: str) -> tuple[list[str], str]:
    """(ffmpeg's output options, the encoded file's suffix) for the audio stream `out` will carry."""
    suffix = out.suffix.lower()
    if suffix not in AUDIO_CODEC_BY_SUFFIX:
        raise InputError(f"{out}: cannot write a {suffix or 'suffix-less'} file "
                         f"(use {', '.join(sorted(AUDIO_CODEC_BY_SUFFIX))})")
    codec = AUDIO_CODEC_BY_SUFFIX[suffix]
    return ["-c:a", codec, "-b:a", bitrate, *ENCODER_OPTIONS.get(codec, [])], ENCODED_AUDIO_SUFFIX[codec]


@dataclass
class KeptTrack:
    """One of the source's other audio tracks, carried into the output after the mix."""

    track: int  # its 1-based number among the source's audio tracks
    channels: int
    language: str | None = None
    title: str | None = None


def mux(video: Path, mix: Path, out: Path, source: MediaInfo | None = None,
        kept: Sequence[tuple[KeptTrack, Path]] = ()) -> None:
    """`out`: the picture of `video`, the already encoded `mix` and the source's `kept` tracks (each with its
    encoded file) after it, all copied as they are. The audio was placed on the picture's timeline, so the picture is
    moved to start at 0 with it (`source.start`: where the picture starts on `video`'s clock)."""
    suffix = out.suffix.lower()
    video_stream, start = (source.video_stream, source.start) if source is not None else (0, 0.0)
    # -copyts: the picture's own timestamps, shifted by exactly its start (not by the earliest of all streams)
    args = ["-y", "-copyts", "-itsoffset", f"{-start:.6f}", "-i", str(video)]
    audio = [mix, *(path for _, path in kept)]
    for path in audio:
        args += ["-i", str(path)]
    args += ["-map", f"0:{video_stream}"]
    for i in range(len(audio)):
        args += ["-map", f"{i + 1}:a:0"]
    if suffix in SUBTITLE_COPY_SUFFIXES:
        args += ["-map", "0:s?", "-c:s", "copy"]
    args += ["-c:v", "copy", "-c:a", "copy", "-map_metadata", "0", "-map_chapters", "0"]
    args += ["-disposition:a:0", "default"]
    for i, (track, _) in enumerate(kept, start=1):
        args += [f"-disposition:a:{i}", "0"]
        for key in ("language", "title"):
            if getattr(track, key):
                args += [f"-metadata:s:a:{i}", f"{key}={getattr(track, key)}"]
    if suffix in {".mp4", ".m4v", ".mov"}:
        args += ["-movflags", "+faststart"]
    run_ffmpeg([*args, str(out)], what=f"writing {out}")


def mp3_encoder_args(bitrate: str) -> list[str]:
    """ffmpeg's output options for the music stem's MP3 (a Xing header, so players show its length)."""
    return ["-c:a", "libmp3lame", "-b:a", bitrate, "-write_xing", "1"]


def tag_mp3(path: Path, *, title: str, artist: str, comment: str) -> None:
    """ID3v2.4 title (TIT2), artist (TPE1) and comment (COMM) frames on an MP3 (id3.py: ffmpeg stores a comment
    as TXXX:comment, which players don't show)."""
    from autoscore_video.mixing.id3 import write_tags

    write_tags(path, title=title, artist=artist, comment=comment, encoder="autoscore (ffmpeg libmp3lame)")
