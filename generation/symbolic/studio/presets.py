"""How each genre is produced, as data: a channel strip per part, the room, the bus compressor and the top end.

Parts are the roles of the arrangement (pad, keys, bass, lead, counter, timpani, fx, sub) and the drum kit's
groups (kick, snare, hats, toms, cymbals, percussion). Positions are -1 (left) .. +1 (right); a part with
`spread` has its chords dealt to two sides (synth.py), at `pan - spread` and `pan + spread`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from autoscore_video.generation.symbolic.studio.dynamics import Compressor
from autoscore_video.generation.symbolic.studio.reverb import Room
from autoscore_video.generation.symbolic.studio.tone import TonalTarget

LOW_MID_HZ = 320.0  # where a General MIDI arrangement piles up (250-500 Hz); the strips' bell sits there


@dataclass(frozen=True)
class Channel:
    pan: float = 0.0
    spread: float = 0.0
    width: float = 1.0  # of each stem's own stereo image (0: mono)
    ensemble: float = 0.0  # depth of a detuned double each side (stereo.ensemble): widens a mono voice
    gain_db: float = 0.0
    highpass_hz: float | None = None
    lowpass_hz: float | None = None
    low_mid_db: float = 0.0  # the bell at LOW_MID_HZ
    send_db: float | None = None  # level into the room; None: dry


CHANNELS = {
    "pad": Channel(spread=0.75, highpass_hz=90, lowpass_hz=6000, low_mid_db=-5, send_db=-6),
    "keys": Channel(pan=-0.2, spread=0.5, highpass_hz=80, low_mid_db=-4, send_db=-10),
    "bass": Channel(width=0.0, highpass_hz=32, low_mid_db=-3, send_db=None),
    "sub": Channel(width=0.0, lowpass_hz=100, gain_db=-1),
    "lead": Channel(pan=0.25, highpass_hz=200, low_mid_db=-2, send_db=-8),
    "counter": Channel(pan=-0.4, highpass_hz=150, low_mid_db=-3, ensemble=0.3, send_db=-8),
    "timpani": Channel(pan=0.2, highpass_hz=40, send_db=-10),
    "fx": Channel(width=1.0, spread=0.0, highpass_hz=300, ensemble=0.6, gain_db=-3, send_db=-6),
    "kick": Channel(width=0.0, highpass_hz=30, low_mid_db=-4, send_db=-26),
    "snare": Channel(pan=0.05, highpass_hz=90, low_mid_db=-2, send_db=-12),
    "hats": Channel(pan=0.45, highpass_hz=350, gain_db=-2, send_db=-20),
    "toms": Channel(pan=-0.3, highpass_hz=70, send_db=-14),
    "cymbals": Channel(pan=-0.4, highpass_hz=300, gain_db=-2, send_db=-14),
    "percussion": Channel(pan=0.55, highpass_hz=200, send_db=-12),
}


# Each part's level while it plays, in dB against the others (levels.py): the balance a mix is built on,
# whatever the bank's own levels. Parts not named sit at BALANCE_DEFAULT.
BALANCE = {"kick": -2.0, "snare": -4.0, "hats": -11.0, "toms": -8.0, "cymbals": -12.0, "percussion": -12.0,
           "bass": -5.0, "sub": -12.0, "pad": -7.0, "keys": -5.0, "lead": -4.0, "counter": -8.0, "timpani": -8.0,
           "fx": -15.0}
BALANCE_DEFAULT = -8.0


@dataclass(frozen=True)
class Production:
    room: Room
    channels: dict[str, Channel] = field(default_factory=lambda: dict(CHANNELS))
    balance: dict[str, float] = field(default_factory=lambda: dict(BALANCE))
    bus: Compressor = Compressor(threshold_db=-10.0, ratio=2.0)
    air_db: float = 1.5  # a high shelf at AIR_HZ on the bus
    return_db: float = 0.0  # the room's level in the mix
    tone: TonalTarget | None = None  # the long-term spectrum the bus is matched to (tone.py); None: as played
    kit_peak_db: float = 9.0  # the drum bus peaks at most this far over the bus's playing level (peaks.py)
    peak_db: float = 12.0  # ... and the finished bus this far over its loudness

    def channel(self, role: str) -> Channel:
        return self.channels.get(role, Channel())

    def level(self, role: str) -> float:
        return self.balance.get(role, BALANCE_DEFAULT)

    @property
    def spread_roles(self) -> frozenset[str]:
        return frozenset(role for role, channel in self.channels.items() if channel.spread)


AIR_HZ = 8000.0


# A played bass (cello, upright) sits where the player sits, in its own stereo image, and in the room.
ACOUSTIC_BASS = Channel(pan=0.3, highpass_hz=35, low_mid_db=-3, send_db=-14)


def _with(**changed: Channel) -> dict[str, Channel]:
    return {**CHANNELS, **changed}


def _balanced(**changed: float) -> dict[str, float]:
    return {**BALANCE, **changed}


# Tonal targets: each band's median share (20 Hz - 6 kHz) over the first 90 s of every track of a set of produced
# game soundtracks from Debian's archive, measured as bench/tone.py measures our stems.
# Wesnoth's mids (0.249) sit on the 0.25 the issue allows; the bus compressor, after the match, lifts them about
# 0.005, so 0.015 of them go to the body.
ORCHESTRAL_TONE = TonalTarget((0.036, 0.490, 0.216, 0.234, 0.024), "Battle for Wesnoth 1.16 (37 orchestral tracks)")
AMBIENT_TONE = TonalTarget((0.229, 0.486, 0.171, 0.108, 0.006), "Endgame: Singularity (16 ambient tracks)")
ROCK_TONE = TonalTarget((0.165, 0.688, 0.045, 0.032, 0.070), "OpenArena (7 rock and metal tracks)")
BAND_TONE = TonalTarget((0.181, 0.532, 0.153, 0.120, 0.014), "the median of the five sets (Wesnoth, Singularity, "
                        "Warzone 2100, OpenArena, HyperRogue)")
# Electronic takes the five sets' median too: Warzone 2100's own (0.385 of 20 Hz-6 kHz under 60 Hz) boosts a
# General MIDI sub's long tail until it smears the beat (librosa tracked a calm 90 BPM electronic section at 86).


# Where the harmony and the melody lead and the kit accompanies.
SCORE_BALANCE = _balanced(pad=0.0, keys=-3.0, bass=-6.0, lead=-3.0, kick=-9.0, snare=-11.0, hats=-16.0, toms=-9.0,
                          cymbals=-12.0, percussion=-12.0)


PRODUCTIONS = {
    "ambient": Production(Room(decay_s=3.5, predelay_s=0.04, damping_hz=4500), tone=AMBIENT_TONE, return_db=1.0,
                          balance=SCORE_BALANCE,
                          channels=_with(bass=ACOUSTIC_BASS, pad=replace(CHANNELS["pad"], spread=0.9, send_db=-3),
                                         lead=replace(CHANNELS["lead"], send_db=-4))),
    "cinematic": Production(Room(decay_s=2.6, predelay_s=0.03, damping_hz=4000), tone=ORCHESTRAL_TONE, return_db=0.5,
                            balance=SCORE_BALANCE,
                            channels=_with(pad=replace(CHANNELS["pad"], spread=0.9, send_db=-4),
                                           bass=ACOUSTIC_BASS,
                                           lead=replace(CHANNELS["lead"], pan=-0.3, send_db=-5))),
    "orchestral": Production(Room(decay_s=2.4, predelay_s=0.025, damping_hz=4500), tone=ORCHESTRAL_TONE, return_db=0.5,
                             balance=_balanced(pad=0.0, keys=-2.0, bass=-5.0, lead=-2.0, kick=-8.0, snare=-10.0),
                             channels=_with(pad=replace(CHANNELS["pad"], spread=0.9, send_db=-4),
                                            keys=replace(CHANNELS["keys"], pan=0.3, send_db=-6),
                                            bass=ACOUSTIC_BASS,
                                            lead=replace(CHANNELS["lead"], pan=-0.35, send_db=-6))),
    "lofi": Production(Room(decay_s=0.8, predelay_s=0.012, damping_hz=2500), tone=BAND_TONE, air_db=-3.0, return_db=2.0,
                       balance=_balanced(keys=-4.0, pad=-11.0, kick=-7.0, bass=-9.0, snare=-7.0, lead=-5.0),
                       channels=_with(keys=replace(CHANNELS["keys"], pan=0.0, spread=0.9, low_mid_db=-10,
                                                   ensemble=0.7, send_db=-6),
                                      pad=replace(CHANNELS["pad"], spread=0.9, low_mid_db=-9, ensemble=0.5),
                                      hats=replace(CHANNELS["hats"], lowpass_hz=9000))),
    "pop": Production(Room(decay_s=1.4, predelay_s=0.02, damping_hz=5000), tone=BAND_TONE, return_db=1.0,
                      balance=_balanced(kick=-7.0, bass=-9.0, sub=-21.0),
                      channels=_with(pad=replace(CHANNELS["pad"], spread=0.9, ensemble=0.5),
                                     keys=replace(CHANNELS["keys"], pan=0.0, spread=0.75, ensemble=0.4),
                                     lead=replace(CHANNELS["lead"], pan=-0.2, ensemble=0.3, send_db=-6))),
    "electronic": Production(Room(decay_s=1.8, predelay_s=0.03, damping_hz=6000), tone=BAND_TONE, return_db=2.0,
                             balance=_balanced(kick=-5.0, bass=-8.0, sub=-16.0, pad=-4.0, keys=-5.0, lead=-4.0),
                             channels=_with(pad=replace(CHANNELS["pad"], spread=0.9, ensemble=0.6),
                                            keys=replace(CHANNELS["keys"], ensemble=0.4),
                                            lead=replace(CHANNELS["lead"], pan=0.0, ensemble=0.5, send_db=-6),
                                            counter=replace(CHANNELS["counter"], pan=-0.5, ensemble=0.5),
                                            bass=replace(CHANNELS["bass"], highpass_hz=45))),
    # Guitars double-tracked and split hard, as rock records them, and dark as a guitar cabinet is: an overdriven
    # General MIDI guitar is all fizz above 5 kHz.
    "rock": Production(Room(decay_s=1.1, predelay_s=0.015, damping_hz=5000), tone=ROCK_TONE, bus=Compressor(-12.0, 2.5),
                       return_db=1.0,
                       balance=_balanced(kick=-5.0, snare=-4.0, bass=-7.0, keys=0.0, pad=-9.0, lead=-3.0,
                                         cymbals=-9.0),
                       channels=_with(keys=replace(CHANNELS["keys"], pan=0.0, spread=0.85, ensemble=0.4,
                                                   lowpass_hz=4500),
                                      pad=replace(CHANNELS["pad"], spread=0.9, ensemble=0.4),
                                      lead=replace(CHANNELS["lead"], pan=0.35, ensemble=0.3, lowpass_hz=5000))),
}
