"""Measures of a piece's form, read from its MIDI file and its plan: does it develop, change harmony, layer its
parts, keep a steady tempo, mark every cut, and sound like its genre. Pure functions; bench/form.py and the
tests read them.

Bars are the plan's (its beat grid). A note's position is counted in twelfths of a beat, so a swung eighth
(two thirds of the beat) and a straight one (a half) differ.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import pretty_midi

from autoscore_video.common.beat_hits import HIT_TOLERANCE_S, distances_to_nearest
from autoscore_video.common.errors import InputError
from autoscore_video.generation.symbolic.instruments import ROLE_SEPARATOR, lookup
from autoscore_video.generation.symbolic.midi_file import VIDEO_START_MARKER
from autoscore_video.generation.tempo import Grid, beat_grid
from autoscore_video.scoring.planning.score_plan import ScorePlan

STEPS_PER_BEAT = 12
EARLY_S = 0.03  # players run a few milliseconds ahead of the grid: a note this early is on the beat after
ACCENT_VELOCITY = 80  # a note struck at least this hard is heard as an accent
HARMONY_ROLES = ("pad", "keys")  # the parts whose lowest note names a bar's chord
SIXTEENTH_TICKS_SLACK = 0.1  # a note within a tenth of a sixteenth of the file's own grid is on it


@dataclass
class Note:
    track: int
    role: str
    drum: bool
    pitch: int
    start: float  # video time
    end: float
    velocity: int


@dataclass
class Piece:
    """A scored piece as the measures read it: its notes in video time and its plan's grid."""

    notes: list[Note]
    grid: Grid
    plan: ScorePlan
    midi: pretty_midi.PrettyMIDI
    shift: float  # video time of the file's time 0

    @property
    def bars(self) -> int:
        return int(np.count_nonzero(self.grid.downbeats < self.plan.duration))

    def bar_of(self, t: float) -> int:
        """The bar a note at `t` belongs to (one played a little early on a bar line belongs to that bar)."""
        return int(np.searchsorted(self.grid.downbeats, t + EARLY_S)) - 1

    def position(self, t: float) -> tuple[int, int]:
        """(bar, twelfth of a beat within it) of time `t`."""
        bar = self.bar_of(t)
        first = self.grid.bar_starts[max(bar, 0)]
        beats = self.grid.beats
        index = int(np.clip(np.searchsorted(beats, t + EARLY_S) - 1, 0, len(beats) - 2))
        fraction = (t - beats[index]) / (beats[index + 1] - beats[index])
        return bar, int(round((index - first + fraction) * STEPS_PER_BEAT))


def video_start(midi_path: Path, midi: pretty_midi.PrettyMIDI) -> float:
    """Where the file says the video starts (its "video start" marker), in the file's seconds; 0 without one."""
    tick = 0
    for message in mido.MidiFile(str(midi_path)).tracks[0]:
        tick += message.time
        if message.type == "marker" and message.text == VIDEO_START_MARKER:
            return float(midi.tick_to_time(tick))
    return 0.0


def load_piece(midi_path: Path, plan: ScorePlan) -> Piece:
    """The MIDI file and its notes in video time (the file's "video start" marker says where that is)."""
    midi = pretty_midi.PrettyMIDI(str(midi_path))
    brief = plan.brief
    grid = beat_grid(brief.tempo_map, plan.duration + 4.0, brief.beats_per_bar)
    shift = -video_start(midi_path, midi)
    notes = [Note(i, _role(track.name), track.is_drum, n.pitch, n.start + shift, n.end + shift, n.velocity)
             for i, track in enumerate(midi.instruments) for n in track.notes]
    return Piece(notes=[n for n in notes if n.start < plan.duration], grid=grid, plan=plan, midi=midi, shift=shift)


def _role(track_name: str) -> str:
    """A track's role: named in the track ("role: instrument"), else the instrument's (files written before
    tracks were named so)."""
    if ROLE_SEPARATOR in track_name:
        return track_name.split(ROLE_SEPARATOR, 1)[0]
    try:
        return lookup(track_name).role
    except InputError:
        return track_name


def bar_similarity(piece: Piece, lag: int = 4) -> float:
    """Mean Jaccard similarity of the notes (track, pitch, position) of each bar and the bar `lag` later, over
    the pairs where both bars sound."""
    bars: dict[int, set] = {}
    for note in piece.notes:
        bar, step = piece.position(note.start)
        bars.setdefault(bar, set()).add((note.track, note.pitch, step))
    pairs = [(bars[b], bars[b + lag]) for b in range(piece.bars - lag) if bars.get(b) and bars.get(b + lag)]
    if not pairs:
        return 0.0
    return float(np.mean([len(a & b) / len(a | b) for a, b in pairs]))


def bar_chords(piece: Piece) -> list[int | None]:
    """Each bar's chord root: the pitch class of the lowest note the pad (else the keys) strikes in it (not the
    bass's, which may hold a pedal point under the changes); None where neither plays."""
    lowest: dict[str, list[int | None]] = {role: [None] * piece.bars for role in HARMONY_ROLES}
    for note in piece.notes:
        bar = piece.bar_of(note.start)
        if note.role in HARMONY_ROLES and 0 <= bar < piece.bars:
            held = lowest[note.role][bar]
            lowest[note.role][bar] = note.pitch if held is None else min(held, note.pitch)
    roots = [pad if pad is not None else keys for pad, keys in zip(lowest["pad"], lowest["keys"])]
    return [None if r is None else r % 12 for r in roots]


def progressions_per_minute(piece: Piece) -> float:
    """Distinct four-bar sequences of chord roots (bars 1-4, 5-8, ...) per minute of music."""
    chords = bar_chords(piece)
    windows = {tuple(chords[i:i + 4]) for i in range(0, len(chords) - 3, 4)
               if any(c is not None for c in chords[i:i + 4])}
    return len(windows) / (piece.plan.duration / 60.0)


def active_tracks(piece: Piece) -> list[int]:
    """How many tracks strike a note in each bar, from the bar of the first note to the bar of the last (the
    final hit's: a bar it only rings into is not counted)."""
    counts = [set() for _ in range(piece.bars)]
    for note in piece.notes:
        bar = piece.bar_of(note.start)
        if 0 <= bar < piece.bars:
            counts[bar].add(note.track)
    played = [i for i, c in enumerate(counts) if c]
    return [len(c) for c in counts[played[0]:played[-1] + 1]] if played else []


def max_tempo_step(plan: ScorePlan) -> float:
    """The largest change of beat length from one beat to the next inside a section (relative)."""
    grid = beat_grid(plan.brief.tempo_map, plan.duration, plan.brief.beats_per_bar)
    beats = grid.beats
    worst = 0.0
    for section in plan.brief.sections:
        inside = beats[(beats >= section.start - 1e-6) & (beats <= section.end + 1e-6)]
        periods = np.diff(inside)
        if len(periods) > 1:
            worst = max(worst, float(np.max(np.abs(periods[1:] / periods[:-1] - 1.0))))
    return worst


def cut_hits(piece: Piece) -> tuple[float, float]:
    """(share of cuts with a planned beat within ±70 ms, share with a beat or a played accent within ±70 ms)."""
    cuts = [c for c in piece.plan.brief.cuts_to_hit if c < piece.plan.duration]
    if not cuts:
        return 1.0, 1.0
    on_beat = distances_to_nearest(cuts, piece.grid.beats) <= HIT_TOLERANCE_S + 1e-9
    accents = [n.start for n in piece.notes if n.velocity >= ACCENT_VELOCITY]
    accented = distances_to_nearest(cuts, accents) <= HIT_TOLERANCE_S + 1e-9
    return float(np.mean(on_beat)), float(np.mean(on_beat | accented))


def onset_overlap(a: Piece, b: Piece, drums: bool) -> float:
    """Jaccard overlap of two pieces' onset positions (bar, twelfth of a beat), of the kit or of pitched parts."""
    def positions(piece: Piece) -> set[tuple[int, int]]:
        return {piece.position(n.start) for n in piece.notes if n.drum == drums}

    first, second = positions(a), positions(b)
    return len(first & second) / len(first | second) if first | second else 0.0


def kit_share(piece: Piece) -> float:
    return sum(n.drum for n in piece.notes) / len(piece.notes) if piece.notes else 0.0


def on_file_grid(piece: Piece) -> float:
    """Share of note onsets on the file's own sixteenth grid (within a tenth of a sixteenth, in ticks)."""
    sixteenth = piece.midi.resolution / 4
    ticks = np.array([piece.midi.time_to_tick(n.start - piece.shift) for n in piece.notes])
    off = np.abs((ticks + sixteenth / 2) % sixteenth - sixteenth / 2)
    return float(np.mean(off <= SIXTEENTH_TICKS_SLACK * sixteenth)) if len(ticks) else 0.0


def notes_in_speech(piece: Piece, regions: list[tuple[float, float]], roles: tuple[str, ...] = ("lead", "counter")
                    ) -> int:
    """How many notes of `roles` start inside a spoken region (video time)."""
    return sum(1 for note in piece.notes if note.role in roles
               and any(start <= note.start < end for start, end in regions))


# --- the arrangement: what the band plays, and who is heard -------------------------------------------------------
MELODIC_ROLES = ("pad", "keys", "counter", "lead")  # the voices a listener follows above the bass
BASS_HOLE_S = 0.08  # a gap in the bass at a chord change longer than this is heard as a hole


def lead_notes(piece: Piece) -> set[tuple[int, int, int]]:
    """The lead's notes as (pitch class, bar, sixteenth within the bar)."""
    return {(n.pitch % 12, *_sixteenth(piece, n.start)) for n in piece.notes if n.role == "lead"}


def _sixteenth(piece: Piece, t: float) -> tuple[int, int]:
    bar, step = piece.position(t)
    return bar, int(round(step / (STEPS_PER_BEAT / 4)))


def shared_lead(a: Piece, b: Piece) -> float:
    """The share of the lead notes two pieces have in common (pitch class and onset to the sixteenth), of the
    piece with fewer."""
    first, second = lead_notes(a), lead_notes(b)
    return len(first & second) / min(len(first), len(second)) if first and second else 0.0


def layout(piece: Piece) -> dict[str, int]:
    """The first bar each role plays in."""
    first: dict[str, int] = {}
    for note in sorted(piece.notes, key=lambda n: n.start):
        first.setdefault(note.role, piece.bar_of(note.start))
    return first


def lead_on_top(piece: Piece) -> float:
    """The share of lead notes with no pad, keys or counter-line note sounding above them at their onset (1.0
    without a lead)."""
    lead = [n for n in piece.notes if n.role == "lead"]
    others = [n for n in piece.notes if n.role in MELODIC_ROLES and n.role != "lead"]
    if not lead:
        return 1.0
    starts = np.array([n.start for n in others])
    ends = np.array([n.end for n in others])
    pitches = np.array([n.pitch for n in others])
    on_top = 0
    for note in lead:
        at = note.start + 0.02
        sounding = (starts <= at) & (ends > at)
        on_top += not np.any(pitches[sounding] > note.pitch) if len(others) else 1
    return on_top / len(lead)


def bass_holes(piece: Piece) -> float:
    """The share of bar lines (chord changes) the bass plays across where it falls silent for longer than
    BASS_HOLE_S and less than a beat just before them (a rest of a beat or more is a rest, not a hole)."""
    bass = sorted((n for n in piece.notes if n.role == "bass"), key=lambda n: n.start)
    if not bass:
        return 0.0
    starts = np.array([n.start for n in bass])
    ends = np.maximum.accumulate(np.array([n.end for n in bass]))
    changes = holes = 0
    for bar in range(1, piece.bars):
        line = float(piece.grid.downbeats[bar])
        beat = line - float(piece.grid.beats[np.searchsorted(piece.grid.beats, line - 1e-6) - 1])
        struck = np.abs(starts - line) <= EARLY_S + 0.02
        before = np.searchsorted(starts, line - EARLY_S - 0.02) - 1
        if not struck.any() or before < 0 or starts[before] < line - 4 * beat:
            continue
        gap = float(starts[struck].min() - ends[before])
        changes += 1
        holes += BASS_HOLE_S < gap < beat
    return holes / changes if changes else 0.0
