"""Put the mixed audio under the picture: the video stream is copied, never re-encoded."""
from __future__ import annotations

from pathlib import Path

from autoscore_video.common.errors import InputError
from autoscore_video.common.media import run_ffmpeg

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


def audio_encoder(out: Path, *, bitrate: str) -> tuple[list[str], str]:
    """(ffmpeg's output options, the encoded file's suffix) for the audio stream `out` will carry."""
    suffix = out.suffix.lower()
    if suffix not in AUDIO_CODEC_BY_SUFFIX:
        raise InputError(f"{out}: cannot write a {suffix or 'suffix-less'} file "
                         f"(use {', '.join(sorted(AUDIO_CODEC_BY_SUFFIX))})")
    codec = AUDIO_CODEC_BY_SUFFIX[suffix]
    return ["-c:a", codec, "-b:a", bitrate], ENCODED_AUDIO_SUFFIX[codec]


def mux(video: Path, encoded_audio: Path, out: Path, video_stream: int = 0) -> None:
    """`out`: the picture of `video` (its stream `video_stream`) and the already encoded audio, both copied
    as they are."""
    suffix = out.suffix.lower()
    args = ["-y", "-i", str(video), "-i", str(encoded_audio), "-map", f"0:{video_stream}", "-map", "1:a:0"]
    if suffix in SUBTITLE_COPY_SUFFIXES:
        args += ["-map", "0:s?", "-c:s", "copy"]
    args += ["-c:v", "copy", "-c:a", "copy", "-map_metadata", "0", "-map_chapters", "0"]
    if suffix in {".mp4", ".m4v", ".mov"}:
        args += ["-movflags", "+faststart"]
    run_ffmpeg([*args, str(out)], what=f"writing {out}")


def mp3_encoder_args(bitrate: str) -> list[str]:
    """ffmpeg's output options for the music stem's MP3 (a Xing header, so players show its length)."""
    return ["-c:a", "libmp3lame", "-b:a", bitrate, "-write_xing", "1"]


def tag_mp3(path: Path, *, title: str, artist: str, comment: str) -> None:
    """ID3v2 title (TIT2), artist (TPE1) and comment (COMM) frames on an MP3.

    Tags are written with mutagen: ffmpeg stores a comment as TXXX:comment, which players don't show.
    """
    from mutagen.id3 import COMM, ID3, TIT2, TPE1

    tags = ID3()
    tags.add(TIT2(encoding=3, text=title))
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=comment))
    tags.save(str(path))
