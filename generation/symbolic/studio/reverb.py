"""A shared room: the sends of every channel, convolved with a synthetic stereo impulse response.

The response is what a room's is made of: a few early reflections, then a dense tail of noise decaying at the
room's RT60, its highs dying faster than its lows (damping), drawn independently for the left and the right
so the tail is decorrelated between the ears. It is drawn from a fixed seed: a room always sounds the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from autoscore_video.generation.symbolic.studio.eq import apply, highpass, lowpass


@dataclass(frozen=True)
class Room:
    decay_s: float  # RT60 of the tail's lows
    predelay_s: float  # before the first reflection
    damping_hz: float  # the tail above this decays twice as fast
    send_highpass_hz: float = 250.0  # what goes into the room: no low end, which would muddy it


EARLY_REFLECTIONS = 8
IR_SEED = 20261201


@lru_cache(maxsize=8)
def impulse_response(room: Room, sample_rate: int) -> np.ndarray:
    """(2, samples) float32, each channel of unit energy."""
    rng = np.random.default_rng(IR_SEED)
    tail_n = int(room.decay_s * 1.1 * sample_rate)
    t = np.arange(tail_n) / sample_rate
    noise = rng.standard_normal((2, tail_n)).astype(np.float32)
    low = apply([lowpass(room.damping_hz, sample_rate)], noise)
    high = noise - low
    fade_in = np.clip(t / 0.02, 0, 1)  # the tail builds up over 20 ms, as reflections multiply
    tail = (low * 10 ** (-3 * t / room.decay_s) + high * 10 ** (-6 * t / room.decay_s)) * fade_in
    early_end = int(0.04 * sample_rate)
    for channel in range(2):
        taps = rng.integers(int(0.004 * sample_rate), early_end, size=EARLY_REFLECTIONS)
        tail[channel, taps] += rng.uniform(-6, 6, size=EARLY_REFLECTIONS)
    response = np.concatenate([np.zeros((2, int(room.predelay_s * sample_rate))), tail], axis=1)
    response /= np.sqrt(np.sum(response ** 2, axis=1, keepdims=True))
    return response.astype(np.float32)


ROOM_RATE_DIVISOR = 2  # the room is computed at half the sample rate: its tail holds nothing above 10 kHz


def reverberate(send: np.ndarray, room: Room, sample_rate: int) -> np.ndarray:
    """The room's return for `send` (2, samples), as long as `send`: its tail past the end is cut."""
    from scipy.signal import oaconvolve, resample_poly

    rate = sample_rate // ROOM_RATE_DIVISOR
    mono = (send[0] + send[1])[None, :] / 2
    band = apply([highpass(room.send_highpass_hz, sample_rate), lowpass(0.42 * rate, sample_rate, order=6)], mono)
    wet = oaconvolve(band[:, ::ROOM_RATE_DIVISOR], impulse_response(room, rate), axes=1)
    wet = resample_poly(wet[:, :send.shape[1] // ROOM_RATE_DIVISOR + 1], ROOM_RATE_DIVISOR, 1, axis=1)
    out = np.zeros_like(send)
    n = min(send.shape[1], wet.shape[1])
    out[:, :n] = wet[:, :n]
    return out
