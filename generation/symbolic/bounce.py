"""Bouncing a piece to its WAV a window at a time. The compressor sets its threshold from the whole bus, and the
tonal match is solved on the whole bus's spectrum, so the bus goes first to a raw float32 file beside the WAV
while the compressor's detector and the spectrum read it; then each stretch of it is finished (compressed,
matched to its tonal target, given its top end) into the WAV. Memory holds a window; the disk holds the bus
once more than the WAV does, until the WAV is complete. The WAV is float: it keeps the console's own level,
with no clipping, for the mixing stage to set."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import soundfile

from autoscore_video.common.progress import Passes
from autoscore_video.generation.symbolic.studio.console import Console, Finish
from autoscore_video.generation.symbolic.studio.dynamics import detector_powers
from autoscore_video.generation.symbolic.studio.tone import LongTermSpectrum

FRAME_BYTES = 2 * 4  # a stereo float32 frame
CHUNK_FRAMES = 2 ** 18  # read back this much of the bus at a time
BUS_SHARE = 0.9  # of a bounce's time, playing the parts into the bus (the finishing pass reads it back: the rest)


def bounce_console(console: Console, path: Path, progress=None, speech: Sequence[tuple[float, float]] = ()) -> None:
    """The console's mix written to `path`; `speech` (seconds): where the words are, for the tone's presence dip."""
    raw = path.with_name(path.name + ".bus")
    raw_kit = path.with_name(path.name + ".kit")
    passes = Passes(progress, 2, first_share=BUS_SHARE)
    passes.at(0.0)
    try:
        powers = []
        spectrum = LongTermSpectrum(console.sample_rate)
        with open(raw, "wb") as out, open(raw_kit, "wb") as out_kit:
            for _, _, bus, kit in console.bus(passes.at):
                out.write(np.ascontiguousarray(bus.T).tobytes())
                if kit is not None:  # a production without a kit writes no kit file
                    out_kit.write(np.ascontiguousarray(kit.T).tobytes())
                    bus += kit
                powers.append(detector_powers(bus))
                spectrum.feed(bus)
        passes.next_pass()
        finish = Finish(console.production, console.sample_rate, np.concatenate(powers), spectrum, speech)
        with open(raw, "rb") as bus, open(raw_kit, "rb") as kit:
            _write_wav(path, console.sample_rate, _finished(finish, bus, kit, console.total, passes.at))
        passes.finished()
    finally:
        raw.unlink(missing_ok=True)
        raw_kit.unlink(missing_ok=True)


def _finished(finish: Finish, bus, kit, total: int, progress=None):
    """The bus read back and finished, the kit through its limiter: the limiter looks ahead, so the kit is read
    that far ahead of the bus (silence past its end) and the limiter comes out in time."""
    limiter = finish.kit
    limiter(_read(kit, limiter.delay, limiter.delay))  # its delay line, filled with the kit's first samples
    late = finish.peaks.delay
    for start, stop in _chunks(total):
        audio = finish(start, stop, _read(bus, stop - start), limiter(_read(kit, stop - start, stop - start)))
        yield audio[:, late:] if start == 0 else audio
        if progress:
            progress(stop / total)
    yield finish.peaks(np.zeros((2, late), dtype=np.float32))


def bounce_dry(windows: Iterable[np.ndarray], path: Path, sample_rate: int) -> None:
    """Windows of the parts summed as they are (no console), written to `path`."""
    _write_wav(path, sample_rate, windows)


def _read(raw, frames: int, least: int = 0) -> np.ndarray:
    """The next `frames` of a raw stereo file, (2, n); with `least`, silence after its end up to that many."""
    audio = np.fromfile(raw, dtype=np.float32, count=frames * 2).reshape(-1, 2).T
    if audio.shape[1] < least:
        audio = np.concatenate([audio, np.zeros((2, least - audio.shape[1]), dtype=np.float32)], axis=1)
    return audio


def _chunks(total: int):
    for start in range(0, total, CHUNK_FRAMES):
        yield start, min(total, start + CHUNK_FRAMES)


def _write_wav(path: Path, sample_rate: int, pieces: Iterable[np.ndarray]) -> None:
    """(2, n) pieces in order into a float WAV, written under a temporary name and renamed when complete."""
    partial = path.with_name(path.name + ".partial")
    try:
        with soundfile.SoundFile(str(partial), "w", samplerate=sample_rate, channels=2, subtype="FLOAT",
                                 format="WAV") as wav:
            for audio in pieces:
                wav.write(audio.T)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
