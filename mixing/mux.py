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


def mux(video: Path, audio_wav: Path, out: Path, *, bitrate: str) -> None:
    suffix = out.suffix.lower()
    if suffix not in AUDIO_CODEC_BY_SUFFIX:
        raise InputError(f"{out}: cannot write a {suffix or 'suffix-less'} file "
                         f"(use {', '.join(sorted(AUDIO_CODEC_BY_SUFFIX))})")
    args = ["-y", "-i", str(video), "-i", str(audio_wav), "-map", "0:v:0", "-map", "1:a:0"]
    if suffix in SUBTITLE_COPY_SUFFIXES:
        args += ["-map", "0:s?", "-c:s", "copy"]
    args += ["-c:v", "copy", "-c:a", AUDIO_CODEC_BY_SUFFIX[suffix], "-b:a", bitrate,
             "-map_metadata", "0", "-map_chapters", "0"]
    if suffix in {".mp4", ".m4v", ".mov"}:
        args += ["-movflags", "+faststart"]
    run_ffmpeg([*args, str(out)], what=f"writing {out}")


def encode_mp3(wav: Path, out: Path, *, bitrate: str, title: str, artist: str, comment: str) -> None:
    """MP3 of the music stem with ID3v2 title (TIT2), artist (TPE1) and comment (COMM) frames.

    Tags are written with mutagen: ffmpeg stores a comment as TXXX:comment, which players don't show.
    """
    from mutagen.id3 import COMM, ID3, TIT2, TPE1

    run_ffmpeg(["-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", bitrate, "-write_xing", "1", str(out)],
               what=f"writing {out}")
    tags = ID3()
    tags.add(TIT2(encoding=3, text=title))
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=comment))
    tags.save(str(out))
