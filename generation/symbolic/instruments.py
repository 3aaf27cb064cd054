"""General MIDI instruments the symbolic engine knows, by the names plans use, with their roles."""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.common.errors import InputError


@dataclass(frozen=True)
class Instrument:
    name: str
    role: str  # "pad" | "keys" | "bass" | "lead" | "counter" | "drums" | "timpani" | "fx" | "sub"
    program: int  # General MIDI program, 0-based (ignored for drums)


INSTRUMENTS = {i.name: i for i in (
    Instrument("piano", "keys", 0),
    Instrument("electric piano", "keys", 4),
    Instrument("vibraphone", "lead", 11),
    Instrument("organ", "pad", 16),
    Instrument("nylon guitar", "counter", 24),
    Instrument("acoustic guitar", "keys", 25),
    Instrument("clean guitar", "counter", 27),
    Instrument("overdriven guitar", "keys", 29),
    Instrument("distortion guitar", "lead", 30),
    Instrument("acoustic bass", "bass", 32),
    Instrument("finger bass", "bass", 33),
    Instrument("picked bass", "bass", 34),
    Instrument("synth bass", "bass", 38),
    Instrument("sub bass", "sub", 38),  # played by synths.py; synth bass is the nearest General MIDI program
    Instrument("cello", "bass", 42),
    Instrument("harp", "counter", 46),
    Instrument("timpani", "timpani", 47),
    Instrument("strings", "pad", 48),
    Instrument("violins", "keys", 48),  # the string section playing an ostinato
    Instrument("slow strings", "pad", 49),
    Instrument("choir", "pad", 52),
    Instrument("french horn", "lead", 60),
    Instrument("brass", "keys", 61),
    Instrument("oboe", "counter", 68),
    Instrument("clarinet", "counter", 71),
    Instrument("flute", "lead", 73),
    Instrument("square lead", "lead", 80),
    Instrument("saw lead", "lead", 81),
    Instrument("warm pad", "pad", 89),
    Instrument("synth pad", "pad", 90),
    Instrument("synth bells", "counter", 98),
    Instrument("reverse cymbal", "fx", 119),  # the riser into a build's cut
    Instrument("drums", "drums", 0),
    Instrument("light percussion", "drums", 0),
)}


ROLE_SEPARATOR = ": "  # a MIDI track is named "role: instrument" (e.g. "lead: saw lead")


def track_name(role: str, instrument: str) -> str:
    return f"{role}{ROLE_SEPARATOR}{instrument}"


def lookup(name: str) -> Instrument:
    """The instrument a plan names, or a MIDI track ("role: instrument") plays."""
    name = name.split(ROLE_SEPARATOR, 1)[-1]
    try:
        return INSTRUMENTS[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(INSTRUMENTS))
        raise InputError(f"unknown instrument {name!r} (known: {known})") from None


class Drum:
    BASS_DRUM, KICK, SIDE_STICK, SNARE, CLAP, CLOSED_HAT, OPEN_HAT, CRASH, RIDE = 35, 36, 37, 38, 39, 42, 46, 49, 51
    LOW_TOM, MID_TOM, HIGH_TOM, SPLASH, SHAKER = 45, 47, 50, 55, 70


# The drum kit's pieces by group, so the console can place each (synth.py renders one stem per group).
DRUM_GROUPS = {
    "kick": (35, 36),
    "snare": (37, 38, 39, 40),
    "hats": (42, 44, 46),
    "toms": (41, 43, 45, 47, 48, 50),
    "cymbals": (49, 51, 52, 53, 55, 57, 59),
}
