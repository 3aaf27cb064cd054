"""Composes a MusicBrief into MIDI on the brief's tempo grid: a piece with form, melody, harmony and a groove
of its genre, that marks the cuts and ends.

- Form (form.py): each section laid out in phrases (intro, A, B, breakdown, build, outro), parts entering and
  leaving every four bars, a dynamic arc in velocity and expression (CC11) on top of the section's energy.
- Harmony (harmony.py): per section an A and a B progression of its mood and genre's family (7ths, 9ths, sus,
  borrowed chords), eight-bar phrases closing on a cadence, pedal points under intros, breakdowns and builds,
  the section's own key (the plan changes key where sections differ strongly), voices led across sections.
- Melody (melody.py): a motif developed through antecedent and consequent phrases; a counter-line where the
  lead rests, and answering it where it sings.
- Genre (grooves.py, style.py): the kit's groove and fills, the bass line, the comping rhythm, swing and feel.
- Cuts (accents.py): every cut is on a beat or gets a hit where it falls; the cuts that matter get a build
  (fill, riser, crescendo) into them.
- Ending: a final hit on the tonic, on the last downbeat (or on a cut later in that bar), left to ring; the
  groove stops.
- Room for the words: no lead or counter-line note starts under speech; the kit and comping thin to their light
  patterns in bars under speech, while pads and bass hold; a section that is mostly speech is an underscore
  (pads, bass, light keys: no kit, no melody).

Everything is then played as the genre's players would (style.py): off-beats swung, timing spread by a few
milliseconds, velocity accented by position in the bar, note lengths varied, the sustain pedal on piano-family
keys. The file is written for a DAW (midi_file.py).
"""
from __future__ import annotations

import bisect
import zlib

import numpy as np
import pretty_midi

from autoscore_video.common.errors import InputError
from autoscore_video.common.spans import merge_spans
from autoscore_video.generation.brief import BriefSection, MusicBrief
from autoscore_video.generation.symbolic import harmony, melody, theory
from autoscore_video.generation.symbolic.accents import STRONG, Accent, place_accents
from autoscore_video.generation.symbolic.form import BarPlan, form_variant, plan_form
from autoscore_video.generation.symbolic.genres import genre
from autoscore_video.generation.symbolic.grooves import Parts, onsets, pick
from autoscore_video.generation.symbolic.instruments import Drum, lookup, track_name
from autoscore_video.generation.symbolic.midi_file import Marker, add_keys, new_midi, origin
from autoscore_video.generation.symbolic.style import accent
from autoscore_video.generation.tempo import Grid, beat_grid

FINAL_CHORD_MIN_S = 1.0  # the closing chord sounds at least this long before the video ends
RING_S = 2.0  # notes of the closing chord are held past the end; mixing trims and fades
PAD_ROOT = (48, 59)  # the pad's lowest voice: C3..B3, the octave above the bass's root
PAD_TOP = 77
LEAD_TOP = 86  # D6: above it a lead thins and shrills on General MIDI banks
HARMONY_TOP = 88  # E6: the pads', keys' and counter-line's highest note; under a lead note, below it
HARMONY_FLOOR = 60  # a note moved down under the lead goes no lower than C4 (it would thicken the low mids): it rests
UNDER_THE_LEAD = ("pad", "keys", "counter")
KEYS_RANGE = (57, 79)  # the comping part's voicing, under the lead
ARPEGGIO_FLOOR = 64
POWER_ROOT = 40  # a power chord's root lies in E2..D#3
BASS_ROOT = 36  # C2: the bass's roots lie in C2..B2, a sub octave in C1..B1 (33-62 Hz)
TIMPANI_ROOT = 41  # F2..E3, the timpani's compass
PIANO_PROGRAMS = range(0, 8)
ACCENT_VELOCITY = 96  # a hit on a cut is played at least this hard
STOP_AFTER_S = 0.1  # the parts rest this long after a stopped hit
STOP_SPACING_BARS = 2  # at most one stop-time in this many bars: fast cutting gets stabs, not a stutter
FINAL_HIT_MIN_S = 0.5  # a cut in the last bar at least this long before the end takes the final hit
TRACK_ORDER = ("pad", "keys", "counter", "lead", "bass", "sub", "timpani", "fx", "drums")
# Which part keeps a note when two would sound the same pitch at once (the other moves an octave, or rests).
UNISON_PRIORITY = ("bass", "timpani", "lead", "counter", "keys", "pad")
UNISON_OVERLAP_S = 0.05
PICKUP_SHARE = 0.6  # a first bar heard for less than this share of it is a pickup, not the intro's first bar
QUIET_LIGHT = 0.3  # below this energy the players play their light patterns
# Room for the words: in a bar this much under speech the kit and the comping play their light patterns; no
# lead or counter-line note starts under speech or this soon before it; a cut's hit under speech is softer.
THIN_UNDER_SPEECH = 0.25
SPEECH_LEAD_S = 0.15
SPEECH_TAIL_S = 0.06  # a note on the grid just after a line may be played this much early (timing spread)
ACCENT_UNDER_SPEECH = 14
UNDERSCORE_RESTS = ("drums", "lead", "counter", "fx")  # an underscore section: pads, bass, light keys only


class Composer:
    def __init__(self, brief: MusicBrief):
        if brief.target_duration <= 0:
            raise InputError("the plan's target duration must be positive")
        if not brief.sections:
            raise InputError("the plan has no sections")
        for section in brief.sections:
            theory.tonic_pitch_class(section.key)
            theory.scale(section.mode)
        theory.tonic_pitch_class(brief.key)
        self.brief = brief
        self.rng = np.random.default_rng(brief.seed)
        self.grid = beat_grid(brief.tempo_map, brief.target_duration + RING_S, brief.beats_per_bar)
        self.tracks: dict[str, pretty_midi.Instrument] = {}
        self.bar_beats, self.bar_end = brief.beats_per_bar, float("inf")  # the bar being written
        self.genre = genre(brief.genre)
        self.style = self.genre.style
        self.parts: Parts = self.genre.parts
        grid = self.grid
        self.final_bar = max(0, int(np.count_nonzero(grid.downbeats <= brief.target_duration - FINAL_CHORD_MIN_S)) - 1)
        last_downbeat = grid.time(self.final_bar, 0)
        late_cuts = [c for c in brief.cuts_to_hit
                     if last_downbeat + 0.1 < c <= min(grid.time(self.final_bar + 1, 0), brief.target_duration
                                                        - FINAL_HIT_MIN_S)]
        self.ending_at = late_cuts[-1] if late_cuts else last_downbeat  # the final hit
        played_bars = self.final_bar + (1 if late_cuts else 0)  # the bar the final hit cuts short is played
        self.last_played = played_bars - 1  # its chord is the dominant, into the final tonic
        self.section_of_bar = [self._section_index(grid.time(bar, 0)) for bar in range(played_bars + 1)]
        self.accents = place_accents(grid, list(brief.cuts_to_hit), list(brief.cut_strengths), list(brief.key_cuts))
        downbeats = grid.downbeats
        build_bars = {int(np.searchsorted(downbeats, a.at + 1e-6)) - 2 for a in self.accents if a.key}
        heard = (grid.time(1, 0) - max(0.0, grid.time(0, 0))) / (grid.time(1, 0) - grid.time(0, 0))
        self.form = plan_form(self.section_of_bar[:played_bars], {b for b in build_bars if b >= 0},
                              pickup=heard < PICKUP_SHARE, variant=form_variant(brief.seed))
        # the motif is drawn by the seed and the genre: one clip in two genres sings two tunes
        self.motif = melody.make_motif(np.random.default_rng([brief.seed, zlib.crc32(brief.genre.encode())]),
                                       self.genre.melody)
        self.progressions = [harmony.progressions(s.mode, self.genre.harmony, s.mood, brief.seed, i)
                             for i, s in enumerate(brief.sections)]
        self.markers: list[Marker] = []
        self.last_stop = -np.inf
        self.speech = merge_spans(brief.speech, hi=brief.target_duration + RING_S)  # a plan may hold any list
        self.speech_starts = [start for start, _ in self.speech]

    # --- structure ---------------------------------------------------------------------------
    def compose(self) -> pretty_midi.PrettyMIDI:
        voicing: list[int] | None = None
        lead_at, counter_at = 4, 2
        index = 0
        while index < len(self.form):
            first = self.form[index]
            phrase = self.form[index:index + first.phrase_length]
            section = self.brief.sections[first.section]
            chords = [self._chord_of(plan) for plan in phrase]
            self.markers.append(Marker(self.grid.time(first.bar, 0), f"{first.phrase} ({section.mood} {section.key} "
                                                                     f"{section.mode})"))
            lead = melody.phrase_lead(self.motif, chords, first.occurrence, lead_at)
            counter_active = "lead" not in phrase[0].layers or not self._lead_plays(section)
            counter = melody.counter_line(chords, counter_active, counter_at, self.motif, answer=not counter_active)
            lead_at = lead[-1][3] if lead else lead_at
            counter_at = counter[-1][3] if counter else counter_at
            for plan, chord in zip(phrase, chords):
                voicing = self._bar(plan, chord, voicing,
                                    [n for n in lead if n[0] == plan.phrase_bar],
                                    [n for n in counter if n[0] == plan.phrase_bar])
            index += first.phrase_length
        self.bar_beats, self.bar_end = self.brief.beats_per_bar, float("inf")
        self._ending(voicing)
        self._accent_cuts()
        self._resolve_unisons()
        self._melody_on_top()
        return self._file()

    def _melody_on_top(self) -> None:
        """The lead stays the highest voice: a pad, keys or counter-line note that would sound at or above the
        lead's note (or above HARMONY_TOP anywhere) moves down by octaves, to a pitch no part holds then, or is
        left out below HARMONY_FLOOR."""
        lead = [n for name, track in self.tracks.items() if name.split(":")[0] == "lead" for n in track.notes]
        lead.sort(key=lambda n: n.start)
        starts = [n.start for n in lead]
        longest = max((n.end - n.start for n in lead), default=0.0)
        sounding: dict[int, list[tuple[float, float]]] = {}
        for name, track in self.tracks.items():
            if not track.is_drum:
                for note in track.notes:
                    sounding.setdefault(note.pitch, []).append((note.start, note.end))

        def ceiling(start: float, end: float) -> int:
            first = bisect.bisect_left(starts, start - longest)
            over = [n.pitch for n in lead[first:bisect.bisect_left(starts, end)]
                    if min(end, n.end) - max(start, n.start) > UNISON_OVERLAP_S]
            return min([HARMONY_TOP, *[p - 1 for p in over]])

        def free(pitch: int, start: float, end: float) -> bool:
            return not any(min(end, e) - max(start, s) > UNISON_OVERLAP_S for s, e in sounding.get(pitch, ()))

        for name, track in self.tracks.items():
            if name.split(":")[0] not in UNDER_THE_LEAD:
                continue
            kept = []
            for note in track.notes:
                top = ceiling(note.start, note.end)
                pitch = note.pitch
                while pitch >= HARMONY_FLOOR and (pitch > top or (pitch != note.pitch
                                                    and not free(pitch, note.start, note.end))):
                    pitch -= 12
                if pitch == note.pitch:
                    kept.append(note)
                elif pitch >= HARMONY_FLOOR:
                    sounding.setdefault(pitch, []).append((note.start, note.end))
                    note.pitch = pitch
                    kept.append(note)
            track.notes = kept

    def _resolve_unisons(self) -> None:
        """No two parts on the same pitch at once (a doubled note phases and thickens the mix): the part lower
        in UNISON_PRIORITY moves its note an octave up (never down, where it would sink under the chord's root),
        else leaves it out."""
        sounding: dict[int, list[tuple[float, float]]] = {}

        def clashes(pitch: int, start: float, end: float) -> bool:
            return any(min(end, e) - max(start, s) > UNISON_OVERLAP_S for s, e in sounding.get(pitch, ()))

        for role in UNISON_PRIORITY:
            for name, track in self.tracks.items():
                if name.split(":")[0] != role:
                    continue
                kept = []
                for note in track.notes:
                    for pitch in (note.pitch, note.pitch + 12):
                        if 0 <= pitch <= 127 and not clashes(pitch, note.start, note.end):
                            note.pitch = pitch
                            sounding.setdefault(pitch, []).append((note.start, note.end))
                            kept.append(note)
                            break
                track.notes = kept

    def _file(self) -> pretty_midi.PrettyMIDI:
        midi = new_midi(self.grid)
        start = origin(self.grid)
        for role in TRACK_ORDER:
            for name, instrument in self.tracks.items():
                if name.split(":")[0] != role:
                    continue
                for note in instrument.notes:
                    note.start -= start
                    note.end -= start
                for change in instrument.control_changes:
                    change.time -= start
                _untangle(instrument.notes)
                instrument.notes.sort(key=lambda n: (n.start, n.pitch))
                instrument.control_changes.sort(key=lambda c: c.time)
                midi.instruments.append(instrument)
        keys, previous = [], None
        for section in self.brief.sections:
            if (section.key, section.mode) != previous:
                keys.append((max(0.0, section.start), section.key, section.mode))
                previous = (section.key, section.mode)
        add_keys(midi, keys, start)
        return midi

    def _chord_of(self, plan: BarPlan) -> harmony.Chord:
        section = self.brief.sections[plan.section]
        a, b = self.progressions[plan.section]
        progression = b if plan.phrase in ("B", "build") else a
        if plan.last_in_section or plan.bar == self.last_played:
            return harmony.Chord(4)  # the dominant leads into what follows
        bars = self.genre.harmonic_rhythm  # a chord lasts this many bars
        return harmony.phrase_chord(progression, section.mode, plan.phrase_bar // bars,
                                    max(1, plan.phrase_length // bars), self.brief.seed + plan.occurrence)

    def _section_index(self, t: float) -> int:
        sections = self.brief.sections
        for i, section in enumerate(sections):
            if section.start - 1e-6 <= t < section.end:
                return i
        return len(sections) - 1 if t >= sections[-1].start else 0

    def _colour(self, dominant: bool) -> str:
        colours = self.style.colours
        if dominant:
            return "7" if "7" in colours or "9" in colours else ""
        if colours and self.rng.random() < self.style.colour_share:
            return str(self.rng.choice(colours))
        return ""

    def _lead_plays(self, section: BriefSection) -> bool:
        return section.density >= 0.5 and not section.underscore

    # --- room for the words ------------------------------------------------------------------
    def _spoken(self, t: float) -> bool:
        """Whether a note starting at `t` would start under speech (or just before a line: it would ring into
        its first word)."""
        i = bisect.bisect_right(self.speech_starts, t + SPEECH_LEAD_S) - 1
        return i >= 0 and t < self.speech[i][1] + SPEECH_TAIL_S

    def _spoken_share(self, t0: float, t1: float) -> float:
        first = max(0, bisect.bisect_right(self.speech_starts, t0) - 1)
        last = bisect.bisect_left(self.speech_starts, t1)
        inside = sum(max(0.0, min(t1, end) - max(t0, start)) for start, end in self.speech[first:last])
        return inside / max(t1 - t0, 1e-6)

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
                spread: float = 1.0, legato: float = 1.0, vary: bool = True, late_s: float = 0.0) -> None:
        """A note at `position` for `length` beats, as played: timed by `_time`, accented by position, held for
        a varied share of its length (`legato` the longest) where `vary`."""
        start = self._time(bar, position, spread=spread) + late_s
        held = length * legato * (float(self.rng.uniform(0.82, 1.0)) if vary else 1.0)
        end = max(start + 0.02, self.grid.time(bar, position + held))
        self._note(track, pitch, start, end, velocity + accent(position % self.bar_beats), jitter=2)

    def _expression(self, track: str, bar: int, plan: BarPlan, swell: bool) -> None:
        """CC11 over the bar: half the arc's dB (velocity carries the other half), a swell across each four-bar
        phrase where `swell`, and a crescendo through a build bar."""
        instrument = self._track(track)
        steps = max(1, int(self.bar_beats * 2)) if swell or plan.build else 1
        for step in range(steps):
            db = plan.arc_db / 2
            if swell:
                db += 2.5 * np.sin(np.pi * ((plan.phrase_bar % 4 + step / steps) / 4)) - 2.5
            if plan.build:
                db += -6 + 8 * step / steps
            value = int(np.clip(round(127 * 10 ** (db / 40)), 1, 127))
            instrument.control_changes.append(
                pretty_midi.ControlChange(11, value, max(0.0, self.grid.time(bar, step / 2 if steps > 1 else 0))))

    def _pedal(self, track: str, bar: int) -> None:
        """Sustain down just after the bar line, up just before the next: one pedal per chord."""
        instrument = self._track(track)
        t0, t1 = self.grid.time(bar, 0), self.grid.time(bar + 1, 0)
        instrument.control_changes.append(pretty_midi.ControlChange(64, 127, max(0.0, t0 + 0.03)))
        instrument.control_changes.append(pretty_midi.ControlChange(64, 0, max(0.0, t1 - 0.04)))

    def _track(self, name: str) -> pretty_midi.Instrument:
        if name not in self.tracks:
            instrument = lookup(name)
            drums = instrument.role == "drums"
            self.tracks[name] = pretty_midi.Instrument(program=self.parts.kit if drums else instrument.program,
                                                       is_drum=drums, name=name)
        return self.tracks[name]

    def _roles(self, section: BriefSection) -> dict[str, str]:
        """role → MIDI track name ("role: instrument") for the section's instruments, one per role."""
        roles: dict[str, str] = {}
        for name in section.instrumentation:
            role = lookup(name).role
            if section.underscore and role in UNDERSCORE_RESTS:
                continue
            roles.setdefault(role, track_name(role, name.strip().lower()))
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
    def _bar(self, plan: BarPlan, chord: harmony.Chord, previous: list[int] | None, lead: list, counter: list
             ) -> list[int]:
        bar = plan.bar
        section = self.brief.sections[plan.section]
        roles = self._roles(section)
        tonic = theory.tonic_pitch_class(section.key)
        dominant = chord.degree == 4 and not chord.borrowed and (plan.last_in_section or bar == self.last_played)
        pcs = harmony.pitch_classes(tonic, section.mode, chord, self._colour(dominant), dominant=dominant)
        voicing = theory.voice(pcs[1:] if len(pcs) > 3 else pcs, previous, *KEYS_RANGE)
        # a bar the final hit cuts short ends a little before it: no note played early lands on the hit
        self.bar_end = min(self.grid.time(bar + 1, 0), self.ending_at - 0.03)
        self.bar_beats = self.grid.bar_length(bar)
        energy = section.energy
        under_words = self._spoken_share(self.grid.time(bar, 0), self.grid.time(bar + 1, 0)) >= THIN_UNDER_SPEECH
        light = (energy < QUIET_LIGHT or plan.phrase in ("pickup", "intro", "outro", "breakdown") or under_words)
        level = (60 + 45 * energy) * 10 ** (plan.arc_db / 40)
        layers = plan.layers
        lead_pitches = [self._melody_pitch(tonic, section.mode, n[3], "lead") for n in lead]
        plays_lead = "lead" in roles and "lead" in layers and self._lead_plays(section)
        taken = set(lead_pitches) if plays_lead else set()

        if "pad" in roles and "pad" in layers:
            pad = theory.avoid_unisons(theory.spread(pcs, *PAD_ROOT), set(voicing) | taken, PAD_ROOT[0], PAD_TOP)
            for pitch in pad:
                self._note(roles["pad"], pitch, self.grid.time(bar, 0), self.bar_end + 0.05,
                           level - 14 - 10 * (1 - section.density))
            if self.style.expression:
                self._expression(roles["pad"], bar, plan, swell=True)
        if "keys" in roles and "keys" in layers:
            self._keys(roles["keys"], plan, theory.avoid_unisons(voicing, taken, KEYS_RANGE[0], KEYS_RANGE[1] + 5),
                       pcs, energy, section.density, level, light)
        if "bass" in roles and "bass" in layers:
            self._bass(roles["bass"], plan, pcs, tonic, section.mode, level, light)
        if "timpani" in roles and "timpani" in layers:
            self._timpani(roles["timpani"], plan, pcs[0], level)
        if plays_lead:
            for (_, beat, length, _), pitch in zip(lead, lead_pitches):
                if not self._spoken(self.grid.time(bar, beat)):
                    self._played(roles["lead"], pitch, bar, beat, length * 0.95, level - 6)
            self._expression(roles["lead"], bar, plan, swell=False)
        if "counter" in roles and ("counter" in layers or ("lead" in layers and not plays_lead)):
            soft = 10 if plays_lead else 4
            for _, beat, length, degree in counter:
                if self._spoken(self.grid.time(bar, beat)):
                    continue
                self._played(roles["counter"], self._melody_pitch(tonic, section.mode, degree, "counter"), bar, beat,
                             length * 0.95, level - soft, legato=1.0)
            self._expression(roles["counter"], bar, plan, swell=False)
        if "drums" in roles and self.parts.groove is not None and "drums" in layers:
            self._drums(roles["drums"], plan, energy, level, light)
        elif "drums" in roles and self.parts.groove is not None and plan.build:
            self._fill(roles["drums"], bar, self.bar_beats - 2, level, self.parts.groove.fill)
        if plan.build:
            self._build(roles, plan, level, pcs)
        return voicing

    def _melody_pitch(self, tonic: int, mode: str, degree: int, part: str) -> int:
        """A melody degree as a pitch: the lead's tonic in the genre's register (lead_floor and the octave over
        it), the counter-line's an octave lower; the lead never above LEAD_TOP."""
        floor = self.genre.melody.lead_floor
        octave = (floor + (tonic - floor) % 12) // 12 - 1
        pitch = theory.degree_pitch(tonic, mode, degree, octave - (1 if part == "counter" else 0))
        while part == "lead" and pitch > LEAD_TOP:
            pitch -= 12
        return pitch

    def _keys(self, track: str, plan: BarPlan, voicing: list[int], pcs: list[int], energy: float, density: float,
              level: float, light: bool) -> None:
        bar, bpb = plan.bar, self.bar_beats
        parts = self.parts
        pattern = parts.light_comp if light or density < 0.5 else pick(parts.comp, plan.phrase_bar)
        strikes = [pos for pos, _ in onsets(pattern) if pos < bpb]
        if not strikes:
            return
        if self.style.pedal and lookup(track).program in PIANO_PROGRAMS and parts.comp_style != "power":
            self._pedal(track, bar)
        gaps = [b - a for a, b in zip(strikes, strikes[1:] + [float(bpb)])]
        velocity = level - (20 if parts.comp_style == "arpeggio" else 16)
        if parts.comp_style == "arpeggio":
            if min(voicing) < ARPEGGIO_FLOOR and max(voicing) + 12 <= 88 and energy < 0.6:
                voicing = [pitch + 12 for pitch in voicing]
            cycle = voicing + voicing[1:-1][::-1]
            offset = plan.phrase_bar % 2  # the broken chord turns a different way each bar
            for i, (pos, gap) in enumerate(zip(strikes, gaps)):
                self._played(track, cycle[(i + offset) % len(cycle)], bar, pos, max(gap, 0.25) * 1.5, velocity)
        elif parts.comp_style == "power":
            root = POWER_ROOT + (pcs[0] - POWER_ROOT) % 12
            for pos, gap in zip(strikes, gaps):
                for pitch in (root, root + 7, root + 12):
                    self._played(track, pitch, bar, pos, gap * parts.comp_length, velocity + 4, spread=0.5)
        else:
            for pos, gap in zip(strikes, gaps):
                for pitch in voicing:
                    self._played(track, pitch, bar, pos, gap * parts.comp_length, velocity)

    def _bass(self, track: str, plan: BarPlan, pcs: list[int], tonic: int, mode: str, level: float, light: bool
              ) -> None:
        bar, bpb = plan.bar, self.bar_beats
        parts = self.parts
        if plan.phrase in ("pickup", "intro", "breakdown"):
            root_pc = tonic  # a pedal point: the tonic under whatever the harmony does
            pattern = parts.light_bass
        elif plan.phrase == "build":
            root_pc = theory.degree_pitch(tonic, mode, 4, 0) % 12  # the dominant's pedal, driving into the cut
            pattern = "x.x.x.x.x.x.x.x."
        else:
            root_pc = pcs[0]
            pattern = parts.light_bass if light else pick(parts.bass, plan.phrase_bar)
        root = BASS_ROOT + (root_pc - BASS_ROOT) % 12
        third = root + (pcs[1] - root_pc) % 12 if len(pcs) > 1 else root + 4
        fifth = root + 7 if root + 7 <= 55 else root - 5
        notes = [(pos, symbol) for pos, symbol in onsets(pattern) if pos < bpb]
        for i, (pos, symbol) in enumerate(notes):
            following = notes[i + 1][0] if i + 1 < len(notes) else float(bpb)
            pitch = {"5": fifth, "8": root + 12, "3": third}.get(symbol, root)
            start = self._time(bar, pos, spread=0.5)
            held = 1.0 if parts.bass_holds and i == len(notes) - 1 else parts.bass_legato
            end = self.grid.time(bar, pos + (following - pos) * held) + (0.02 if held == 1.0 else 0.0)
            velocity = level - 6 + accent(pos % bpb) / 2
            self._note(track, pitch, start, end, velocity, jitter=2)
            if self.style.sub_octave and pitch == root:
                self._note("sub: sub bass", pitch - 12, start, end, velocity)

    def _timpani(self, track: str, plan: BarPlan, root_pc: int, level: float) -> None:
        root = TIMPANI_ROOT + (root_pc - TIMPANI_ROOT) % 12
        for pos, _ in onsets(self.parts.timpani or "x..............."):
            if pos < self.bar_beats:
                self._played(track, root, plan.bar, pos, 1.0, level - 4 + (6 if pos == 0 else 0), vary=False)

    def _drums(self, track: str, plan: BarPlan, energy: float, level: float, light: bool) -> None:
        groove = self.parts.groove
        bar, bpb = plan.bar, self.bar_beats
        fill = plan.build or (plan.phrase_bar == plan.phrase_length - 1 and plan.phrase_length >= 4
                              and not plan.last_in_section and energy >= QUIET_LIGHT)
        fill_from = bpb - (2 if plan.build else 1)

        def hit(note: int, pos: float, velocity: float, spread: float = 1.0, late_s: float = 0.0) -> None:
            if pos < bpb and not (fill and pos >= fill_from and note != Drum.KICK):
                self._played(track, note, bar, float(pos), 0.25, velocity, spread=spread, vary=False, late_s=late_s)

        index = plan.phrase_bar
        kick = groove.light_kick if light else pick(groove.kick, index)
        snare = groove.light_snare if light else pick(groove.snare, index)
        hats = groove.light_hats if light else pick(groove.hats, index)
        snare_note = groove.light_snare_note if light else groove.snare_note
        hat_note = groove.full_hat_note if plan.phrase == "B" and not light else groove.hat_note
        for pos, _ in onsets(kick):
            hit(Drum.KICK, pos, level, spread=0.5)
        for pos, _ in onsets(snare):
            hit(snare_note, pos, level - 6, late_s=groove.laid_back_ms / 1000)
        for pos, _ in onsets(hats):
            hit(hat_note, pos, level - 24 + (4 if pos % 1 == 0 else 0))
        if not light and plan.phrase == "B":
            for pos, _ in onsets(pick(groove.open_hats, index)):
                hit(Drum.OPEN_HAT, pos, level - 20)
        if plan.phrase_bar == 0 and not light and energy >= 0.35:
            hit(Drum.CRASH, 0, level - 8, spread=0.5)
        if fill:
            self._fill(track, bar, fill_from, level, groove.fill if energy >= 0.45 or plan.build else "ghost")

    def _fill(self, track: str, bar: int, start: float, level: float, kind: str) -> None:
        bpb = self.bar_beats
        if kind == "ghost":
            ghosts = ((bpb - 0.75, Drum.SNARE, -28), (bpb - 0.5, Drum.KICK, -10), (bpb - 0.25, Drum.SNARE, -22))
            for pos, note, added in ghosts:
                self._played(track, note, bar, pos, 0.25, level + added, vary=False)
            return
        steps = np.arange(start, bpb, 0.25)
        toms = (Drum.SNARE, Drum.HIGH_TOM, Drum.MID_TOM, Drum.LOW_TOM)
        for i, pos in enumerate(steps):
            note = Drum.SNARE if kind == "roll" else toms[min(3, i * 4 // len(steps))]
            self._played(track, note, bar, float(pos), 0.25, level - 14 + 16 * i / max(1, len(steps) - 1), vary=False)

    def _build(self, roles: dict[str, str], plan: BarPlan, level: float, pcs: list[int]) -> None:
        """Into a cut that matters: a riser over the bar (where the genre has one), a timpani roll in the
        orchestra, the kit's fill (in _drums), a crescendo (in _expression)."""
        bar = plan.bar
        t0, t1 = self.grid.time(bar, 0), self.grid.time(bar + 1, 0)
        if self.style.riser and not self.brief.sections[plan.section].underscore:
            self._note("fx: reverse cymbal", 60, t0, t1, 64 + 30 * self.brief.energy)
        if "timpani" in roles:
            root = TIMPANI_ROOT + (pcs[0] - TIMPANI_ROOT) % 12
            for i, pos in enumerate(np.arange(self.bar_beats / 2, self.bar_beats, 0.25)):
                self._played(roles["timpani"], root, bar, float(pos), 0.25, level - 20 + 3 * i, vary=False)

    # --- cuts and the ending ------------------------------------------------------------------
    def _accent_cuts(self) -> None:
        """A hit on each cut the music marks (accents.py), as the genre hits: the kit's crash and kick; the
        orchestra's timpani and cymbal; a low chord where there is no kit."""
        self.bar_beats, self.bar_end = self.brief.beats_per_bar, float("inf")
        for hit in self.accents:
            if not hit.marked or not 0 < hit.at < self.ending_at - 0.1:
                continue
            section = self.brief.sections[self._section_index(hit.at)]
            roles = self._roles(section)
            strength = min(1.0, hit.strength / (2 * STRONG))
            velocity = ACCENT_VELOCITY + 20 * strength + (8 if hit.key else 0)
            if self._spoken(hit.at):
                velocity -= ACCENT_UNDER_SPEECH
            self._hit(roles, section, hit, velocity)

    def _hit(self, roles: dict[str, str], section: BriefSection, hit: Accent, velocity: float) -> None:
        at = hit.at
        loud = hit.key or hit.strength >= STRONG
        tonic = theory.tonic_pitch_class(section.key)
        root_pc = self._chord_root_at(at, tonic)
        if "drums" in roles and self.parts.groove is not None:
            if hit.kind != "beat":  # off the beat, the band stops for it (stop-time), then stabs it together
                if at - self.last_stop >= STOP_SPACING_BARS * 60.0 / section.bpm * self.brief.beats_per_bar:
                    self._stop_before(at, [roles[r] for r in ("drums", "keys", "bass", "lead", "counter")
                                           if r in roles])
                    self.last_stop = at
                self._note(roles["drums"], Drum.SNARE, at, at + 0.2, velocity - 6)
                if "keys" in roles:
                    low = KEYS_RANGE[0] + (root_pc - KEYS_RANGE[0]) % 12
                    for pitch in (low, low + 7, low + 12):
                        self._note(roles["keys"], pitch, at, at + 0.25, velocity - 12)
            self._note(roles["drums"], Drum.CRASH if loud else Drum.SPLASH, at, at + 0.3, velocity)
            self._note(roles["drums"], Drum.KICK, at, at + 0.2, velocity)
            return
        if "timpani" in roles:
            self._note(roles["timpani"], TIMPANI_ROOT + (root_pc - TIMPANI_ROOT) % 12, at, at + 0.8, velocity)
            if loud and "drums" in roles:
                self._note(roles["drums"], Drum.CRASH, at, at + 0.3, velocity - 10)
            return
        if "keys" in roles:
            low = BASS_ROOT + 12 + (root_pc - BASS_ROOT) % 12
            for pitch in (low, low + 7, low + 12):
                self._note(roles["keys"], pitch, at, at + 0.6, velocity - 4)

    def _stop_before(self, at: float, tracks: list[str]) -> None:
        """Stop-time: the parts rest from half a beat before a hit off the beat until just after it, and what
        they hold is released, so the hit lands in a gap and is heard as the cut."""
        beats = self.grid.beats
        index = int(np.clip(np.searchsorted(beats, at) - 1, 0, len(beats) - 2))
        gap_from = at - (beats[index + 1] - beats[index]) / 2
        for name in tracks:
            track = self.tracks.get(name)
            if track is None:
                continue
            track.notes = [n for n in track.notes if not gap_from - 0.01 <= n.start < at + STOP_AFTER_S]
            for note in track.notes:
                if note.start < gap_from < note.end:
                    note.end = max(note.start + 0.02, gap_from)

    def _chord_root_at(self, t: float, default: int) -> int:
        """The pitch class the bass plays at `t` (the tonic where it plays nothing)."""
        for name, track in self.tracks.items():
            if name.startswith("bass:"):
                sounding = [n.pitch for n in track.notes if n.start <= t + 0.02 < n.end + 0.05]
                if sounding:
                    return sounding[0] % 12
        return default

    def _ending(self, previous: list[int] | None) -> None:
        """The final hit: the tonic chord on the last downbeat (or on the cut later in that bar), struck by
        every part, the kit's crash and kick (the orchestra's timpani), and left to ring past the end. Nothing
        plays after it."""
        start = max(0.0, self.ending_at)
        section = self.brief.sections[self._section_index(start)]
        roles = self._roles(section)
        tonic = theory.tonic_pitch_class(section.key)
        end = self.brief.target_duration + RING_S
        level = 66 + 45 * section.energy
        colour = "add9" if any(c in self.style.colours for c in ("add9", "9")) else ""
        tonic_chord = theory.chord(tonic, section.mode, 0, colour)
        voicing = theory.voice(tonic_chord[1:] if len(tonic_chord) > 3 else tonic_chord, previous, *KEYS_RANGE)
        self.markers.append(Marker(start, "ending"))
        if "keys" in roles:
            if self.style.pedal and lookup(roles["keys"]).program in PIANO_PROGRAMS:
                self._track(roles["keys"]).control_changes.append(pretty_midi.ControlChange(64, 127, start + 0.03))
            for pitch in voicing:
                self._note(roles["keys"], pitch, start, end, level - 8)
        if "pad" in roles:
            pad = theory.avoid_unisons(theory.spread(tonic_chord, *PAD_ROOT), set(voicing), PAD_ROOT[0], PAD_TOP)
            for pitch in pad:
                self._note(roles["pad"], pitch, start, end, level - 12)
            self._track(roles["pad"]).control_changes.append(pretty_midi.ControlChange(11, 120, start))
        if "bass" in roles:
            bass = BASS_ROOT + (tonic - BASS_ROOT) % 12
            self._note(roles["bass"], bass, start, end, level - 4)
            if self.style.sub_octave:
                self._note("sub: sub bass", bass - 12, start, end, level - 4)
        for part in ("lead", "counter"):
            if part in roles and (part == "counter" or self._lead_plays(section)) and not self._spoken(start):
                pitch = self._melody_pitch(tonic, section.mode, 7 if part == "lead" else 2, part)
                self._note(roles[part], pitch, start, end, level - 10)
                self._track(roles[part]).control_changes.append(pretty_midi.ControlChange(11, 120, start))
        if "timpani" in roles:
            self._note(roles["timpani"], TIMPANI_ROOT + (tonic - TIMPANI_ROOT) % 12, start, start + 1.5, level)
        if "drums" in roles and (self.parts.groove is not None or section.energy >= 0.3):
            self._note(roles["drums"], Drum.KICK, start, start + 0.3, level)
            self._note(roles["drums"], Drum.CRASH, start, start + 0.3, level - 4)


def _untangle(notes: list[pretty_midi.Note]) -> None:
    """A note ends where the next note of the same pitch on its track starts: MIDI cannot tell two overlapping
    notes of one key apart (a reader pairs the first note-off with the wrong note-on)."""
    notes.sort(key=lambda n: (n.pitch, n.start))
    for note, following in zip(notes, notes[1:]):
        if following.pitch == note.pitch and note.end > following.start:
            note.end = max(note.start + 0.01, following.start)


def compose(brief: MusicBrief) -> tuple[pretty_midi.PrettyMIDI, Grid, list[Marker]]:
    """The piece as a DAW-ready MIDI file (times from the grid's first bar line: midi_file.origin), its grid,
    and its markers (video time)."""
    composer = Composer(brief)
    midi = composer.compose()
    return midi, composer.grid, composer.markers
