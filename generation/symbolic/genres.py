"""One record per genre: what planning asks of it (tempo range, who plays in a lively and in a still section) and
what the symbolic engine plays and how (grooves and kit, players' style, harmony, melody, production). Planning
and the engine both read a genre here and nowhere else; a genre without a record is an error, never pop.

The patterns a record points at live with their kind: grooves.py (kit, bass, comping), style.py (feel),
studio/presets.py (console), melody.py (motif vocabulary)."""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.common.errors import InputError
from autoscore_video.generation.symbolic.grooves import PARTS, Parts
from autoscore_video.generation.symbolic.melody import MELODY_STYLES, MelodyStyle
from autoscore_video.generation.symbolic.studio.presets import PRODUCTIONS, Production
from autoscore_video.generation.symbolic.style import STYLES, Style


@dataclass(frozen=True)
class Genre:
    name: str
    tempo: tuple[float, float]  # the BPM it is played at; a cut pace outside it is felt in half or double time
    instruments: tuple[str, ...]  # its band in a lively section, one instrument per role (instruments.py)
    still: tuple[str, ...]  # who plays a still or dark section: the kit and the bright timbres leave
    harmony: str | None  # the progression family (harmony.PROGRESSIONS); None: chosen by the section's mood
    harmonic_rhythm: int  # bars each chord lasts
    melody: MelodyStyle
    parts: Parts  # the kit's groove, the kit, the bass line, the comping
    style: Style  # how the players play: colours, swing, timing, pedal, riser
    production: Production  # the console: strips, balance, room, bus


def _genre(name: str, tempo: tuple[float, float], instruments: list[str], still: list[str], harmony: str | None,
           harmonic_rhythm: int = 1) -> Genre:
    return Genre(name=name, tempo=tempo, instruments=tuple(instruments), still=tuple(still), harmony=harmony,
                 harmonic_rhythm=harmonic_rhythm, melody=MELODY_STYLES[name], parts=PARTS[name], style=STYLES[name],
                 production=PRODUCTIONS[name])


# In a still or dark section (rules.is_still) the kit and the bright timbres (saw lead, synth bells, distorted
# guitars, the orchestra's timpani and ostinato) leave; piano, strings and pads stay or come in. The production
# (room, bus) stays the piece's: the band thins, it does not change.
GENRES = {genre.name: genre for genre in (
    _genre("ambient", (50.0, 90.0), ["warm pad", "piano", "acoustic bass", "vibraphone", "harp"],
           ["warm pad", "piano", "acoustic bass", "vibraphone", "harp"], None, harmonic_rhythm=2),
    _genre("cinematic", (56.0, 130.0), ["slow strings", "piano", "cello", "light percussion", "french horn",
                                        "clarinet"],
           ["slow strings", "piano", "cello", "french horn", "clarinet"], "epic", harmonic_rhythm=2),
    _genre("lofi", (50.0, 95.0), ["electric piano", "warm pad", "finger bass", "drums", "vibraphone",
                                  "nylon guitar"],
           ["electric piano", "warm pad", "finger bass", "vibraphone", "nylon guitar"], "jazz"),
    _genre("pop", (80.0, 140.0), ["piano", "strings", "finger bass", "drums", "flute", "clean guitar"],
           ["piano", "strings", "finger bass", "flute", "nylon guitar"], None),
    _genre("electronic", (100.0, 150.0), ["synth pad", "electric piano", "synth bass", "drums", "saw lead",
                                          "synth bells"],
           ["synth pad", "piano", "synth bass", "vibraphone"], None),
    _genre("rock", (84.0, 170.0), ["overdriven guitar", "organ", "picked bass", "drums", "distortion guitar",
                                   "clean guitar"],
           ["organ", "piano", "picked bass", "clean guitar"], "rock"),
    _genre("orchestral", (60.0, 150.0), ["slow strings", "violins", "cello", "timpani", "light percussion",
                                         "french horn", "oboe"],
           ["slow strings", "piano", "cello", "french horn", "oboe"], "epic"),
)}


def genre(name: str) -> Genre:
    try:
        return GENRES[name]
    except KeyError:
        raise InputError(f"unknown genre {name!r} (choose {', '.join(GENRES)})") from None
