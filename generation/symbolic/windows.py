"""The symbolic engine plays and mixes a piece a window at a time, so its memory does not grow with the piece.

Every stage that steps in blocks of its own (the compressor's detector, the ensemble's sweep, the room's
half rate, the level meter's decimation) steps in a divisor of WINDOW_ALIGN, so each window starts on a
boundary of each of them and the windows joined give what the whole piece would.
"""
from __future__ import annotations

WINDOW_S = 10.0
WINDOW_ALIGN = 64


def window_length(sample_rate: int) -> int:
    return max(WINDOW_ALIGN, int(WINDOW_S * sample_rate) // WINDOW_ALIGN * WINDOW_ALIGN)


def windows(total: int, sample_rate: int) -> list[tuple[int, int]]:
    """[start, stop) sample ranges covering `total` samples."""
    length = window_length(sample_rate)
    return [(start, min(total, start + length)) for start in range(0, total, length)]
