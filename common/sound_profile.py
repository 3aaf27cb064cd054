"""How a piece of music measures as produced sound: stereo correlation, where its energy sits across the
spectrum, and its loudness range. The same measures serve our stems and reference recordings (bench/sound.py),
so a number that improves here is one any other tool would see too.

- L/R correlation: Pearson's r between the left and right channels (1: mono; real soundtracks ~0.1-0.6).
- Band shares: the fraction of the 20 Hz-20 kHz energy of the mid signal in each band of BANDS.
- Loudness range (LRA, EBU Tech 3342) and integrated loudness, as ffmpeg's ebur128 filter measures them.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autoscore_video.common.media import ffmpeg_exe

BANDS = ((20, 60), (60, 250), (250, 500), (500, 2000), (2000, 6000), (6000, 20000))


def band_name(band: tuple[int, int]) -> str:
    return f"{band[0]}-{band[1]}"


@dataclass
class SoundProfile:
    lr_correlation: float
    band_shares: dict[str, float]
    lra_lu: float
    integrated_lufs: float

    def share(self, low: int, high: int) -> float:
        return self.band_shares[band_name((low, high))]


def lr_correlation(audio: np.ndarray) -> float:
    """Pearson's r of the two channels; 1.0 for a mono or silent signal."""
    if audio.ndim != 2 or audio.shape[1] != 2:
        return 1.0
    left, right = audio[:, 0].astype(np.float64), audio[:, 1].astype(np.float64)
    left, right = left - left.mean(), right - right.mean()
    norm = np.sqrt(np.sum(left ** 2) * np.sum(right ** 2))
    return float(np.sum(left * right) / norm) if norm > 0 else 1.0


def band_shares(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Energy share per band of the mid signal, by Welch's averaged periodogram (8192-sample segments)."""
    from scipy.signal import welch

    mid = audio.mean(axis=1) if audio.ndim == 2 else audio
    frequencies, power = welch(mid.astype(np.float64), fs=sample_rate, nperseg=min(8192, max(256, len(mid))))
    total = power[(frequencies >= BANDS[0][0]) & (frequencies < BANDS[-1][1])].sum()
    return {band_name(band): float(power[(frequencies >= band[0]) & (frequencies < band[1])].sum() / total)
            if total > 0 else 0.0 for band in BANDS}


def loudness_range(path: Path) -> tuple[float, float]:
    """(LRA in LU, integrated loudness in LUFS) of an audio file's first audio stream, by ffmpeg's ebur128."""
    # ebur128 prints its summary at the info level, which run_ffmpeg keeps quiet
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-nostats", "-hide_banner", "-i", str(path), "-map", "0:a:0",
                           "-af", "ebur128", "-f", "null", "-"], capture_output=True, check=False)
    summary = proc.stderr.decode("utf-8", "replace").rsplit("Summary:", 1)[-1]
    lra = re.search(r"LRA:\s*(-?[\d.]+)\s*LU", summary)
    integrated = re.search(r"I:\s*(-?[\d.]+)\s*LUFS", summary)
    if not lra or not integrated:
        raise ValueError(f"ffmpeg gave no loudness summary for {path}")
    return float(lra.group(1)), float(integrated.group(1))


def profile(path: Path, audio: np.ndarray, sample_rate: int) -> SoundProfile:
    """`audio`: the decoded file at `path`, (samples, 2)."""
    lra, integrated = loudness_range(path)
    return SoundProfile(round(lr_correlation(audio), 3),
                        {k: round(v, 4) for k, v in band_shares(audio, sample_rate).items()}, lra, integrated)
