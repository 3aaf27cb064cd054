"""The console: each part's players through their channel strip into the stereo bus and the room's send; the
room's return into the bus; the bus compressed and given its top end. It works a window at a time
(windows.py), playing each part once: a strip's fader is set from the part's playing level over the FADER_S
after its first sound, so each strip runs that far ahead of the mix and no further. Memory holds that much of
each part, not the piece; a piece shorter than FADER_S is balanced on the whole of each part."""
from __future__ import annotations

import os
import tempfile
from collections import deque
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

import numpy as np

from autoscore_video.generation.symbolic.instruments import DRUM_GROUPS
from autoscore_video.generation.symbolic.studio import eq
from autoscore_video.generation.symbolic.studio.dynamics import GainPlan, playing_level_db
from autoscore_video.generation.symbolic.studio.levels import PlayingLevel, k_weighting
from autoscore_video.generation.symbolic.studio.peaks import PeakLimiter
from autoscore_video.generation.symbolic.studio.presets import AIR_HZ, LOW_MID_HZ, Channel, Production
from autoscore_video.generation.symbolic.studio.reverb import Reverb
from autoscore_video.generation.symbolic.studio.stereo import DetunedDouble, pan, pan_gains, width
from autoscore_video.generation.symbolic.studio.tone import LongTermSpectrum, ToneMatch
from autoscore_video.generation.symbolic.windows import windows

HEADROOM_DB = 20.0  # parts are balanced this far under full scale; the engine sets the final peak
KIT = frozenset([*DRUM_GROUPS, "percussion"])  # the strips summed on the drum bus
# About the top a delivery codec keeps (AAC at 192 kb/s: 17-19 kHz). A bank's sharpest edges (TimGM6mb's
# distortion guitar and snare) above it are cut before the peak limiter, which then limits the peaks the codec
# rebuilds.
TOP_HZ = 16000.0
FADER_S = 60.0  # of a part from its first sound, measured to set its fader


def position(part: str, pan_at: float, spread: float) -> float:
    """A spread part's side a sits left of the channel's position, side b right of it."""
    if spread and part.endswith("/a"):
        return max(-1.0, pan_at - spread)
    if spread and part.endswith("/b"):
        return min(1.0, pan_at + spread)
    return pan_at


def sections(channel: Channel, sample_rate: int) -> list[np.ndarray]:
    chosen = []
    if channel.highpass_hz:
        chosen.append(eq.highpass(channel.highpass_hz, sample_rate))
    if channel.lowpass_hz:
        chosen.append(eq.lowpass(channel.lowpass_hz, sample_rate))
    if channel.low_mid_db:
        chosen.append(eq.bell(LOW_MID_HZ, channel.low_mid_db, 0.9, sample_rate))
    return chosen


class Strip:
    """A role's channel strip over consecutive windows: its players' audio placed and equalised. Members that
    share a strip (the two sides of a spread part) are placed, then equalised together: the strip is linear,
    so that is the same sound for half the filtering. A lone member that is mono (or folded to mono) is
    equalised on one channel before it is panned, for half again; if it turns stereo later, the filters'
    state is carried over to both channels."""

    def __init__(self, players: list, channel: Channel, sample_rate: int):
        self.players, self.channel = players, channel
        self.eq = eq.Cascade(sections(channel, sample_rate))
        self.mono = len(players) == 1

    def window(self, start: int, stop: int) -> np.ndarray | None:
        """(2, stop - start) float32, or None where the strip is silent."""
        played = [(player.part.name, player.window(start, stop)) for player in self.players]
        sounding = [(name, audio) for name, audio in played if audio is not None]
        if not sounding:
            if not self.eq.ringing:
                return None
            sounding = [(self.players[0].part.name, np.zeros((2, stop - start), dtype=np.float32))]
        channel = self.channel
        if self.mono:
            name, audio = sounding[0]
            at = position(name, channel.pan, channel.spread)
            if channel.width == 0.0 or np.array_equal(audio[0], audio[1]):
                return pan(self.eq((audio[0] + audio[1])[None, :] / 2), at)
            self.mono = False
            self.eq.split(pan_gains(at))
        strip = np.zeros((2, stop - start), dtype=np.float32)
        for name, audio in sounding:
            placed = width(audio, channel.width) if channel.width != 1.0 else audio
            strip += pan(placed, position(name, channel.pan, channel.spread))
        return self.eq(strip)


class Fader:
    """A strip's windows in order, at the level that balances the part: the strip is played ahead until
    FADER_S from its first sound has been measured (or the piece has ended), to the sample, so the level is the
    same for any windows. What is played ahead waits in a spill file, not in memory."""

    def __init__(self, strip: Strip, target_db: float, spans: list[tuple[int, int]], sample_rate: int,
                 spill_dir: Path | None = None):
        self.strip, self.target_db, self.spans, self.spill_dir = strip, target_db, spans, spill_dir
        self.meter: PlayingLevel | None = PlayingLevel(sample_rate)
        self.needed = int(FADER_S * sample_rate)
        self.measured_to: int | None = None  # the sample FADER_S after the strip's first sound
        self.queue: deque[int | None] = deque()  # frames of each window waiting in the spill file; None: silent
        self.spill: IO[bytes] | None = None
        self.played = 0  # windows played so far
        self.on_play: Callable[[], None] | None = None  # called after each window played (the bus's progress)
        self.gain: float | None = None  # None while measuring, and for a part that never sounds

    def take(self) -> np.ndarray | None:
        """The next window at the strip's level; None where it is silent."""
        if not self.queue:
            audio = self._play()
            if self.meter is None:
                return self._faded(audio)
            self._wait(audio)
        while self.meter is not None and self.queue[0] is not None:
            self._wait(self._play())
        frames = self.queue.popleft()
        if frames is None:
            return None
        if self.spill is None:
            raise RuntimeError("a window was queued without its spill file")
        audio = np.frombuffer(self.spill.read(8 * frames), dtype=np.float32).reshape(2, frames)
        if not self.queue:
            self.spill.close()
            self.spill = None
        return self._faded(audio)

    def _faded(self, audio: np.ndarray | None) -> np.ndarray | None:
        return None if audio is None or self.gain is None else audio * np.float32(self.gain)

    def _wait(self, audio: np.ndarray | None) -> None:
        if audio is None:
            self.queue.append(None)
            return
        if self.spill is None:
            self.spill = tempfile.TemporaryFile(dir=self.spill_dir)
        position = self.spill.tell()
        self.spill.seek(0, os.SEEK_END)
        self.spill.write(np.ascontiguousarray(audio, dtype=np.float32).tobytes())
        self.spill.seek(position)
        self.queue.append(audio.shape[1])

    def _play(self) -> np.ndarray | None:
        start, stop = self.spans[self.played]
        self.played += 1
        audio = self.strip.window(start, stop)
        if self.on_play is not None:
            self.on_play()
        if self.meter is None:
            return audio
        if audio is None:
            self.meter.rest(stop - start)
        else:
            if self.measured_to is None:
                sounding = np.flatnonzero(np.any(audio != 0, axis=0))
                if len(sounding):
                    self.measured_to = start + int(sounding[0]) + self.needed
            self.meter.feed(audio if self.measured_to is None else audio[:, :max(0, self.measured_to - start)])
        if (self.measured_to is not None and stop >= self.measured_to) or self.played == len(self.spans):
            level = self.meter.level()
            self.gain = None if level is None else 10 ** ((self.target_db - level - HEADROOM_DB) / 20)
            self.meter = None
        return audio


class Console:
    """`players_by_role`: the players (synth.Player) of each role, from the piece's start."""

    def __init__(self, players_by_role: dict[str, list], production: Production, sample_rate: int, total: int,
                 spill_dir: Path | None = None):
        self.production, self.sample_rate, self.total = production, sample_rate, total
        self.spans = windows(total, sample_rate)
        self.channels = {role: production.channel(role) for role in players_by_role}
        self.faders = {role: Fader(Strip(players, self.channels[role], sample_rate),
                                   production.level(role) + self.channels[role].gain_db, self.spans, sample_rate,
                                   spill_dir)
                       for role, players in players_by_role.items()}

    def bus(self, progress=None) -> Iterator[tuple[int, int, np.ndarray, np.ndarray | None]]:
        """(start, stop, the bus over [start, stop) but the kit, the kit's strips summed) window by window; the
        kit is None where the production has no kit strip. The kit's sends are in the bus (the room)."""
        production, rate = self.production, self.sample_rate
        double = DetunedDouble(rate) if any(c.ensemble for c in self.channels.values()) else None
        room = Reverb(production.room, rate) if any(c.send_db is not None for c in self.channels.values()) else None
        kit_roles = KIT & self.faders.keys()
        if progress:  # windows played by all strips: a fader plays a minute ahead before its first window
            windows_in_all = max(1, len(self.faders) * len(self.spans))

            def played() -> None:
                progress(sum(fader.played for fader in self.faders.values()) / windows_in_all)

            for fader in self.faders.values():
                fader.on_play = played
        for start, stop in self.spans:
            n = stop - start
            bus = np.zeros((2, n), dtype=np.float32)
            kit = np.zeros((2, n), dtype=np.float32) if kit_roles else None
            send = np.zeros((2, n), dtype=np.float32)
            doubled = np.zeros(n, dtype=np.float32)
            for role, fader in self.faders.items():
                audio = fader.take()
                if audio is None:
                    continue
                channel = self.channels[role]
                if role in kit_roles:
                    kit += audio
                else:
                    bus += audio
                if channel.ensemble:
                    doubled += (audio[0] + audio[1]) * np.float32(channel.ensemble / 2)
                if channel.send_db is not None:
                    send += audio * np.float32(10 ** (channel.send_db / 20))
            if double is not None:
                bus += double(doubled)
            if room is not None:
                bus += room(send) * np.float32(10 ** (production.return_db / 20))
            yield start, stop, bus, kit


class Finish:
    """What the bus goes through once the whole of it has been heard: the kit's peak limiter (peaks.py), its
    ceiling the production's `kit_peak_db` over the bus's playing level; the compressor, whose threshold is set
    from the bus's own level; the tonal match to the genre's target (with the presence dip under `speech`,
    seconds); then the top end. `powers`: the detector's (dynamics.py) over the whole bus, the kit in it."""

    def __init__(self, production: Production, sample_rate: int, powers: np.ndarray, spectrum: LongTermSpectrum,
                 speech: Sequence[tuple[float, float]] = ()):
        self.gain = GainPlan.from_powers(powers, production.bus, sample_rate)
        self.tone = ToneMatch(spectrum, production.tone, list(speech), sample_rate)
        self.air = eq.Cascade([eq.high_shelf(AIR_HZ, production.air_db, sample_rate)] if production.air_db else [])
        self.top = eq.Cascade([eq.lowpass(TOP_HZ, sample_rate)] if TOP_HZ else [])
        level = playing_level_db(powers, sample_rate)
        self.kit = PeakLimiter(None if level is None else 10 ** ((level + production.kit_peak_db) / 20), sample_rate)
        loudness = None if level is None else level + self._loudness_change_db(spectrum, production, sample_rate)
        self.peaks = PeakLimiter(None if loudness is None else 10 ** ((loudness + production.peak_db) / 20),
                                 sample_rate)

    def _loudness_change_db(self, spectrum: LongTermSpectrum, production: Production, sample_rate: int) -> float:
        """How far the bus's playing level moves to its finished loudness: the compressor's mean reduction,
        what the tonal match and the top end do to its long-term spectrum (known before they run), and the
        K-weighting a loudness meter hears it through."""
        sections = self.tone.sections + ([eq.high_shelf(AIR_HZ, production.air_db, sample_rate)]
                                         if production.air_db else [])
        change_db = -float(np.mean(self.gain.smoothed_db)) if len(self.gain.smoothed_db) else 0.0
        if spectrum.power.sum() > 0:
            response = eq.response_db(sections + k_weighting(sample_rate), spectrum.frequencies, sample_rate)
            change_db += float(10 * np.log10((spectrum.power * 10 ** (response / 10)).sum() / spectrum.power.sum()))
        return change_db

    def __call__(self, start: int, stop: int, bus: np.ndarray, kit: np.ndarray | None = None) -> np.ndarray:
        """The finished bus over [start, stop), `self.peaks.delay` samples late; `kit`: the kit's strips,
        already through `self.kit`."""
        mixed = bus if kit is None else bus + kit
        return self.peaks(self.top(self.air(self.tone(start, stop, mixed * self.gain.at(start, stop)))))
