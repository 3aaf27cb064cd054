"""Equalisers as second-order sections (scipy.signal): high-pass and low-pass (Butterworth), and the peaking bell
and the shelves of the Audio EQ Cookbook (R. Bristow-Johnson), run forward only, as a console's EQ is. Each
function gives the sections; `apply` runs a cascade of them over audio, channels first (float32 out), and a
`Cascade` runs one over audio that comes a block at a time, keeping the filters' state between blocks (both
through common/filtering.py, in float64, so that a ring-down never slows on subnormal numbers)."""
from __future__ import annotations

import math

import numpy as np

from autoscore_video.common.filtering import sosfilt as flushed_sosfilt


def _signal():
    from scipy import signal  # about a second to import: only when a stem is equalised

    return signal


def highpass(hz: float, sample_rate: int, order: int = 2) -> np.ndarray:
    return np.asarray(_signal().butter(order, hz, btype="highpass", fs=sample_rate, output="sos"))


def lowpass(hz: float, sample_rate: int, order: int = 2) -> np.ndarray:
    return np.asarray(_signal().butter(order, hz, btype="lowpass", fs=sample_rate, output="sos"))


def bell(hz: float, gain_db: float, q: float, sample_rate: int) -> np.ndarray:
    """A peaking bell: `gain_db` at `hz`, bandwidth set by `q`."""
    a = 10 ** (gain_db / 40)
    w = 2 * math.pi * hz / sample_rate
    alpha = math.sin(w) / (2 * q)
    b = [1 + alpha * a, -2 * math.cos(w), 1 - alpha * a]
    den = [1 + alpha / a, -2 * math.cos(w), 1 - alpha / a]
    return _section(b, den)


def high_shelf(hz: float, gain_db: float, sample_rate: int) -> np.ndarray:
    """A high shelf (slope 1): `gain_db` above `hz`, half of it at `hz`."""
    a = 10 ** (gain_db / 40)
    w = 2 * math.pi * hz / sample_rate
    cos, alpha = math.cos(w), math.sin(w) / 2 * math.sqrt(2)
    root = 2 * math.sqrt(a) * alpha
    b = [a * ((a + 1) + (a - 1) * cos + root), -2 * a * ((a - 1) + (a + 1) * cos), a * ((a + 1) + (a - 1) * cos - root)]
    den = [(a + 1) - (a - 1) * cos + root, 2 * ((a - 1) - (a + 1) * cos), (a + 1) - (a - 1) * cos - root]
    return _section(b, den)


def low_shelf(hz: float, gain_db: float, sample_rate: int) -> np.ndarray:
    """A low shelf (slope 1): `gain_db` below `hz`, half of it at `hz`."""
    a = 10 ** (gain_db / 40)
    w = 2 * math.pi * hz / sample_rate
    cos, alpha = math.cos(w), math.sin(w) / 2 * math.sqrt(2)
    root = 2 * math.sqrt(a) * alpha
    b = [a * ((a + 1) - (a - 1) * cos + root), 2 * a * ((a - 1) - (a + 1) * cos), a * ((a + 1) - (a - 1) * cos - root)]
    den = [(a + 1) + (a - 1) * cos + root, -2 * ((a - 1) + (a + 1) * cos), (a + 1) + (a - 1) * cos - root]
    return _section(b, den)


def response_db(sections: list[np.ndarray], frequencies: np.ndarray, sample_rate: int) -> np.ndarray:
    """The cascade's gain (dB) at `frequencies` (Hz)."""
    if not sections:
        return np.zeros(len(frequencies))
    _, h = _signal().sosfreqz(np.concatenate(sections), worN=frequencies, fs=sample_rate)
    return 20 * np.log10(np.abs(h) + 1e-12)


def _section(b: list[float], a: list[float]) -> np.ndarray:
    return np.array([[b[0] / a[0], b[1] / a[0], b[2] / a[0], 1.0, a[1] / a[0], a[2] / a[0]]])


def apply(sections: list[np.ndarray], audio: np.ndarray) -> np.ndarray:
    """`audio` (channels, samples) through every section in turn; as it is where there are none."""
    if not sections:
        return audio
    return flushed_sosfilt(np.concatenate(sections), audio.astype(np.float32, copy=False))[0]


class Cascade:
    """Sections run over consecutive blocks of one stream: the same output as `apply` over the blocks joined.
    The state is kept per channel; a mono stream may become stereo (`split`) when it is panned after the
    filter, since the filter and a constant gain commute."""

    def __init__(self, sections: list[np.ndarray]):
        self.sos = np.concatenate(sections) if sections else None
        self.state: np.ndarray | None = None  # (sections, channels, 2), float64
        self.position = 0  # samples filtered so far

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        if self.sos is None:
            return audio
        out, self.state = flushed_sosfilt(self.sos, audio.astype(np.float32, copy=False), self.state, self.position)
        self.position += audio.shape[-1]
        return out

    def split(self, gains: np.ndarray) -> None:
        """A mono stream's state as the state of that stream scaled by `gains` (channels,) on each channel."""
        if self.state is not None:
            self.state = self.state[:, :1, :] * gains.reshape(1, -1, 1).astype(np.float64)

    @property
    def ringing(self) -> bool:
        """Whether the filters still hold energy: silence in gives output out."""
        return self.state is not None and bool(np.any(np.abs(self.state) > 1e-9))
