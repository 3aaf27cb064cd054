"""Audio a block at a time: the mixing stage never holds a whole track, so its memory does not grow with the
clip. Blocks are float32 arrays of shape (samples, channels)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

BLOCK_S = 5.0  # a whole number of the loudness meter's 100 ms steps


def block_samples(rate: int) -> int:
    return int(round(BLOCK_S * rate))


def fixed_blocks(chunks: Iterable[np.ndarray], total: int, size: int, channels: int) -> Iterator[np.ndarray]:
    """Chunks of any length → consecutive blocks of `size` samples (the last one shorter) covering exactly
    `total` samples: cut where the chunks run longer, silence where they run short. A source still running
    past the end (a decoder) is closed."""
    source = iter(chunks)
    pending = np.zeros((0, channels), dtype=np.float32)
    try:
        for start in range(0, total, size):
            want = min(size, total - start)
            parts = [pending]
            held = len(pending)
            while held < want and (chunk := next(source, None)) is not None:
                parts.append(chunk)
                held += len(chunk)
            if held < want:
                parts.append(np.zeros((want - held, channels), dtype=np.float32))
            joined = np.concatenate(parts) if len(parts) > 1 else pending
            yield joined[:want]
            pending = joined[want:]
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def with_context(blocks: Iterable[np.ndarray], context: int) -> Iterator[tuple[np.ndarray, slice]]:
    """Each block with up to `context` samples of the blocks before and after it joined on, and the slice
    of the joined array that is the block itself. Every block but the last must be at least `context` long."""
    previous_tail = None
    source = iter(blocks)
    current = next(source, None)
    while current is not None:
        following = next(source, None)
        parts = [previous_tail] if previous_tail is not None else []
        parts.append(current)
        if following is not None:
            parts.append(following[:context])
        head = len(previous_tail) if previous_tail is not None else 0
        yield (np.concatenate(parts) if len(parts) > 1 else current), slice(head, head + len(current))
        previous_tail = current[max(0, len(current) - context):]
        current = following
