"""A shared room: the sends of every channel, convolved with a synthetic stereo impulse response.

The response is what a room's is made of: a few early reflections, then a dense tail of noise decaying at the
room's RT60, its highs dying faster than its lows (damping), drawn independently for the left and the right
so the tail is decorrelated between the ears. It is drawn from a fixed seed: a room always sounds the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from autoscore_video.generation.symbolic.studio.eq import Cascade, apply, highpass, lowpass


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
BAND_TOP = 0.42  # of the room's rate: the send's top before it is halved, and the return's after it is doubled


def reverberate(send: np.ndarray, room: Room, sample_rate: int) -> np.ndarray:
    """The room's return for `send` (2, samples), as long as `send`: its tail past the end is cut."""
    return Reverb(room, sample_rate)(send)


class Reverb:
    """The room's return for a send that comes a block at a time (blocks of an even number of samples, but the
    last): the send band-limited and halved in rate, convolved with the room's response block by block (the
    part of each block's response that falls after it carried to the next), doubled in rate again through a
    low-pass. Every step is causal, so each block's return is complete when the block is."""

    def __init__(self, room: Room, sample_rate: int):
        rate = sample_rate // ROOM_RATE_DIVISOR
        self.response = impulse_response(room, rate)
        self.band = Cascade([highpass(room.send_highpass_hz, sample_rate),
                             lowpass(BAND_TOP * rate, sample_rate, order=6)])
        self.smooth = Cascade([lowpass(BAND_TOP * rate, sample_rate, order=4)])
        self.carry = np.zeros((2, 0), dtype=np.float32)

    def __call__(self, send: np.ndarray) -> np.ndarray:
        from scipy.signal import oaconvolve

        n = send.shape[1]
        band = self.band((send[0] + send[1])[None, :] / 2)
        wet = oaconvolve(band[:, ::ROOM_RATE_DIVISOR], self.response, axes=1).astype(np.float32)
        head = min(self.carry.shape[1], wet.shape[1])
        wet[:, :head] += self.carry[:, :head]
        if self.carry.shape[1] > head:
            wet = np.concatenate([wet, self.carry[:, head:]], axis=1)
        now = -(-n // ROOM_RATE_DIVISOR)
        self.carry = wet[:, now:].copy()
        stuffed = np.zeros((2, now * ROOM_RATE_DIVISOR), dtype=np.float32)
        stuffed[:, ::ROOM_RATE_DIVISOR] = wet[:, :now] * np.float32(ROOM_RATE_DIVISOR)
        return self.smooth(stuffed)[:, :n]
