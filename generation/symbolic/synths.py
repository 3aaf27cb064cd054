"""Instruments written here, for what a General MIDI bank does badly. Each plays a track's notes (symusic's
numpy arrays, timed in seconds) into a stereo float32 buffer, (2, total), channels first.

- `sub bass`: a sine an octave under the bass line, as electronic and pop productions carry their lowest
  octave. Banks' bass samples hold little below 60 Hz; a sine is what that octave is made of.
"""
from __future__ import annotations

import numpy as np

SUB_ATTACK_S, SUB_RELEASE_S = 0.008, 0.06
SUB_LEVEL = 0.1  # amplitude at velocity 127, about the level of a bank's bass at its fundamental


def sub_bass(notes: dict[str, np.ndarray], total: int, sample_rate: int) -> np.ndarray:
    out = np.zeros(total, dtype=np.float64)
    for start, duration, pitch, velocity in zip(notes["time"], notes["duration"], notes["pitch"], notes["velocity"]):
        first = int(round(start * sample_rate))
        length = int(round((duration + SUB_RELEASE_S) * sample_rate))
        last = min(total, first + length)
        if last <= max(first, 0):
            continue
        t = np.arange(last - first) / sample_rate
        frequency = 440.0 * 2 ** ((pitch - 69) / 12)
        held = np.clip(t / SUB_ATTACK_S, 0, 1) * np.clip((duration + SUB_RELEASE_S - t) / SUB_RELEASE_S, 0, 1)
        tone = np.sin(2 * np.pi * frequency * t) * held * SUB_LEVEL * velocity / 127
        skip = max(0, -first)
        out[first + skip:last] += tone[skip:]
    return np.repeat(out.astype(np.float32)[None, :], 2, axis=0)


SYNTHS = {"sub bass": sub_bass}
