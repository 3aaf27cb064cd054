"""The console: each stem through its channel strip into the stereo bus and the room's send; the room's return
into the bus; the bus compressed and given its top end."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autoscore_video.generation.symbolic.studio import eq
from autoscore_video.generation.symbolic.studio.dynamics import compress
from autoscore_video.generation.symbolic.studio.levels import playing_level_db
from autoscore_video.generation.symbolic.studio.presets import AIR_HZ, LOW_MID_HZ, Channel, Production
from autoscore_video.generation.symbolic.studio.reverb import reverberate
from autoscore_video.generation.symbolic.studio.stereo import detuned_double, pan, width

HEADROOM_DB = 20.0  # parts are balanced this far under full scale; the engine sets the final peak


@dataclass
class MixReport:
    parts: list[str]
    bus_reduction_db: float  # the compressor's largest gain reduction


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


def _placed(members, channel: Channel, start: int, end: int, sample_rate: int) -> np.ndarray:
    """The role's stems placed and equalised, (2, end - start). A lone mono stem is equalised before it is
    panned, on one channel: the same sound for half the filtering."""
    if len(members) == 1:
        stem = members[0]
        audio = stem.audio[:, :end - stem.start]
        if channel.width == 0.0 or np.array_equal(audio[0], audio[1]):
            mono = eq.apply(sections(channel, sample_rate), (audio[0] + audio[1])[None, :] / 2)
            strip = np.zeros((2, end - start), dtype=np.float32)
            strip[:, stem.start - start:stem.start - start + mono.shape[1]] = pan(
                mono, position(stem.part, channel.pan, channel.spread))
            return strip
    strip = np.zeros((2, end - start), dtype=np.float32)
    for stem in members:
        placed = stem.audio[:, :end - stem.start]
        if channel.width != 1.0:
            placed = width(placed, channel.width)
        strip[:, stem.start - start:stem.start - start + placed.shape[1]] += pan(
            placed, position(stem.part, channel.pan, channel.spread))
    return eq.apply(sections(channel, sample_rate), strip)


def mix_stems(stems, production: Production, sample_rate: int, total: int) -> tuple[np.ndarray, MixReport]:
    """`stems`: synth.Stem list. Returns the stereo mix, (2, total) float32.

    Stems that share a channel (the two sides of a spread part) are placed, then equalised together: the
    strip is linear, so that is the same sound for half the filtering. Likewise the ensembles of every
    channel that has one are one detuned double of what they send to it."""
    by_role: dict[str, list] = {}
    for stem in stems:
        by_role.setdefault(stem.role, []).append(stem)
    bus = np.zeros((2, total), dtype=np.float32)
    send = np.zeros((2, total), dtype=np.float32)
    doubled = np.zeros(total, dtype=np.float32)
    for role, members in by_role.items():
        channel = production.channel(role)
        start, end = min(s.start for s in members), min(total, max(s.end for s in members))
        if end <= start:
            continue
        strip = _placed(members, channel, start, end, sample_rate)
        level = playing_level_db(strip, sample_rate)
        if level is None:
            continue
        strip *= np.float32(10 ** ((production.level(role) + channel.gain_db - level - HEADROOM_DB) / 20))
        bus[:, start:end] += strip
        if channel.ensemble:
            doubled[start:end] += (strip[0] + strip[1]) * np.float32(channel.ensemble / 2)
        if channel.send_db is not None:
            send[:, start:end] += strip * np.float32(10 ** (channel.send_db / 20))
    if np.any(doubled):
        bus += detuned_double(doubled, sample_rate)
    if np.any(send):
        bus += reverberate(send, production.room, sample_rate) * np.float32(10 ** (production.return_db / 20))
    bus, reduction = compress(bus, production.bus, sample_rate)
    if production.air_db:
        bus = eq.apply([eq.high_shelf(AIR_HZ, production.air_db, sample_rate)], bus)
    return bus, MixReport(sorted(s.part for s in stems), round(reduction, 2))
