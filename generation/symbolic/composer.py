"""Composes a MusicBrief into MIDI on the brief's tempo grid: drums, bass, chords and a motif per section.

Everything is placed on the beat grid computed from the tempo map (tempo changes and bar restarts
included), then played as the genre's players would (style.py): off-beats swung, timing spread by a few
milliseconds (the kick on the beat least), velocity accented by position in the bar, note lengths varied.
Chords take the genre's colours (7ths, 9ths, sus) and are voiced so parts do not double each other: the
pad open and low, the keys' upper structure above it, the lead above both, the bass (and, where the genre
has one, a sub octave) below. Piano-family keys use the sustain pedal (CC64); pads swell with expression
(CC11). Each section starts its own phrase on a bar line, announced by a fill and a crash; the last bar is a
cadence (dominant, then the tonic on a downbeat, left to ring).
"""
from __future__ import annotations

import numpy as np
import pretty_midi

from autoscore_video.common.beat_hits import HIT_TOLERANCE_S
from autoscore_video.common.errors import InputError
from autoscore_video.generation.brief import BriefSection, MusicBrief
from autoscore_video.generation.symbolic import theory
from autoscore_video.generation.symbolic.instruments import Drum, lookup
from autoscore_video.generation.symbolic.style import accent, style_for
from autoscore_video.generation.tempo import Grid, beat_grid

FINAL_CHORD_MIN_S = 1.0  # the closing chord sounds at least this long before the video ends
RING_S = 2.0  # notes of the closing chord are held past the end; mixing trims and fades
PULSE_TO_END_ENERGY = 0.45  # from this energy on, kick and hat keep the beat until the video ends
PAD_ROOT = (48, 59)  # the pad's lowest voice: C3..B3, the octave above the bass's root
PAD_TOP = 77
KEYS_RANGE = (60, 82)  # the keys' upper structure
ARPEGGIO_FLOOR = 64
LEAD_RANGE = (72, 91)
BASS_ROOT = 36  # C2: the bass's roots lie in C2..B2, a sub octave in C1..B1 (33-62 Hz)
PIANO_PROGRAMS = range(0, 8)


class Composer:
    def __init__(self, brief: MusicBrief):
        if brief.target_duration <= 0:
            raise InputError("the plan's target duration must be positive")
        if not brief.sections:
            raise InputError("the plan has no sections")
        self.brief = brief
        self.rng = np.random.default_rng(brief.seed)
        self.tonic = theory.tonic_pitch_class(brief.key)
        theory.scale(brief.mode)
        self.grid = beat_grid(brief.tempo_map, brief.target_duration + RING_S, brief.beats_per_bar)
        self.midi = pretty_midi.PrettyMIDI(initial_tempo=float(brief.tempo_map[0].bpm))  # only sets tick size
        self.tracks: dict[str, pretty_midi.Instrument] = {}
        self.bar_beats, self.bar_end = brief.beats_per_bar, float("inf")  # the bar being written
        self.progression_choice = int(self.rng.integers(0, 3))
        self.style = style_for(brief.genre)
        self.motif = self._make_motif()
        self.keys_top = KEYS_RANGE[1]  # the keys' highest note in the bar being written: the lead stays above
        self.taken: set[int] = set()  # what the pad and keys hold in the bar being written: the lead avoids it

    # --- structure ---------------------------------------------------------------------------
    def compose(self) -> pretty_midi.PrettyMIDI:
        grid = self.grid
        final_bar = max(0, int(np.count_nonzero(grid.downbeats <= self.brief.target_duration - FINAL_CHORD_MIN_S)) - 1)
        sections = [self._section_at(grid.time(bar, 0)) for bar in range(final_bar + 1)]
        voicing, phrase = None, 0
        for bar in range(final_bar):
            section = sections[bar]
            phrase = 0 if bar == 0 or section is not sections[bar - 1] else phrase + 1
            last_in_section = sections[bar + 1] is not section
            dominant = bar == final_bar - 1 or last_in_section
            degree = 4 if dominant else self._degree(phrase, section)
            chord = theory.chord(self.tonic, section.mode, degree, self._colour(dominant), dominant=dominant)
            voicing = theory.voice(chord[1:] if len(chord) > 3 else chord, voicing, *KEYS_RANGE)
            self.bar_beats, self.bar_end = grid.bar_length(bar), grid.time(bar + 1, 0)
            self._bar(bar, final_bar, phrase, last_in_section, section, degree, chord, voicing)
        self.bar_beats, self.bar_end = self.brief.beats_per_bar, float("inf")
        self._final_bar(final_bar, voicing)
        self._accent_cuts(final_bar)
        self.midi.instruments = list(self.tracks.values())
        return self.midi

    def _accent_cuts(self, final_bar: int) -> None:
        """A cymbal on each cut that a beat of the grid hits (the grid itself never moves for a cut)."""
        beats = self.grid.beats
        last = self.grid.time(final_bar, 0)
        for cut in self.brief.cuts_to_hit:
            beat = float(beats[np.argmin(np.abs(beats - cut))])
            section = self._section_at(beat)
            drums = self._roles(section).get("drums")
            if drums and section.energy >= 0.3 and abs(beat - cut) <= HIT_TOLERANCE_S and 0 < beat < last:
                self._note(drums, Drum.CRASH, beat, beat + 0.3, 60 + 45 * section.energy - 12)

    def _colour(self, dominant: bool) -> str:
        colours = self.style.colours
        if dominant:
            return "7" if "7" in colours or "9" in colours else ""
        if colours and self.rng.random() < self.style.colour_share:
            return str(self.rng.choice(colours))
        return ""

    # --- performance ---------------------------------------------------------------------------
    def _time(self, bar: int, position: float, *, spread: float = 1.0) -> float:
        """When a player plays `position` (beats into `bar`): swung where it is an off-beat of the swing unit,
        off the grid by the style's timing spread (times `spread`), never more than twice it."""
        unit = self.style.swing_unit
        within = position % (2 * unit)
        if abs(within - unit) < 1e-6:
            position += (self.style.swing - 0.5) * 2 * unit
        sigma = self.style.timing_ms / 1000 * spread
        jitter = float(np.clip(self.rng.normal(0.0, sigma), -2 * sigma, 2 * sigma)) if sigma else 0.0
        return self.grid.time(bar, position) + jitter

    def _played(self, track: str, pitch: int, bar: int, position: float, length: float, velocity: float, *,
                spread: float = 1.0, legato: float = 1.0, vary: bool = True) -> None:
        """A note at `position` for `length` beats, as played: timed by `_time`, accented by position, held for
        a varied share of its length (`legato` the longest) where `vary`."""
        start = self._time(bar, position, spread=spread)
        held = length * legato * (float(self.rng.uniform(0.82, 1.0)) if vary else 1.0)
        end = max(start + 0.02, self.grid.time(bar, position + held))
        self._note(track, pitch, start, end, velocity + accent(position % self.bar_beats), jitter=2)

    def _pedal(self, track: str, bar: int) -> None:
        """Sustain down just after the bar line, up just before the next: one pedal per chord."""
        instrument = self._track(track)
        t0, t1 = self.grid.time(bar, 0), self.grid.time(bar + 1, 0)
        instrument.control_changes.append(pretty_midi.ControlChange(64, 127, max(0.0, t0 + 0.03)))
        instrument.control_changes.append(pretty_midi.ControlChange(64, 0, max(0.0, t1 - 0.04)))

    def _swell(self, track: str, bar: int, phrase: int, last_in_section: bool, energy: float) -> None:
        """CC11 over the bar: a swell across each four-bar phrase, and a crescendo into a section change."""
        instrument = self._track(track)
        base = 70 + 40 * energy
        steps = max(1, int(self.bar_beats * 2))
        for step in range(steps):
            within = (phrase % 4 + step / steps) / 4
            value = base + 14 * np.sin(np.pi * within) - 8
            if last_in_section:
                value += 22 * step / steps
            instrument.control_changes.append(pretty_midi.ControlChange(
                11, int(np.clip(value, 20, 127)), max(0.0, self.grid.time(bar, step / 2))))

    def _section_at(self, t: float) -> BriefSection:
        for section in self.brief.sections:
            if section.start - 1e-6 <= t < section.end:
                return section
        return self.brief.sections[-1] if t >= self.brief.sections[-1].start else self.brief.sections[0]

    def _degree(self, phrase: int, section: BriefSection) -> int:
        return theory.progression(section.mode, section.energy, self.progression_choice)[phrase % 4]

    def _track(self, name: str) -> pretty_midi.Instrument:
        if name not in self.tracks:
            instrument = lookup(name)
            self.tracks[name] = pretty_midi.Instrument(program=instrument.program, is_drum=instrument.role == "drums",
                                                       name=name)
        return self.tracks[name]

    def _roles(self, section: BriefSection) -> dict[str, str]:
        roles: dict[str, str] = {}
        for name in section.instrumentation:
            roles.setdefault(lookup(name).role, name)
        return roles

    def _note(self, track: str, pitch: int, start: float, end: float, velocity: float, jitter: int = 0) -> None:
        """Adds a note (velocity spread by ±`jitter`); one that starts past a short bar's end, or sounds only
        before 0, is left out."""
        jitter = int(self.rng.integers(-jitter, jitter + 1)) if jitter else 0
        if start >= self.bar_end - 1e-9 or end <= 0.0:
            return
        start = max(start, 0.0)
        vel = int(np.clip(velocity + jitter, 1, 127))
        self._track(track).notes.append(pretty_midi.Note(velocity=vel, pitch=int(pitch), start=start, end=end))

    # --- one bar -----------------------------------------------------------------------------
    def _bar(self, bar: int, final_bar: int, phrase: int, last_in_section: bool, section: BriefSection, degree: int,
             chord: list[int], voicing: list[int]) -> None:
        roles = self._roles(section)
        energy, density = section.energy, section.density
        intro = bar == 0 and final_bar >= 6
        fill = (phrase % 4 == 3 or last_in_section) and bar != final_bar - 1
        bpb = self.bar_beats
        t0, t1 = self.grid.time(bar, 0), self.grid.time(bar + 1, 0)
        level = 60 + 45 * energy

        keys_voicing = self._keys_voicing(voicing, energy, density) if "keys" in roles else []
        self.keys_top = max(keys_voicing, default=KEYS_RANGE[0])
        self.taken = set(keys_voicing)
        if "pad" in roles:
            pad_voicing = theory.avoid_unisons(theory.spread(chord, *PAD_ROOT), set(keys_voicing), PAD_ROOT[0], PAD_TOP)
            self.taken |= set(pad_voicing)
            for pitch in pad_voicing:
                self._note(roles["pad"], pitch, t0, t1 + 0.05, level - 14 - 10 * (1 - density))
            if self.style.expression:
                self._swell(roles["pad"], bar, phrase, last_in_section, energy)
        if "keys" in roles:
            self._keys(roles["keys"], bar, keys_voicing, energy, density, level)
        if "bass" in roles and not intro:
            root = BASS_ROOT + (chord[0] - BASS_ROOT) % 12
            self._bass(roles["bass"], bar, root, chord, energy, level)
        if "lead" in roles and density >= 0.5 and energy >= 0.25 and not intro and bar % 8 not in (0,):
            self._lead(roles["lead"], bar, degree, section, level)
        if "drums" in roles and not intro:
            self._drums(roles["drums"], bar, energy, level, fill, phrase % 4 == 0,
                        section_start=phrase == 0 and bar > 0)
        elif "drums" in roles and intro:
            for beat in range(bpb):
                self._played(roles["drums"], Drum.CLOSED_HAT, bar, beat, 0.25, level - 35)

    @staticmethod
    def _arpeggiated(energy: float, density: float) -> bool:
        return energy < 0.4 or density < 0.5

    def _keys_voicing(self, voicing: list[int], energy: float, density: float) -> list[int]:
        """An arpeggio rides an octave above the chord's voicing where it can: above the pad, clear of the
        low mids a General MIDI arrangement piles into."""
        if self._arpeggiated(energy, density) and min(voicing) < ARPEGGIO_FLOOR and max(voicing) + 12 <= 88:
            return [pitch + 12 for pitch in voicing]
        return voicing

    def _keys(self, track: str, bar: int, voicing: list[int], energy: float, density: float, level: float) -> None:
        bpb = self.bar_beats
        if self.style.pedal and lookup(track).program in PIANO_PROGRAMS:
            self._pedal(track, bar)
        if self._arpeggiated(energy, density):
            # slow arpeggio on eighths (calm) or on quarters under dialogue
            step = 0.5 if density >= 0.5 else 1.0
            pattern = voicing + voicing[1:-1][::-1]
            for i, pos in enumerate(np.arange(0, bpb, step)):
                self._played(track, pattern[i % len(pattern)], bar, float(pos), step * 1.5, level - 20)
        else:
            hits = [0, 1, 2, 3] if energy < 0.7 else [0, 0.5, 1.5, 2, 2.5, 3.5]
            for pos in hits:
                if pos >= bpb:
                    continue
                for pitch in voicing:
                    self._played(track, pitch, bar, pos, 0.45, level - 16, legato=1.0)

    def _bass(self, track: str, bar: int, root: int, chord: list[int], energy: float, level: float) -> None:
        bpb = self.bar_beats
        fifth = root + 7 if root + 7 <= 55 else root - 5
        if energy < 0.3:
            notes = [(0, bpb, root)]
        elif energy < 0.6:
            notes = [(0, 2, root), (2, 2, fifth)]
        else:
            notes = [(pos * 0.5, 0.45, root + (7 if pos % 4 == 3 else 0)) for pos in range(bpb * 2)]
        for pos, length, pitch in notes:
            start = self._time(bar, pos, spread=0.5)
            end = self.grid.time(bar, pos + length * 0.95)
            velocity = level - 6 + accent(pos % bpb) / 2
            self._note(track, pitch, start, end, velocity, jitter=2)
            if self.style.sub_octave and pitch == root:
                self._note("sub bass", pitch - 12, start, end, velocity)

    def _make_motif(self) -> list[tuple[float, float, int]]:
        """(beat, length, diatonic offset from the chord root) for one bar; strong beats on chord tones."""
        bpb = self.brief.beats_per_bar
        positions = sorted({0.0, 2.0, *self.rng.choice(np.arange(0.5, bpb, 0.5), size=3, replace=False).tolist()})
        motif = []
        for i, pos in enumerate(positions):
            following = positions[i + 1] if i + 1 < len(positions) else float(bpb)
            strong = float(pos).is_integer() and int(pos) % 2 == 0
            offset = int(self.rng.choice([0, 2, 4, 7])) if strong else int(self.rng.choice([1, 3, 5, 6]))
            motif.append((pos, min(following - pos, 1.5), offset))
        return motif

    def _lead(self, track: str, bar: int, degree: int, section: BriefSection, level: float) -> None:
        answer = bar % 2 == 1
        for pos, length, offset in self.motif:
            if answer and pos == self.motif[-1][0]:
                offset = 0 if offset != 0 else 2
            pitch = theory.degree_pitch(self.tonic, section.mode, degree + offset, 5)
            while pitch > LEAD_RANGE[1]:
                pitch -= 12
            while (pitch <= self.keys_top or pitch in self.taken) and pitch + 12 <= LEAD_RANGE[1]:
                pitch += 12  # above the keys, not inside their chord
            if pitch in self.taken:
                continue
            self._played(track, pitch, bar, pos, length * 0.95, level - 8)

    def _drums(self, track: str, bar: int, energy: float, level: float, fill: bool, phrase_start: bool,
               section_start: bool = False) -> None:
        bpb = self.bar_beats

        def hit(note: int, pos: float, velocity: float, spread: float = 1.0) -> None:
            self._played(track, note, bar, float(pos), 0.25, velocity, spread=spread, vary=False)

        if energy < 0.2:
            hit(Drum.KICK, 0, level - 10, spread=0.5)
            for beat in range(bpb):
                hit(Drum.CLOSED_HAT, beat, level - 28)
            return
        kicks = [0, 2] if energy < 0.7 else [0, 1, 2, 3]
        backbeat = Drum.SIDE_STICK if energy < 0.45 else Drum.SNARE
        hat_step = 0.5 if energy < 0.75 else 0.25
        for pos in kicks:
            hit(Drum.KICK, pos, level, spread=0.5)
        for pos in range(1, bpb, 2):
            hit(backbeat, pos, level - 6)
        for pos in np.arange(0, bpb, hat_step):
            if fill and pos >= bpb - 1:
                break
            hit(Drum.OPEN_HAT if energy >= 0.7 and pos % 1 == 0.5 and pos % 2 == 1.5 else Drum.CLOSED_HAT, pos,
                level - 24)
        if (phrase_start and energy >= 0.45) or (section_start and energy >= 0.3):
            hit(Drum.CRASH, 0, level - 8, spread=0.5)
        if fill and energy >= 0.45:
            for i, pos in enumerate(np.arange(bpb - 1, bpb, 0.25)):
                hit((Drum.SNARE, Drum.HIGH_TOM, Drum.MID_TOM, Drum.LOW_TOM)[i % 4], pos, level - 10 + 3 * i)

    def _final_bar(self, bar: int, previous: list[int] | None) -> None:
        section = self._section_at(self.grid.time(bar, 0))
        roles = self._roles(section)
        start = max(0.0, self.grid.time(bar, 0))
        end = self.brief.target_duration + RING_S
        level = 60 + 45 * section.energy
        colour = "add9" if any(c in self.style.colours for c in ("add9", "9")) else ""
        tonic_chord = theory.chord(self.tonic, section.mode, 0, colour)
        voicing = theory.voice(tonic_chord[1:] if len(tonic_chord) > 3 else tonic_chord, previous, *KEYS_RANGE)
        if "keys" in roles:
            if self.style.pedal and lookup(roles["keys"]).program in PIANO_PROGRAMS:
                self._track(roles["keys"]).control_changes.append(pretty_midi.ControlChange(64, 127, start + 0.03))
            for pitch in voicing:
                self._note(roles["keys"], pitch, start, end, level - 10)
        if "pad" in roles:
            taken = set(voicing) if "keys" in roles else set()
            for pitch in theory.avoid_unisons(theory.spread(tonic_chord, *PAD_ROOT), taken, PAD_ROOT[0], PAD_TOP):
                self._note(roles["pad"], pitch, start, end, level - 14)
        if "bass" in roles:
            bass = BASS_ROOT + (self.tonic - BASS_ROOT) % 12
            self._note(roles["bass"], bass, start, end, level - 4)
            if self.style.sub_octave:
                self._note("sub bass", bass - 12, start, end, level - 4)
        if "lead" in roles and section.density >= 0.5:
            pitch = theory.degree_pitch(self.tonic, section.mode, 7, 4)
            while "keys" in roles and pitch <= max(voicing) and pitch + 12 <= LEAD_RANGE[1]:
                pitch += 12
            self._note(roles["lead"], pitch, start, end, level - 10)
        if "drums" in roles:
            self._note(roles["drums"], Drum.KICK, start, start + 0.3, level)
            if section.energy >= 0.3:
                self._note(roles["drums"], Drum.CRASH, start, start + 0.3, level - 6)
            if section.energy >= PULSE_TO_END_ENERGY:  # driving music keeps its pulse under the last chord
                beats = self.grid.beats
                for beat in beats[(beats > start + 1e-6) & (beats < self.brief.target_duration)]:
                    self._note(roles["drums"], Drum.KICK, beat, beat + 0.2, level - 10)
                    self._note(roles["drums"], Drum.CLOSED_HAT, beat, beat + 0.1, level - 24)


def compose(brief: MusicBrief) -> tuple[pretty_midi.PrettyMIDI, Grid]:
    composer = Composer(brief)
    return composer.compose(), composer.grid
