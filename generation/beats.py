"""Measured beat grids for engines that do not render on a planned grid (librosa's beat tracker)."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from autoscore_video.common.beat_hits import count_hits, distances_to_nearest


def measure_beats(audio: np.ndarray, rate: int, start_bpm: float, beats_per_bar: int = 4,
                  audible_within_db: float | None = None) -> tuple[float, list[float], list[float]]:
    """(tempo in BPM, beat times, downbeat times) of mono `audio`.

    The tempo is the least-squares period of the tracked beats (finer than librosa's tempo bins); the
    downbeat phase is the one whose beats carry the most onset strength. By default librosa trims
    weak beats at both ends (a closing fade loses its beats); with `audible_within_db` every tracked
    beat is kept where the music is no more than that many dB below its loudest moment.
    """
    import librosa

    hop = 256
    onset = librosa.onset.onset_strength(y=audio, sr=rate, hop_length=hop)
    _, frames = librosa.beat.beat_track(onset_envelope=onset, sr=rate, hop_length=hop, start_bpm=start_bpm,
                                        trim=audible_within_db is None)
    if audible_within_db is not None and len(frames):
        level = librosa.amplitude_to_db(librosa.feature.rms(y=audio, hop_length=hop)[0], ref=np.max)
        frames = frames[level[np.minimum(frames, len(level) - 1)] >= -audible_within_db]
    beats = librosa.frames_to_time(frames, sr=rate, hop_length=hop)
    if len(beats) < 2:
        return float(start_bpm), [round(float(b), 4) for b in beats], [round(float(b), 4) for b in beats]
    period = float(np.polyfit(np.arange(len(beats)), beats, 1)[0])
    phases = range(min(beats_per_bar, len(frames)))
    strength = [float(onset[frames[phase::beats_per_bar]].sum()) for phase in phases]
    phase = int(np.argmax(strength))
    times = [round(float(b), 4) for b in beats]
    return round(60.0 / period, 3), times, times[phase::beats_per_bar]


def cut_fit(cuts: list[float], beats: list[float]) -> tuple[float, float]:
    """(share of cuts on a beat, mean distance to the nearest beat). A higher share is better; between equal
    shares, a smaller distance."""
    if not cuts or not beats:
        return 0.0, 0.0
    return count_hits(cuts, beats) / len(cuts), float(distances_to_nearest(cuts, beats).mean())


COMPILE_S = 25  # numba's compile of librosa's beat tracker and onset functions, the first time (2-core machine)


def beat_tracker_compiled() -> bool:
    """Whether numba's cache holds librosa's beat tracker for this Python, so importing it takes seconds, not
    the COMPILE_S of its first compile. librosa asks numba to cache what it compiles: beside its own source
    (`__pycache__`), in numba's per-user cache where that folder is read-only, or in NUMBA_CACHE_DIR where set."""
    found = importlib.util.find_spec("librosa")
    if found is None or found.origin is None:
        return True  # nothing to compile (the import fails on its own terms)
    index = f"beat.*.py{sys.version_info.major}{sys.version_info.minor}.nbi"
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen:
        places = [Path(chosen)]
    else:
        from numba.misc.appdirs import user_cache_dir

        places = [Path(found.origin).parent / "__pycache__", Path(user_cache_dir(appname="numba"))]
    return any(next(place.rglob(index), None) is not None for place in places if place.is_dir())
