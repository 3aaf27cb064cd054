"""The source's other audio tracks (a camera's second mic, a commentary): each placed on the picture's timeline
as the mix's own track is, encoded in the output's audio codec, and carried after the mix."""
from __future__ import annotations

import re
from pathlib import Path

from autoscore_video.common.errors import InputError
from autoscore_video.common.media import AudioStream, MediaInfo, Placement, run_ffmpeg
from autoscore_video.mixing.mux import KeptTrack, audio_encoder
from autoscore_video.mixing.settings import MixSettings


def encode_kept_tracks(video: Path, source: MediaInfo | None, streams: tuple[AudioStream, ...], out: Path,
                       settings: MixSettings, work_dir: Path, notes: list[str]) -> list[tuple[KeptTrack, Path]]:
    """Each of `streams` of `video` placed on `source`'s picture and encoded for `out` (with the encoded file);
    a track that cannot be decoded is left out with a note rather than failing the clip."""
    if not streams or source is None:
        return []
    numbers = {s.index: n for n, s in enumerate(source.audio_streams, start=1)}
    kept = []
    for stream in streams:
        number = numbers[stream.index]
        encoder_args, suffix = audio_encoder(out, bitrate=_bitrate(settings.audio_bitrate, stream.channels))
        path = work_dir / f"track{number}{suffix}"
        try:
            run_ffmpeg(["-y", *Placement(stream.index, source.start, source.duration).ffmpeg_input(video),
                        *encoder_args, str(path)], what=f"encoding audio track {number}")
        except InputError as exc:
            notes.append(f"audio track {number} left out: {exc}")
            continue
        kept.append((KeptTrack(track=number, channels=stream.channels, language=stream.language,
                               title=stream.title), path))
    return kept


def _bitrate(stereo: str, channels: int) -> str:
    """The mix's bitrate for a stereo track, scaled to `channels` (a 5.1 camera track keeps its surround)."""
    match = re.fullmatch(r"(\d+)k", stereo)
    if not match or channels <= 2:
        return stereo
    return f"{int(match.group(1)) * channels // 2}k"
