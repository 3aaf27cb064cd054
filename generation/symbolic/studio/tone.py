"""Tonal balance: the bus's long-term spectrum brought to its genre's target, as a mastering engineer matches a
mix to reference records. A General MIDI bank voices every part bright and mid-heavy, whichever bank it is; the
target is where produced music of that genre puts its energy (presets.py names the recordings).

The correction is six broad, fixed filters, one per band of sound_profile.BANDS below 6 kHz (a low shelf and
four bells), their gains solved on the measured spectrum (the spectrum after a filter is the spectrum times its
response, so the result is known before the bus is filtered), within BOOST_MAX_DB and CUT_MAX_DB of the body
band. The top band keeps the production's own air shelf: the references' top octaves are their codec's.

Under speech the presence band (2-5 kHz, the consonants) is lowered a further PRESENCE_DIP_DB, faded in and out
with the speech, so an underscore leaves the words their band.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autoscore_video.common.sound_profile import BANDS
from autoscore_video.generation.symbolic.studio import eq

SEGMENT = 8192  # samples per FFT of the long-term spectrum
BATCH = 8  # segments transformed together
MATCHED = BANDS[:-1]  # 20 Hz - 6 kHz; the top band is the air shelf's
BODY = 1  # the band whose gain stays at 0 dB: 60-250 Hz
BOOST_MAX_DB = 6.0
CUT_MAX_DB = 15.0
STEPS = 40
PRESENCE_HZ = 3200.0
PRESENCE_DIP_DB = -7.0
DIP_RAMP_S = 0.3


@dataclass(frozen=True)
class TonalTarget:
    """Each matched band's share of the 20 Hz - 6 kHz energy, and the recordings they were measured on."""
    shares: tuple[float, float, float, float, float]
    source: str

    def __post_init__(self):
        if len(self.shares) != len(MATCHED) or abs(sum(self.shares) - 1.0) > 0.01:
            raise ValueError(f"a tonal target has {len(MATCHED)} shares summing to 1: {self.shares}")


def band_filters(gains_db: np.ndarray, sample_rate: int) -> list[np.ndarray]:
    """One filter per matched band at its gain: a low shelf under 60 Hz, bells at the others' centres."""
    return [eq.low_shelf(60.0, gains_db[0], sample_rate), eq.bell(125.0, gains_db[1], 0.7, sample_rate),
            eq.bell(350.0, gains_db[2], 1.4, sample_rate), eq.bell(1000.0, gains_db[3], 0.7, sample_rate),
            eq.bell(3500.0, gains_db[4], 0.9, sample_rate)]


class LongTermSpectrum:
    """The mid signal's power spectrum averaged over everything fed (Hann-windowed segments end to end): the
    same figure however the signal is cut into blocks."""

    def __init__(self, sample_rate: int):
        self.sample_rate = sample_rate
        self.window = np.hanning(SEGMENT).astype(np.float32)
        self.power = np.zeros(SEGMENT // 2 + 1)
        self.pending = np.zeros(0, dtype=np.float32)

    def feed(self, audio: np.ndarray) -> None:
        """`audio` (2, samples): the next samples."""
        mid = audio[0] + audio[1]
        mid *= np.float32(0.5)
        if len(self.pending):
            taken = min(len(mid), SEGMENT - len(self.pending))
            self.pending = np.concatenate([self.pending, mid[:taken]])
            mid = mid[taken:]
            if len(self.pending) < SEGMENT:
                return
            self._add(self.pending)
        whole = len(mid) // SEGMENT * SEGMENT
        for at in range(0, whole, SEGMENT * BATCH):  # a few segments at a time: the transforms are complex128
            self._add(mid[at:min(whole, at + SEGMENT * BATCH)])
        self.pending = mid[whole:].copy()

    def _add(self, samples: np.ndarray) -> None:
        segments = samples.reshape(-1, SEGMENT) * self.window
        self.power += (np.abs(np.fft.rfft(segments, axis=1)) ** 2).sum(axis=0)

    @property
    def frequencies(self) -> np.ndarray:
        return np.fft.rfftfreq(SEGMENT, 1.0 / self.sample_rate)


def shares(frequencies: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Each matched band's share of the matched bands' energy."""
    sums = np.array([power[(frequencies >= low) & (frequencies < high)].sum() for low, high in MATCHED])
    total = sums.sum()
    return sums / total if total > 0 else np.full(len(MATCHED), 1.0 / len(MATCHED))


def matching_gains(frequencies: np.ndarray, power: np.ndarray, target: TonalTarget, sample_rate: int) -> np.ndarray:
    """The band filters' gains (dB) that bring `power` closest to `target`, the body band at 0 dB. What a band
    boosted to the limit still lacks (a bank with no sub under 60 Hz) the body band takes, not all the others
    in proportion: a thin low end is not made up for with more mids."""
    wanted = np.array(target.shares, dtype=np.float64)
    gains = np.zeros(len(MATCHED))
    if power.sum() <= 0:
        return gains
    inside = (frequencies >= MATCHED[0][0]) & (frequencies < MATCHED[-1][1])
    frequencies, power = frequencies[inside], power[inside]
    for _ in range(STEPS):
        response = eq.response_db(band_filters(gains, sample_rate), frequencies, sample_rate)
        got = shares(frequencies, power * 10 ** (response / 10))
        short = (gains >= BOOST_MAX_DB - 1e-6) & (got < wanted)
        if short.any():
            wanted[BODY] += float((wanted[short] - got[short]).sum())
            wanted[short] = got[short]
        gains += 0.7 * 10 * np.log10(np.maximum(wanted, 1e-6) / np.maximum(got, 1e-9))
        gains = np.clip(gains - gains[BODY], -CUT_MAX_DB, BOOST_MAX_DB)
    return gains


class ToneMatch:
    """The bus through the band filters solved for its spectrum, and under speech the presence dip, faded in
    and out with it. Filters keep their state across consecutive blocks."""

    def __init__(self, spectrum: LongTermSpectrum, target: TonalTarget | None, speech: list[tuple[float, float]],
                 sample_rate: int):
        self.sample_rate = sample_rate
        self.gains_db = (matching_gains(spectrum.frequencies, spectrum.power, target, sample_rate)
                         if target is not None else np.zeros(len(MATCHED)))
        self.sections = band_filters(self.gains_db, sample_rate) if target is not None else []
        self.match = eq.Cascade(self.sections)
        self.speech = [(int(a * sample_rate), int(b * sample_rate)) for a, b in speech if b > a]
        self.dip = eq.Cascade([eq.bell(PRESENCE_HZ, PRESENCE_DIP_DB, 0.8, sample_rate)]) if self.speech else None

    def __call__(self, start: int, stop: int, bus: np.ndarray) -> np.ndarray:
        matched = self.match(bus)
        if self.dip is None:
            return matched
        dipped = self.dip(matched)  # run on every block so its state stays continuous
        amount = self.dip_amount(start, stop)
        return matched + (dipped - matched) * amount

    def dip_amount(self, start: int, stop: int) -> np.ndarray:
        """0..1 over samples [start, stop): 1 under speech, ramping over DIP_RAMP_S either side of it."""
        ramp = max(1, int(DIP_RAMP_S * self.sample_rate))
        at = np.arange(start, stop)
        amount = np.zeros(stop - start, dtype=np.float32)
        for a, b in self.speech:
            if b + ramp < start or a - ramp > stop:
                continue
            rise = np.clip((at - (a - ramp)) / ramp, 0.0, 1.0)
            fall = np.clip(((b + ramp) - at) / ramp, 0.0, 1.0)
            np.maximum(amount, np.minimum(rise, fall).astype(np.float32), out=amount)
        return amount
