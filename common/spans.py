"""Time spans (start, end) in seconds: the one way regions such as speech are cleaned and merged."""
from __future__ import annotations

import math


def merge_spans(spans, bridge_s: float = 0.0, lo: float = 0.0, hi: float = math.inf) -> list[tuple[float, float]]:
    """`spans` sorted, clipped to lo..hi, with empty or non-finite ones dropped and overlapping ones (and
    those whose gap is shorter than `bridge_s`) merged."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted((max(lo, float(a)), min(hi, float(b))) for a, b in spans
                             if math.isfinite(a) and math.isfinite(b)):
        if end <= start:
            continue
        if merged and start - merged[-1][1] < max(bridge_s, 1e-12):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
