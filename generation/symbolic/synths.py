"""Instruments written here, for what a General MIDI bank does badly. Each plays a track's notes (symusic's
numpy arrays, timed in seconds) over a range of samples, stereo float32, channels first.

- `sub bass`: a sine an octave under the bass line, as electronic and pop productions carry their lowest
  octave. Banks' bass samples hold little below 60 Hz; a sine is what that octave is made of.
- `reverse cymbal`: the riser into a cut that matters, as a swell of noise that opens from dark to bright over
  the note. General MIDI's program 119 is silent in most banks (MuseScore General, FluidR3: under -120 dB), so
  the composer's risers were lost; written here, every bank has one.
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


RISER_LEVEL = 0.12  # peak amplitude at velocity 127, at the note's end
RISER_DARK_HZ = 900.0  # the noise starts low-passed here and opens to the full band


def riser(notes: dict[str, np.ndarray], start: int, stop: int, sample_rate: int) -> np.ndarray | None:
    """Samples [start, stop) of the risers, (2, stop - start): each note a noise swell that grows (squared) and
    brightens to its end, then stops; the same noise for a note whatever the window (seeded by its onset)."""
    from scipy.signal import butter, sosfilt

    first = np.round(notes["time"].astype(np.float64) * sample_rate).astype(np.int64)
    last = first + np.round(notes["duration"].astype(np.float64) * sample_rate).astype(np.int64)
    sounding = np.flatnonzero((first < stop) & (last > max(start, 0)))
    if not len(sounding):
        return None
    dark = butter(2, RISER_DARK_HZ, btype="low", fs=sample_rate, output="sos")
    out = np.zeros((2, stop - start), dtype=np.float64)
    for index in sounding:
        length = int(last[index] - first[index])
        if length <= 0:
            continue
        noise = np.random.default_rng(int(first[index])).standard_normal((2, length))
        shape = np.linspace(0.0, 1.0, length)
        swell = (1.0 - shape) * sosfilt(dark, noise, axis=1) + shape * noise
        swell *= shape ** 2 * RISER_LEVEL * float(notes["velocity"][index]) / 127 / 3.0  # unit noise peaks near 3
        lo, hi = max(int(first[index]), start, 0), min(int(last[index]), stop)
        out[:, lo - start:hi - start] += swell[:, lo - int(first[index]):hi - int(first[index])]
    return out.astype(np.float32)


SYNTHS = {"sub bass": sub_bass, "reverse cymbal": riser}
