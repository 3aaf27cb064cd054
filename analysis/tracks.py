"""Which audio track the mix is made on, and where it sits on the picture's timeline.

The track marked default, else the first that is not silent (a camera's dead second mic, a silent track 1
beside the real sound); `--audio-track N` chooses outright. The other tracks are kept in the output as they
are (mixing.tracks), placed on the picture as the chosen one is.
"""
from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from pathlib import Path

import numpy as np

from autoscore_video.analysis.features import AudioTrackChoice
from autoscore_video.common.errors import InputError
from autoscore_video.common.media import AudioStream, MediaInfo, Placement, stream_audio

SILENCE_PEAK = 10 ** (-80 / 20)  # a track whose every sample stays under -80 dBFS carries nothing to mix
CHECK_RATE = 8000  # enough to tell sound from silence, cheap to decode
PLACEMENT_NOTE_S = 0.05  # offsets smaller than this (codec priming, rounding) are not worth a note


def choose_track(path: Path, info: MediaInfo, requested: int | None = None) -> tuple[MediaInfo, AudioTrackChoice]:
    """`info` with the mix's track chosen (`audio_stream`, its rate and channels), and the choice explained.
    `requested`: a 1-based track number (`--audio-track`)."""
    streams = info.audio_streams
    if requested is not None and not 1 <= requested <= len(streams):
        have = f"{len(streams)} audio track{'s' if len(streams) != 1 else ''}" if streams else "no audio track"
        raise InputError(f"--audio-track {requested}: {path} has {have}")
    if not streams:
        return replace(info, audio_stream=None, audio_sample_rate=None, audio_channels=None), \
            AudioTrackChoice(track=None, stream=None, why="the clip has no audio track")
    if requested is not None:
        number, why = requested, f"--audio-track {requested}"
    elif len(streams) == 1:
        number, why = 1, "the only audio track"
    else:
        number, why = _first_heard(path, info)
    chosen = streams[number - 1]
    choice = AudioTrackChoice(track=number, stream=chosen.index, why=why, offset_s=round(chosen.start - info.start, 6),
                              others=[n for n in range(1, len(streams) + 1) if n != number],
                              notes=placement_notes(chosen, info, number))
    return replace(info, audio_stream=chosen.index, audio_sample_rate=chosen.sample_rate,
                   audio_channels=chosen.channels), choice


def _first_heard(path: Path, info: MediaInfo) -> tuple[int, str]:
    """(track number, why): the tracks marked default first (unless every one is), then the rest in order; the
    first of them that is not silent, else the first of them."""
    streams = info.audio_streams
    numbered = list(enumerate(streams, start=1))
    marked = [(n, s) for n, s in numbered if s.default]
    order = marked + [(n, s) for n, s in numbered if not s.default] if len(marked) < len(streams) else numbered
    silent: list[int] = []
    for number, stream in order:
        if not _silent(path, info, stream):
            if not silent:
                return number, "marked default" if stream.default and len(marked) < len(streams) else \
                    "the first audio track"
            return number, f"the first that is not silent (track {', '.join(map(str, silent))} silent)"
        silent.append(number)
    return order[0][0], "every audio track is silent: the first"


def _silent(path: Path, info: MediaInfo, stream: AudioStream) -> bool:
    """True where no sample of `stream` within the picture reaches SILENCE_PEAK (decoding stops at the first
    that does); a track that cannot be decoded is no sound to mix either."""
    blocks = stream_audio(path, sample_rate=CHECK_RATE, channels=1, placement=Placement.of(info, stream.index),
                          what=f"decoding audio track {stream.index} of {path}")
    try:
        with closing(blocks):
            for block in blocks:
                if float(np.max(np.abs(block), initial=0.0)) >= SILENCE_PEAK:
                    return False
    except InputError:
        return True
    return True


def placement_notes(stream: AudioStream, info: MediaInfo, number: int) -> list[str]:
    """What placing `stream` on the picture does, in words: silence before a late start, a cut before an early one,
    and the same at the end."""
    notes = []
    late = stream.start - info.start
    if late > PLACEMENT_NOTE_S:
        notes.append(f"audio track {number} starts {late:.3f} s after the first frame: silence fills the gap")
    elif late < -PLACEMENT_NOTE_S:
        notes.append(f"audio track {number} starts {-late:.3f} s before the first frame: that part is cut")
    if stream.duration is not None:
        over = (stream.start + stream.duration) - (info.start + info.duration)
        if over > PLACEMENT_NOTE_S:
            notes.append(f"audio track {number} runs {over:.3f} s past the last frame: that part is cut")
        elif over < -PLACEMENT_NOTE_S and stream.start + stream.duration > info.start:
            notes.append(f"audio track {number} ends {-over:.3f} s before the last frame: silence fills the rest")
    return notes
