"""Instruments written here, for what a General MIDI bank does badly. Each plays a track's notes (symusic's
numpy arrays, timed in seconds) over a range of samples, stereo float32, channels first.

- `sub bass`: a sine an octave under the bass line, as electronic and pop productions carry their lowest
  octave. Banks' bass samples hold little below 60 Hz; a sine is what that octave is made of.
"""
from __future__ import annotations

import numpy as np

SUB_ATTACK_S, SUB_RELEASE_S = 0.008, 0.06
SUB_LEVEL = 0.1  # amplitude at velocity 127, about the level of a bank's bass at its fundamental


def sub_bass(notes: dict[str, np.ndarray], start: int, stop: int, sample_rate: int) -> np.ndarray | None:
    """Samples [start, stop) of the line, (2, stop - start); None where it is silent."""
    first = np.round(notes["time"].astype(np.float64) * sample_rate).astype(np.int64)
    last = first + np.round((notes["duration"] + SUB_RELEASE_S) * sample_rate).astype(np.int64)
    sounding = np.flatnonzero((first < stop) & (last > max(start, 0)))
    if not len(sounding):
        return None
    out = np.zeros(stop - start, dtype=np.float64)
    for index in sounding:
        duration, pitch, velocity = (float(notes[k][index]) for k in ("duration", "pitch", "velocity"))
        lo, hi = max(int(first[index]), start, 0), min(int(last[index]), stop)
        t = (np.arange(lo, hi) - first[index]) / sample_rate
        frequency = 440.0 * 2 ** ((pitch - 69) / 12)
        held = np.clip(t / SUB_ATTACK_S, 0, 1) * np.clip((duration + SUB_RELEASE_S - t) / SUB_RELEASE_S, 0, 1)
        out[lo - start:hi - start] += np.sin(2 * np.pi * frequency * t) * held * SUB_LEVEL * velocity / 127
    return np.repeat(out.astype(np.float32)[None, :], 2, axis=0)


SYNTHS = {"sub bass": sub_bass}
