"""Bend music whose beats were measured (not planned) so that the video's cuts land on beats.

First the music may start up to one beat later (its head trimmed) so the first cut meets a beat. Then
the cuts are walked in order: a cut is anchored to the beat nearest it that can be moved onto it while
every stretch between anchors stays within ±max_stretch. Each span between anchors is time-stretched
by librosa's phase vocoder (pitch unchanged) to its new length, and the spans are joined with short
crossfades. After the last anchor the music runs at its own speed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autoscore_video.common.audio import exact_length
from autoscore_video.common.beat_hits import count_hits

JOIN_S = 0.01  # crossfade between stretched spans
UNCHANGED = 1e-3  # spans stretched less than this are copied as they are


@dataclass
class Warp:
    trim_s: float  # seconds cut from the head of the music
    anchors: list[tuple[float, float]]  # (time in the trimmed music, time it is moved to)
    max_stretch: float  # largest |new length / old length - 1| used
    beats: list[float] = field(default_factory=list)  # the beats after warping
    downbeats: list[float] = field(default_factory=list)


def plan_warp(beats: list[float], cuts: list[float], *, max_stretch: float, tolerance_s: float,
              available_s: float) -> Warp:
    """Where to trim and which beat goes to which cut; `available_s` is how much the head may lose."""
    beat_arr = np.asarray(beats, dtype=float)
    trim = _best_trim(beat_arr, cuts, tolerance_s, available_s)
    shifted = beat_arr - trim
    anchors: list[tuple[float, float]] = [(0.0, 0.0)]
    worst = 0.0
    for cut in cuts:
        src0, dst0 = anchors[-1]
        if cut <= dst0:
            continue
        # a beat at src can move to `cut` if (cut - dst0) / (src - src0) - 1 stays within the bound
        lo = src0 + (cut - dst0) / (1 + max_stretch)
        hi = src0 + (cut - dst0) / (1 - max_stretch)
        near = shifted[(shifted >= lo) & (shifted <= hi) & (shifted > src0)]
        if not len(near):
            continue
        src = float(near[np.argmin(np.abs(near - cut))])
        anchors.append((src, cut))
        worst = max(worst, abs((cut - dst0) / (src - src0) - 1))
    return Warp(trim_s=trim, anchors=anchors[1:], max_stretch=round(worst, 4))


def _best_trim(beats: np.ndarray, cuts: list[float], tolerance_s: float, available_s: float) -> float:
    """The head trim (0 up to a beat, within what is available) that leaves most cuts on a beat as is."""
    if not cuts or len(beats) < 2:
        return 0.0
    period = float(np.median(np.diff(beats)))
    limit = min(period, max(0.0, available_s))
    candidates = {0.0} | {round(float(b - cuts[0]), 6) for b in beats if 0.0 < b - cuts[0] <= limit}
    return max(sorted(candidates), key=lambda trim: count_hits(cuts, beats - trim, tolerance_s))


def apply_warp(audio: np.ndarray, rate: int, warp: Warp, beats: list[float], downbeats: list[float]
               ) -> tuple[np.ndarray, Warp]:
    """`audio` (samples, channels) warped; the returned Warp carries the moved beats and downbeats."""
    import librosa

    head = int(round(warp.trim_s * rate))
    music = audio[head:]
    points = [(0.0, 0.0), *warp.anchors]
    pieces: list[np.ndarray] = []
    join = int(JOIN_S * rate)
    for (src0, dst0), (src1, dst1) in zip(points[:-1], points[1:]):
        a, b = int(round(src0 * rate)), int(round(src1 * rate))
        length = int(round(dst1 * rate)) - int(round(dst0 * rate))
        segment = music[a:min(len(music), b + join)]
        ratio = (b - a) / max(length, 1)
        if abs(ratio - 1.0) < UNCHANGED:
            stretched = segment
        else:
            stretched = librosa.effects.time_stretch(np.ascontiguousarray(segment.T), rate=ratio).T
        pieces.append(exact_length(stretched, length + join))
    tail_from = int(round(points[-1][0] * rate))
    pieces.append(music[tail_from:])
    warped = _join(pieces, join)
    moved = Warp(trim_s=warp.trim_s, anchors=warp.anchors, max_stretch=warp.max_stretch,
                 beats=_map_times(beats, warp), downbeats=_map_times(downbeats, warp))
    return warped.astype(np.float32), moved


def _join(pieces: list[np.ndarray], join: int) -> np.ndarray:
    """Each piece but the last carries `join` extra samples that crossfade into the next piece's head."""
    out = pieces[0]
    fade = np.linspace(0.0, 1.0, join, dtype=np.float32)[:, None]
    for piece in pieces[1:]:
        if join and len(out) >= join and len(piece) >= join:
            overlap = out[-join:] * (1 - fade) + piece[:join] * fade
            out = np.concatenate([out[:-join], overlap, piece[join:]])
        else:
            out = np.concatenate([out[:len(out) - join] if join else out, piece])
    return out


def _map_times(times: list[float], warp: Warp) -> list[float]:
    """Times in the original music → times after trim and warp (piecewise linear between anchors)."""
    points = [(0.0, 0.0), *warp.anchors]
    src = np.array([p[0] for p in points])
    dst = np.array([p[1] for p in points])
    out = []
    for t in times:
        s = t - warp.trim_s
        if s < 0:
            continue
        if s >= src[-1]:
            out.append(round(float(dst[-1] + (s - src[-1])), 4))
        else:
            out.append(round(float(np.interp(s, src, dst)), 4))
    return out
