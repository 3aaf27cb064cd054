"""Composes a MusicBrief into MIDI on the brief's tempo grid: drums, bass, chords and a motif per section.

Everything lands on the beat grid computed from the tempo map (tempo changes and bar restarts
included), so beats fall exactly where the plan says. Each section starts its own phrase on a bar
line, announced by a fill and a crash; the last bar is a cadence (dominant, then the tonic on a
downbeat, left to ring).
"""
from __future__ import annotations

import numpy as np
import pretty_midi

from autoscore_video.common.beat_hits import HIT_TOLERANCE_S
from autoscore_video.common.errors import InputError
from autoscore_video.generation.brief import BriefSection, MusicBrief
from autoscore_video.generation.symbolic import theory
from autoscore_video.generation.symbolic.instruments import Drum, lookup
from autoscore_video.generation.tempo import Grid, beat_grid

FINAL_CHORD_MIN_S = 1.0  # the closing chord sounds at least this long before the video ends
RING_S = 2.0  # notes of the closing chord are held past the end; mixing trims and fades
PULSE_TO_END_ENERGY = 0.45  # from this energy on, kick and hat keep the beat until the video ends


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
        self.motif = self._make_motif()

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
            chord = theory.triad(self.tonic, section.mode, degree, dominant=dominant)
            voicing = theory.voice(chord, voicing, 55, 74)
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

    def _note(self, track: str, pitch: int, start: float, end: float, velocity: float) -> None:
        """Adds a note; one that starts past a short bar's end, or sounds only before 0, is left out."""
        jitter = self.rng.integers(-5, 6)
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

        if "pad" in roles:
            for pitch in voicing:
                self._note(roles["pad"], pitch, t0, t1, level - 18 - 10 * (1 - density))
        if "keys" in roles:
            self._keys(roles["keys"], bar, voicing, energy, density, level)
        if "bass" in roles and not intro:
            root = 36 + (chord[0] - 36) % 12
            self._bass(roles["bass"], bar, root, chord, energy, level)
        if "lead" in roles and density >= 0.5 and energy >= 0.25 and not intro and bar % 8 not in (0,):
            self._lead(roles["lead"], bar, degree, section, level)
        if "drums" in roles and not intro:
            self._drums(roles["drums"], bar, energy, level, fill, phrase % 4 == 0,
                        section_start=phrase == 0 and bar > 0)
        elif "drums" in roles and intro:
            for beat in range(bpb):
                self._note(roles["drums"], Drum.CLOSED_HAT, self.grid.time(bar, beat), self.grid.time(bar, beat + 0.25),
                           level - 35)

    def _keys(self, track: str, bar: int, voicing: list[int], energy: float, density: float, level: float) -> None:
        bpb = self.bar_beats
        if energy < 0.4 or density < 0.5:
            # slow arpeggio on eighths (calm) or on quarters under dialogue
            step = 0.5 if density >= 0.5 else 1.0
            pattern = voicing + voicing[1:-1][::-1]
            for i, pos in enumerate(np.arange(0, bpb, step)):
                start = self.grid.time(bar, pos)
                self._note(track, pattern[i % len(pattern)], start, self.grid.time(bar, pos + step * 1.5), level - 20)
        else:
            hits = [0, 1, 2, 3] if energy < 0.7 else [0, 0.5, 1.5, 2, 2.5, 3.5]
            for pos in hits:
                if pos >= bpb:
                    continue
                start = self.grid.time(bar, pos)
                end = self.grid.time(bar, pos + 0.45)
                for pitch in voicing:
                    self._note(track, pitch, start, end, level - 14 + (6 if pos in (0, 2) else 0))

    def _bass(self, track: str, bar: int, root: int, chord: list[int], energy: float, level: float) -> None:
        bpb = self.bar_beats
        fifth = root + 7 if root + 7 <= 55 else root - 5
        if energy < 0.3:
            notes = [(0, bpb, root)]
        elif energy < 0.6:
            notes = [(0, 2, root), (2, 2, fifth)]
        else:
            notes = [(pos * 0.5, 0.45, root + (12 if pos % 4 == 3 else 0)) for pos in range(bpb * 2)]
        for pos, length, pitch in notes:
            self._note(track, pitch, self.grid.time(bar, pos), self.grid.time(bar, pos + length), level - 6)

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
            while pitch > 84:
                pitch -= 12
            self._note(track, pitch, self.grid.time(bar, pos), self.grid.time(bar, pos + length * 0.95), level - 8)

    def _drums(self, track: str, bar: int, energy: float, level: float, fill: bool, phrase_start: bool,
               section_start: bool = False) -> None:
        bpb = self.bar_beats
        t = lambda pos: self.grid.time(bar, pos)  # noqa: E731
        hit = lambda note, pos, vel: self._note(track, note, t(pos), t(pos + 0.25), vel)  # noqa: E731
        if energy < 0.2:
            hit(Drum.KICK, 0, level - 10)
            for beat in range(bpb):
                hit(Drum.CLOSED_HAT, beat, level - 28)
            return
        kicks = [0, 2] if energy < 0.7 else [0, 1, 2, 3]
        backbeat = Drum.SIDE_STICK if energy < 0.45 else Drum.SNARE
        hat_step = 0.5 if energy < 0.75 else 0.25
        for pos in kicks:
            hit(Drum.KICK, pos, level)
        for pos in range(1, bpb, 2):
            hit(backbeat, pos, level - 6)
        for pos in np.arange(0, bpb, hat_step):
            if fill and pos >= bpb - 1:
                break
            accent = 0 if float(pos).is_integer() else -8
            hit(Drum.OPEN_HAT if energy >= 0.7 and pos % 1 == 0.5 and pos % 2 == 1.5 else Drum.CLOSED_HAT, pos,
                level - 22 + accent)
        if (phrase_start and energy >= 0.45) or (section_start and energy >= 0.3):
            hit(Drum.CRASH, 0, level - 8)
        if fill and energy >= 0.45:
            for i, pos in enumerate(np.arange(bpb - 1, bpb, 0.25)):
                hit((Drum.SNARE, Drum.HIGH_TOM, Drum.MID_TOM, Drum.LOW_TOM)[i % 4], pos, level - 10 + 3 * i)

    def _final_bar(self, bar: int, previous: list[int] | None) -> None:
        section = self._section_at(self.grid.time(bar, 0))
        roles = self._roles(section)
        start = max(0.0, self.grid.time(bar, 0))
        end = self.brief.target_duration + RING_S
        level = 60 + 45 * section.energy
        tonic_chord = theory.triad(self.tonic, section.mode, 0)
        voicing = theory.voice(tonic_chord, previous, 55, 74)
        for role in ("pad", "keys"):
            if role in roles:
                for pitch in voicing:
                    self._note(roles[role], pitch, start, end, level - (18 if role == "pad" else 10))
        if "bass" in roles:
            self._note(roles["bass"], 36 + (self.tonic - 36) % 12, start, end, level - 4)
        if "lead" in roles and section.density >= 0.5:
            self._note(roles["lead"], theory.degree_pitch(self.tonic, section.mode, 7, 4), start, end, level - 10)
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
