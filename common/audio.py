"""Audio in memory: loading a file at the rate and channel count a stage works in, resampling, and fitting a
signal to an exact length. Arrays are float32, shape (samples, channels), or (samples,) for mono."""
from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np

from autoscore_video.common.errors import InputError
from autoscore_video.common.media import read_audio


def load_audio(path: Path, *, sample_rate: int, channels: int = 2, what: str) -> np.ndarray:
    """`path` as float32 (samples, channels) at `sample_rate`: WAV/FLAC through libsndfile, anything else
    through ffmpeg. Mono is spread to every channel; extra channels are dropped. `what` names the file in
    the one-line error."""
    import soundfile

    try:
        audio, source_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError):
        try:
            return read_audio(path, sample_rate=sample_rate, channels=channels, what=f"decoding {path}")
        except InputError as exc:
            raise InputError(f"{path}: cannot read {what} ({exc})") from exc
    if audio.shape[1] == 1 and channels > 1:
        audio = np.repeat(audio, channels, axis=1)
    return resample(audio[:, :channels], source_rate, sample_rate)


def resample(audio: np.ndarray, source_rate: int, rate: int) -> np.ndarray:
    """Polyphase resampling along the time axis (scipy's resample_poly: exact for integer-ratio rates)."""
    if source_rate == rate:
        return audio
    from scipy.signal import resample_poly

    g = gcd(rate, source_rate)
    return resample_poly(audio, rate // g, source_rate // g, axis=0).astype(np.float32)


def exact_length(audio: np.ndarray, samples: int) -> np.ndarray:
    """`audio` cut to `samples`, or padded to it with silence."""
    if len(audio) >= samples:
        return audio[:samples]
    padding = np.zeros((samples - len(audio), *audio.shape[1:]), dtype=audio.dtype)
    return np.concatenate([audio, padding])
