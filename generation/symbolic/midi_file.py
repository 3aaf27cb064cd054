"""The MIDI file a DAW opens as the piece was written: the full tempo map (one quarter note per beat of the
grid), the time signature of every bar (a short bar before a section change is written as one), key
signatures, section markers, and tracks named "role: instrument" with the programs the render used.

Bar 1 is the grid's first bar line, which may lie before the video starts (the music then enters mid-bar, an
anacrusis). The file says where the video starts two ways: a marker "video start", and an SMPTE offset that
puts bar 1 where it falls on a timeline whose picture starts at VIDEO_START_TIMECODE (01:00:00:00, as post-
production timelines do).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import pretty_midi

from autoscore_video.generation.symbolic.theory import tonic_pitch_class
from autoscore_video.generation.tempo import Grid

RESOLUTION = 480  # ticks per quarter note (per beat of the grid)
VIDEO_START_TIMECODE_S = 3600.0
SMPTE_FPS = 30
VIDEO_START_MARKER = "video start"
ENDING_MARKER = "ending"  # the final hit


@dataclass(frozen=True)
class Marker:
    time: float  # video time, seconds
    text: str


def new_midi(grid: Grid) -> pretty_midi.PrettyMIDI:
    """An empty file whose ticks follow `grid`: beat i of the grid at tick i × RESOLUTION. Times given to it are
    seconds from the grid's first beat (video time − origin(grid))."""
    midi = pretty_midi.PrettyMIDI(resolution=RESOLUTION)
    beats = grid.beats - grid.beats[0]
    periods = np.diff(beats)
    scales: list[tuple[int, float]] = []
    for i, period in enumerate(periods):
        scale = float(period) / RESOLUTION
        if not scales or abs(scale - scales[-1][1]) > 1e-12:
            scales.append((i * RESOLUTION, scale))
    midi._tick_scales = scales  # noqa: SLF001 (pretty_midi's tempo map: (tick, seconds per tick) from each tick on)
    midi._update_tick_to_time(len(beats) * RESOLUTION + 1)  # noqa: SLF001
    bar_lengths = [grid.bar_length(bar) for bar in range(grid.bars)]
    for bar, beats_in_bar in enumerate(bar_lengths):
        if bar == 0 or beats_in_bar != bar_lengths[bar - 1]:
            midi.time_signature_changes.append(
                pretty_midi.TimeSignature(beats_in_bar, 4, float(beats[grid.bar_starts[bar]])))
    return midi


def origin(grid: Grid) -> float:
    """The video time of the file's tick 0: the grid's first bar line (at or before 0)."""
    return float(grid.beats[0])


def add_keys(midi: pretty_midi.PrettyMIDI, changes: list[tuple[float, str, str]], start: float) -> None:
    """Key signatures at (video time, tonic, mode) changes."""
    for time, key, mode in changes:
        number = tonic_pitch_class(key) + (12 if mode == "minor" else 0)
        midi.key_signature_changes.append(pretty_midi.KeySignature(number, max(0.0, time - start)))


def write(midi: pretty_midi.PrettyMIDI, path: Path, start: float, markers: list[Marker], notice: str = "") -> None:
    """Writes `midi`, then adds the markers, the SMPTE offset of tick 0 (pretty_midi writes neither) and `notice`
    as the file's copyright text (what it may be used for)."""
    midi.write(str(path))
    song = mido.MidiFile(str(path))
    timing = song.tracks[0]
    absolute, events = 0, []
    for message in timing:
        absolute += message.time
        events.append((absolute, message))
    events = [(t, m) for t, m in events if m.type != "end_of_track"]
    for marker in [Marker(0.0, VIDEO_START_MARKER), *markers]:
        events.append((midi.time_to_tick(max(0.0, marker.time - start)), mido.MetaMessage("marker", text=marker.text)))
    tick0 = VIDEO_START_TIMECODE_S + start
    frames_total = tick0 * SMPTE_FPS
    whole = int(frames_total)
    hours, rest = divmod(whole, 3600 * SMPTE_FPS)
    minutes, rest = divmod(rest, 60 * SMPTE_FPS)
    seconds, frames = divmod(rest, SMPTE_FPS)
    events.append((0, mido.MetaMessage("smpte_offset", frame_rate=SMPTE_FPS, hours=hours, minutes=minutes,
                                       seconds=seconds, frames=frames,
                                       sub_frames=min(99, int(round((frames_total - whole) * 100))))))
    if notice:
        latin = notice.encode("latin-1", "replace").decode("latin-1")  # what a MIDI text event can carry
        events.append((0, mido.MetaMessage("copyright", text=latin)))
    events.sort(key=lambda e: (e[0], e[1].type not in ("copyright", "smpte_offset")))
    rebuilt, previous = mido.MidiTrack(), 0
    for tick, message in events:
        rebuilt.append(message.copy(time=tick - previous))
        previous = tick
    rebuilt.append(mido.MetaMessage("end_of_track", time=1))
    song.tracks[0] = rebuilt
    song.save(str(path))
