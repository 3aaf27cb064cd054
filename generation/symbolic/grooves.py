"""What each genre's players play, as data: the kit's groove and fill, the bass line, the comping part's rhythm.

Patterns are one 4/4 bar of sixteenths ("x" plays, "." rests); a tuple of patterns is played bar after bar of a
phrase, so the groove has its own variation. Bass patterns name the note: R root, 5 fifth, 8 octave, 3 third.
A genre without a kit groove (ambient, orchestral) plays its kit, if it has one, only on accents and builds.
"""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.generation.symbolic.instruments import Drum


@dataclass(frozen=True)
class Groove:
    kick: tuple[str, ...] = ()
    snare: tuple[str, ...] = ()
    hats: tuple[str, ...] = ()
    open_hats: tuple[str, ...] = ()
    light_kick: str = "x..............."  # under low energy (and in a phrase's first bars where it thins)
    light_snare: str = "............x..."
    light_hats: str = "x...x...x...x..."
    snare_note: int = Drum.SNARE
    light_snare_note: int = Drum.SIDE_STICK
    hat_note: int = Drum.CLOSED_HAT
    full_hat_note: int = Drum.CLOSED_HAT  # in a B phrase (rock moves to the ride)
    fill: str = "toms"  # "toms": a run down the toms; "roll": a snare roll that climbs; "ghost": a few soft notes
    laid_back_ms: float = 0.0  # the snare this far behind the beat


@dataclass(frozen=True)
class Parts:
    groove: Groove | None  # None: no kit groove
    bass: tuple[str, ...]
    light_bass: str  # under low energy
    comp: tuple[str, ...]  # when the comping part strikes
    comp_style: str  # "chord": the voicing; "power": root, fifth, octave; "arpeggio": the voicing broken
    light_comp: str
    bass_legato: float = 0.9  # of the time to the next bass note
    bass_holds: bool = False  # the bar's last bass note holds to the chord change (no hole before each bar line)
    comp_length: float = 0.9  # in sixteenths' share of the time to the next strike (chords)
    timpani: str = ""  # pattern of roots on the timpani (orchestral)
    kit: int = 0  # the General MIDI drum kit the genre's drummer plays (Kit); Standard where the bank lacks it


class Kit:
    """General MIDI (GS/GM2) drum kits: the program of the drum channel."""
    STANDARD = 0
    ROOM = 8
    POWER = 16
    ELECTRONIC = 24
    TR808 = 25
    JAZZ = 32
    BRUSH = 40
    ORCHESTRA = 48


EIGHTHS = "x.x.x.x.x.x.x.x."
SIXTEENTHS = "xxxxxxxxxxxxxxxx"
BACKBEAT = "....x.......x..."

PARTS = {
    "pop": Parts(
        Groove(kick=("x.....x.x.......", "x.....x...x.....", "x.....x.x.......", "x.....x...x..x.."),
               snare=(BACKBEAT, BACKBEAT, BACKBEAT, "....x.......x.x."),
               hats=(EIGHTHS, EIGHTHS, EIGHTHS, "x.x.x.x.x.xxx.x."),
               fill="toms"),
        bass=("R.....R.R...5...", "R.....R...R.5...", "R.....R.R...8...", "R.....R...5.R..."),
        light_bass="R.......5.......",
        comp=("x..x..x...x..x..", "x..x..x...x.....", "x..x..x...x..x..", "x..x..x.x.x....."), comp_style="chord",
        light_comp="x.......x.......", kit=Kit.STANDARD),
    "electronic": Parts(
        Groove(kick=("x...x...x...x...",) * 3 + ("x...x...x...x.x.",), snare=(BACKBEAT,) * 3 + ("....x.......x.xx",),
               hats=(SIXTEENTHS,), open_hats=("..x...x...x...x.",), light_kick="x.......x.......",
               light_snare_note=Drum.CLAP, fill="roll", snare_note=Drum.CLAP),
        bass=("..R...R...R...R.", "..R...R...R...8.", "..R...R...R...R.", "..R...R..R8.R.8."),
        light_bass="R.......R.......",
        comp=("x..x..x...x..x..", "..x...x...x...x."), comp_style="arpeggio", light_comp="x...x...x...x...",
        bass_legato=0.6, kit=Kit.ELECTRONIC),  # a bank whose Electronic kick is a sub sine (TimGM6mb: 93% of it under
    # 60 Hz) plays its Standard kick instead (synth.SUB_KICK_SHARE): beside the sub bass it would swamp the mix
    "rock": Parts(
        Groove(kick=("x.......x.x.....", "x.x.....x.x.....", "x.......x.x.....", "x.x.....x.x...x."),
               snare=(BACKBEAT, BACKBEAT, BACKBEAT, "....x.......x.xx"), hats=(EIGHTHS,),
               full_hat_note=Drum.RIDE, light_snare_note=Drum.SNARE, fill="toms"),
        bass=(EIGHTHS, EIGHTHS, EIGHTHS, "x.x.x.x.x.x.5.8."), light_bass="R...R...R...R...",
        comp=(EIGHTHS,), comp_style="power", light_comp="x.......x.......", bass_legato=0.8, comp_length=0.7,
        kit=Kit.POWER),
    "lofi": Parts(
        Groove(kick=("x......x..x.....", "x.......x.x.....", "x......x..x.....", "x.......x..x.x.."),
               snare=(BACKBEAT,), hats=("x.x.x.x.x.x.x.x.", "x.x.x.xxx.x.x.x."), light_hats="x.x.x.x.x.x.x.x.",
               snare_note=Drum.SNARE, fill="ghost", laid_back_ms=22.0),
        bass=("R......5..R.....", "R.......R.5.....", "R......5..R...3.", "R.......8.5....."),
        light_bass="R.........5.....",
        comp=("x.....x...x.....", "x.......x..x...."), comp_style="chord", light_comp="x.......x.......",
        comp_length=0.95, kit=Kit.JAZZ, bass_holds=True),
    "cinematic": Parts(
        Groove(kick=("x.....x.x.......", "x.........x.....", "x.....x.x.......", "x.....x.x...x.x."),
               snare=("................", "............x...", "................", "............x.x."),
               hats=("................",), light_kick="x...............", light_snare="................",
               light_hats="................", snare_note=Drum.LOW_TOM, light_snare_note=Drum.LOW_TOM, fill="toms"),
        bass=("R...............", "R.......5......."), light_bass="R...............",
        comp=(EIGHTHS,), comp_style="arpeggio", light_comp="x...x...x...x...", kit=Kit.ORCHESTRA, bass_legato=1.0,
        bass_holds=True),
    "orchestral": Parts(
        None,
        bass=(EIGHTHS, EIGHTHS, EIGHTHS, "x.x.x.x.x.x.5.5."), light_bass="R.......5.......",
        comp=(SIXTEENTHS, SIXTEENTHS, SIXTEENTHS, "xxxxxxxxxxxx..x."), comp_style="arpeggio", light_comp=EIGHTHS,
        bass_legato=0.7, bass_holds=True, timpani="x.......x.......", kit=Kit.ORCHESTRA),
    "ambient": Parts(
        None, bass=("R...............",), light_bass="R...............",
        comp=("x.....x.....x...", "x.......x..x...."), comp_style="arpeggio", light_comp="x.......x.......",
        comp_length=1.0, bass_legato=1.0, bass_holds=True),
}


def onsets(pattern: str) -> list[tuple[float, str]]:
    """(beat position, symbol) of each struck sixteenth of a one-bar pattern."""
    return [(i / 4, symbol) for i, symbol in enumerate(pattern) if symbol != "."]


def pick(patterns: tuple[str, ...], bar: int) -> str:
    return patterns[bar % len(patterns)] if patterns else ""
