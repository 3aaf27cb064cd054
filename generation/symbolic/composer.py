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

The composer lays out the piece and decides, bar by bar, what the band knows (`players.Bar`: the chord, how loud,
how light, the lead's pitches); each role's part is written by its own module in players/ (pad, keys, bass,
drums, lines for lead and counter-line, timpani, fx), the cut hits and the final chord included. Everything is
played as the genre's players would (performer.py, style.py): off-beats swung, timing spread by a few
milliseconds, velocity accented by position in the bar, note lengths varied, the sustain pedal on piano-family
keys. Then registers.py keeps parts off each other's pitches and the lead on top. The file is written for a DAW
(midi_file.py).
"""
from __future__ import annotations

import bisect
import zlib

import numpy as np
import pretty_midi

from autoscore_video.common.errors import InputError
from autoscore_video.common.spans import merge_spans
from autoscore_video.generation.brief import BriefSection, MusicBrief
from autoscore_video.generation.symbolic import harmony, melody, registers, theory
from autoscore_video.generation.symbolic.accents import STRONG, Accent, place_accents
from autoscore_video.generation.symbolic.form import BarPlan, form_variant, plan_form
from autoscore_video.generation.symbolic.genres import genre
from autoscore_video.generation.symbolic.grooves import Parts
from autoscore_video.generation.symbolic.instruments import lookup, track_name
from autoscore_video.generation.symbolic.midi_file import ENDING_MARKER, Marker, add_keys, new_midi, origin
from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import QUIET_LIGHT, Bar, bass, drums, fx, keys, lines, pad, timpani
from autoscore_video.generation.symbolic.players.keys import KEYS_RANGE
from autoscore_video.generation.tempo import Grid, beat_grid

FINAL_CHORD_MIN_S = 2.0  # the closing chord is struck at least this long before the video ends: it rings
RING_S = 2.0  # notes of the closing chord are held past the end; mixing trims and fades
LEAD_TOP = 86  # D6: above it a lead thins and shrills on General MIDI banks
ACCENT_VELOCITY = 96  # a hit on a cut is played at least this hard
STOP_AFTER_S = 0.1  # the parts rest this long after a stopped hit
STOP_SPACING_BARS = 2  # at most one stop-time in this many bars: fast cutting gets stabs, not a stutter
FINAL_HIT_MIN_S = 1.5  # a cut in the last bar at least this long before the end takes the final hit (it rings)
TRACK_ORDER = ("pad", "keys", "counter", "lead", "bass", "sub", "timpani", "fx", "drums")
PICKUP_SHARE = 0.6  # a first bar heard for less than this share of it is a pickup, not the intro's first bar
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
        self.rng = self.piece_rng = np.random.default_rng(brief.seed)
        # a section with its own seed draws its performance from its own generator, so the piece's draws
        # before and after it are the ones the piece makes without it
        self.section_rngs = {i: np.random.default_rng([s.seed, i]) for i, s in enumerate(brief.sections)
                             if s.seed is not None}
        self.grid = beat_grid(brief.tempo_map, brief.target_duration + RING_S, brief.beats_per_bar)
        self.genre = genre(brief.genre)
        self.style = self.genre.style
        self.parts: Parts = self.genre.parts
        self.play = Performer(self.grid, self.style, self.parts.kit, self.rng, brief.beats_per_bar)
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
        # the motif is drawn by the seed and the genre: one clip in two genres sings two tunes (a section with a
        # seed of its own sings its own)
        self.motifs = [melody.make_motif(np.random.default_rng([self._seed(i), zlib.crc32(brief.genre.encode())]),
                                         self.genre.melody) for i in range(len(brief.sections))]
        self.progressions = [harmony.progressions(s.mode, self.genre.harmony, s.mood, self._seed(i), i)
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
            self._perform_with(self.section_rngs.get(first.section, self.piece_rng))
            chords = [self._chord_of(plan) for plan in phrase]
            self.markers.append(Marker(self.grid.time(first.bar, 0), f"{first.phrase} ({section.mood} {section.key} "
                                                                     f"{section.mode})"))
            motif = self.motifs[first.section]
            lead = melody.phrase_lead(motif, chords, first.occurrence, lead_at)
            counter_active = "lead" not in phrase[0].layers or not self._lead_plays(section)
            counter = melody.counter_line(chords, counter_active, counter_at, motif, answer=not counter_active)
            lead_at = lead[-1][3] if lead else lead_at
            counter_at = counter[-1][3] if counter else counter_at
            for plan, chord in zip(phrase, chords):
                voicing = self._bar(plan, chord, voicing,
                                    [n for n in lead if n[0] == plan.phrase_bar],
                                    [n for n in counter if n[0] == plan.phrase_bar])
            index += first.phrase_length
        self._perform_with(self.piece_rng)
        self.play.bar_beats, self.play.bar_end = self.brief.beats_per_bar, float("inf")
        self._ending(voicing)
        self._accent_cuts()
        registers.resolve_unisons(self.play.tracks)
        registers.melody_on_top(self.play.tracks)
        return self._file()

    def _file(self) -> pretty_midi.PrettyMIDI:
        midi = new_midi(self.grid)
        start = origin(self.grid)
        for role in TRACK_ORDER:
            for name, instrument in self.play.tracks.items():
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
                                    max(1, plan.phrase_length // bars), self._seed(plan.section) + plan.occurrence)

    def _seed(self, section: int) -> int:
        own = self.brief.sections[section].seed
        return self.brief.seed if own is None else own

    def _perform_with(self, rng: np.random.Generator) -> None:
        self.rng = self.play.rng = rng

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

    def _roles(self, section: BriefSection) -> dict[str, str]:
        """role → MIDI track name ("role: instrument") for the section's instruments, one per role."""
        roles: dict[str, str] = {}
        for name in section.instrumentation:
            role = lookup(name).role
            if section.underscore and role in UNDERSCORE_RESTS:
                continue
            roles.setdefault(role, track_name(role, name.strip().lower()))
        return roles

    # --- one bar -----------------------------------------------------------------------------
    def _bar(self, plan: BarPlan, chord: harmony.Chord, previous: list[int] | None, lead: list, counter: list
             ) -> list[int]:
        """Writes one bar: the chord voiced, how loud and how light, then each part the bar's layers and the
        section's band hold, by its own writer (players/)."""
        play, index = self.play, plan.bar
        section = self.brief.sections[plan.section]
        roles = self._roles(section)
        tonic = theory.tonic_pitch_class(section.key)
        dominant = chord.degree == 4 and not chord.borrowed and (plan.last_in_section or index == self.last_played)
        pcs = harmony.pitch_classes(tonic, section.mode, chord, self._colour(dominant), dominant=dominant)
        voicing = theory.voice(pcs[1:] if len(pcs) > 3 else pcs, previous, *KEYS_RANGE)
        # a bar the final hit cuts short ends a little before it: no note played early lands on the hit
        play.bar_end = min(self.grid.time(index + 1, 0), self.ending_at - 0.03)
        play.bar_beats = self.grid.bar_length(index)
        under_words = self._spoken_share(self.grid.time(index, 0), self.grid.time(index + 1, 0)) >= THIN_UNDER_SPEECH
        light = section.energy < QUIET_LIGHT or plan.phrase in ("pickup", "intro", "outro", "breakdown") or under_words
        layers = plan.layers
        sung = [(beat, length, self._melody_pitch(tonic, section.mode, degree, "lead"))
                for _, beat, length, degree in lead]
        plays_lead = "lead" in roles and "lead" in layers and self._lead_plays(section)
        bar = Bar(plan=plan, section=section, parts=self.parts, tonic=tonic, pcs=pcs, voicing=voicing,
                  level=(60 + 45 * section.energy) * 10 ** (plan.arc_db / 40), light=light,
                  taken=frozenset(p for _, _, p in sung) if plays_lead else frozenset())
        kit = "drums" in roles and self.parts.groove is not None
        if "pad" in roles and "pad" in layers:
            pad.play(play, bar, roles["pad"])
        if "keys" in roles and "keys" in layers:
            keys.play(play, bar, roles["keys"])
        if "bass" in roles and "bass" in layers:
            bass.play(play, bar, roles["bass"])
        if "timpani" in roles and "timpani" in layers:
            timpani.play(play, bar, roles["timpani"])
        if plays_lead:
            lines.sing(play, bar, roles["lead"], sung, self._spoken)
        if "counter" in roles and ("counter" in layers or ("lead" in layers and not plays_lead)):
            lines.counter(play, bar, roles["counter"],
                          [(beat, length, self._melody_pitch(tonic, section.mode, degree, "counter"))
                           for _, beat, length, degree in counter], self._spoken, with_lead=plays_lead)
        if kit and "drums" in layers:
            drums.play(play, bar, roles["drums"])
        elif kit and plan.build and self.parts.groove is not None:
            drums.play_fill(play, bar, roles["drums"], play.bar_beats - 2, self.parts.groove.fill)
        if plan.build:  # into a cut that matters: a riser (where the genre has one), the orchestra's timpani roll
            if self.style.riser and not section.underscore:
                fx.riser(play, bar, self.brief.energy)
            if "timpani" in roles:
                timpani.roll(play, bar, roles["timpani"])
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

    # --- cuts and the ending ------------------------------------------------------------------
    def _accent_cuts(self) -> None:
        """A hit on each cut the music marks (accents.py), as the genre hits: the kit's crash and kick; the
        orchestra's timpani and cymbal; a low chord where there is no kit."""
        self.play.bar_beats, self.play.bar_end = self.brief.beats_per_bar, float("inf")
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
        root_pc = self._chord_root_at(at, theory.tonic_pitch_class(section.key))
        play = self.play
        if "drums" in roles and self.parts.groove is not None:
            off_beat = hit.kind != "beat"
            if off_beat:  # off the beat, the band stops for it (stop-time), then stabs it together
                if at - self.last_stop >= STOP_SPACING_BARS * 60.0 / section.bpm * self.brief.beats_per_bar:
                    self._stop_before(at, [roles[r] for r in ("drums", "keys", "bass", "lead", "counter")
                                           if r in roles])
                    self.last_stop = at
                if "keys" in roles:
                    keys.stab(play, roles["keys"], root_pc, at, velocity)
            drums.cut(play, roles["drums"], at, velocity, loud, stab=off_beat)
        elif "timpani" in roles:
            timpani.cut(play, roles["timpani"], root_pc, at, velocity)
            if loud and "drums" in roles:
                drums.cymbal(play, roles["drums"], at, velocity)
        elif "keys" in roles:
            keys.low_chord(play, roles["keys"], root_pc, at, velocity)

    def _stop_before(self, at: float, tracks: list[str]) -> None:
        """Stop-time: the parts rest from half a beat before a hit off the beat until just after it, and what
        they hold is released, so the hit lands in a gap and is heard as the cut."""
        beats = self.grid.beats
        index = int(np.clip(np.searchsorted(beats, at) - 1, 0, len(beats) - 2))
        gap_from = at - (beats[index + 1] - beats[index]) / 2
        for name in tracks:
            track = self.play.tracks.get(name)
            if track is None:
                continue
            track.notes = [n for n in track.notes if not gap_from - 0.01 <= n.start < at + STOP_AFTER_S]
            for note in track.notes:
                if note.start < gap_from < note.end:
                    note.end = max(note.start + 0.02, gap_from)

    def _chord_root_at(self, t: float, default: int) -> int:
        """The pitch class the bass plays at `t` (the tonic where it plays nothing)."""
        for name, track in self.play.tracks.items():
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
        self.markers.append(Marker(start, ENDING_MARKER))
        play = self.play
        if "keys" in roles:
            keys.final(play, roles["keys"], voicing, start, end, level)
        if "pad" in roles:
            pad.final(play, roles["pad"], tonic_chord, voicing, start, end, level)
        if "bass" in roles:
            bass.final(play, roles["bass"], tonic, start, end, level)
        for part in ("lead", "counter"):
            if part in roles and (part == "counter" or self._lead_plays(section)) and not self._spoken(start):
                pitch = self._melody_pitch(tonic, section.mode, 7 if part == "lead" else 2, part)
                lines.final(play, roles[part], pitch, start, end, level)
        if "timpani" in roles:
            timpani.final(play, roles["timpani"], tonic, start, level)
        if "drums" in roles and (self.parts.groove is not None or section.energy >= QUIET_LIGHT):
            drums.final(play, roles["drums"], start, level)


def _untangle(notes: list[pretty_midi.Note]) -> None:
    """A note ends where the next note of the same pitch on its track starts: MIDI cannot tell two overlapping
    notes of one key apart (a reader pairs the first note-off with the wrong note-on)."""
    notes.sort(key=lambda n: (n.pitch, n.start))
    for note, following in zip(notes, notes[1:]):
        if following.pitch == note.pitch and note.end > following.start:
            note.end = max(note.start + 0.01, following.start)


def compose(brief: MusicBrief) -> tuple[pretty_midi.PrettyMIDI, Grid, list[Marker]]:
    """The piece as a DAW-ready MIDI file (times from the grid's first bar line: midi_file.origin), its grid,
    and its markers (video time). A section with a seed of its own is composed with it and its notes take the
    place of the piece's in its range; the rest is the piece as it is without that seed."""
    from autoscore_video.generation.sections import own_seeded, section_range, with_own_seed, without_own_seeds

    seeded = own_seeded(brief)
    composer = Composer(without_own_seeds(brief) if seeded else brief)
    midi = composer.compose()
    start = origin(composer.grid)
    for index in seeded:
        again = Composer(with_own_seed(brief, index, brief.sections[index].seed or 0)).compose()
        first, last = section_range(brief, index)
        _replace_notes(midi, again, (first if index else -np.inf) - start, last - start)
    return midi, composer.grid, composer.markers


def _replace_notes(midi: pretty_midi.PrettyMIDI, other: pretty_midi.PrettyMIDI, start: float, end: float) -> None:
    """The notes and controller changes of `other` from `start` to `end` (file seconds) in place of `midi`'s,
    track by track (a track only `other` has is added)."""
    def inside(t: float) -> bool:
        return start <= t < end

    tracks = {instrument.name: instrument for instrument in midi.instruments}
    for track in other.instruments:
        into = tracks.get(track.name)
        if into is None:
            into = pretty_midi.Instrument(track.program, is_drum=track.is_drum, name=track.name)
            midi.instruments.append(into)
        into.notes = [n for n in into.notes if not inside(n.start)] + [n for n in track.notes if inside(n.start)]
        into.control_changes = sorted([c for c in into.control_changes if not inside(c.time)]
                                      + [c for c in track.control_changes if inside(c.time)], key=lambda c: c.time)
        _untangle(into.notes)
        into.notes.sort(key=lambda n: (n.start, n.pitch))
    theirs = {track.name for track in other.instruments}
    for instrument in midi.instruments:
        if instrument.name not in theirs:
            instrument.notes = [n for n in instrument.notes if not inside(n.start)]
