"""Renders a MIDI file to stems, one stereo stem per part, with a General MIDI bank (banks.py) as a SoundFont
player would: the notes, their velocity, the sustain pedal and expression.

symusic synthesises offline in C++ and has wheels for every platform autoscore supports, with no system
library. It plays a copy of the bank rewritten so that its roots, tuning and levels are heard as written
(soundfont.py), but it plays notes only: velocity chooses a sample without setting its loudness, and no
controller is heard. So, as a player would:
- notes are rendered in layers of nearby velocity, each at the gain a SoundFont player gives that velocity
  (amplitude in proportion to velocity), and summed; a drum kit's distinct hits are each rendered once, at
  their velocity's gain, and placed at their onsets;
- the sustain pedal (CC64) holds each note that is released while it is down, until it comes up;
- volume and expression (CC7, CC11) are a gain curve over the part's stem, 40·log10(value/127) dB as
  General MIDI asks.
A part is a track, or for the drum kit each group of kit pieces (kick, snare, hats, toms, cymbals,
percussion), so that the console (studio/) can place and treat each one. Chords of a part the console
spreads are dealt to two sides, alternate voices to each. Tracks named for an instrument written here
(synths.py) are played by it, not by the bank.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from autoscore_video.common.errors import ModelError
from autoscore_video.generation.symbolic.instruments import DRUM_GROUPS, ROLE_SEPARATOR, lookup
from autoscore_video.generation.symbolic.soundfont import playable_copy
from autoscore_video.generation.symbolic.synths import SYNTHS
from autoscore_video.generation.symbolic.windows import windows

if TYPE_CHECKING:
    from symusic.core import TrackSecond

VELOCITY_STEP = 8  # velocities rendered together: each note's gain within 0.6 dB of its own above velocity 50
HIT_LENGTH_STEP = 0.02  # s: drum hits this close in length are one hit (a kit's samples mostly ignore note-off)
EXPRESSION_CONTROLS = (7, 11)  # volume, expression
CONTROL_STEP = 32  # samples: expression is computed every 0.7 ms and held between
CHORD_SPREAD_S = 0.03  # notes starting this close together are one chord, however the players spread them


@dataclass
class Stem:
    part: str  # the track's name; "drums/kick"; "strings/b" for a spread part's second side
    role: str  # pad, keys, bass, lead, sub, or the drum group
    audio: np.ndarray  # (2, samples) float32, channels first, from the piece's start


@dataclass
class Part:
    """A part as it is played: its notes (in seconds from the audio's start, held by the pedal), the
    controllers over it, and what plays it."""
    name: str  # as Stem.part
    role: str
    track: TrackSecond  # the symusic track the notes came from (name, program, drum or not)
    notes: dict[str, np.ndarray]
    controls: dict[str, np.ndarray]
    # an instrument of synths.py (notes, start, stop, sample rate → audio or None), or None for the bank
    synth: Callable[[dict[str, np.ndarray], int, int, int], np.ndarray | None] | None = None


@lru_cache(maxsize=2)
def _synthesizer(soundfont: Path, sample_rate: int):
    """Kept for a piece (`new_piece`): a bank's compressed (.sf3) samples are decoded once, on first use."""
    import symusic

    try:
        return symusic.Synthesizer(str(soundfont), sample_rate=sample_rate, quality=0)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"cannot load the SoundFont {soundfont}: {exc}") from exc


def new_piece() -> None:
    """Forgets the synthesisers of earlier pieces. symusic keeps the first voice it makes for a key, whatever
    velocity is asked later: a synthesiser kept for the process made a piece sound different after another
    (a TimGM6mb rock piece moved by up to 0.29 of full scale after a pop piece). Making one again costs a
    quarter of a second a piece."""
    _synthesizer.cache_clear()


def layer_gain(layer: int) -> float:
    """Amplitude of a velocity layer: its middle velocity over 127."""
    return min(127.0, layer * VELOCITY_STEP + (VELOCITY_STEP - 1) / 2) / 127.0


def sustained(notes: dict[str, np.ndarray], pedal: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """`notes` (symusic's numpy arrays, in seconds) as a player holds them: each note released while the
    sustain pedal is down rings until the pedal comes up, and a key struck again stops its own earlier note
    (one string, one sound; a SoundFont player would otherwise stack both)."""
    starts, duration = notes["time"], notes["duration"].copy()
    if pedal is not None and len(pedal["time"]):  # the same time unit as the notes
        downs, ups = pedal["time"], pedal["time"] + pedal["duration"]
        ends = starts + duration
        index = np.searchsorted(downs, ends, side="right") - 1  # the last pedal down at or before each release
        held = (index >= 0) & (ends < ups[np.maximum(index, 0)]) & (ends > downs[np.maximum(index, 0)])
        duration[held] = ups[index[held]] - starts[held]
    order = np.lexsort((starts, notes["pitch"]))
    same_key = notes["pitch"][order][1:] == notes["pitch"][order][:-1]
    following = starts[order][1:]
    cut = order[:-1][same_key]
    duration[cut] = np.minimum(duration[cut], np.maximum(following[same_key] - starts[cut], 1e-3))
    return {**notes, "duration": duration}


def sides(notes: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Masks dealing a part's notes to two sides: in each chord (notes starting within CHORD_SPREAD_S of the
    one before), voices alternate by pitch, the lowest to a."""
    by_time = np.argsort(notes["time"], kind="stable")
    chord_of = np.empty(len(by_time), dtype=np.int64)
    chord_of[by_time] = np.cumsum(np.r_[True, np.diff(notes["time"][by_time]) > CHORD_SPREAD_S])
    order = np.lexsort((notes["pitch"], chord_of))
    first = np.r_[True, chord_of[order][1:] != chord_of[order][:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts
    a = rank % 2 == 0
    return [a, ~a]


def expression(events: dict[str, np.ndarray], sample_rate: int, start: int, stop: int) -> np.ndarray | None:
    """The gain curve CC7 × CC11 give a part over samples [start, stop) (None when the part has neither);
    `events` (symusic's controls as numpy arrays) timed in seconds. Between two events the gain moves linearly,
    as a player smooths a controller."""
    if not len(events["time"]):
        return None
    at = np.arange(start, stop, CONTROL_STEP, dtype=np.float64)  # a controller's curve is smooth at this rate
    decibels = None
    for number in EXPRESSION_CONTROLS:
        mine = events["number"] == number
        if not mine.any():
            continue
        db = 40 * np.log10(np.maximum(events["value"][mine], 1) / 127.0)
        curve = np.interp(at, events["time"][mine] * sample_rate, db)  # held before the first and after the last
        decibels = curve if decibels is None else decibels + curve
    if decibels is None:
        return None
    return np.repeat((10 ** (decibels / 20)).astype(np.float32), CONTROL_STEP)[:stop - start]


def _render(synthesizer, track, notes: dict[str, np.ndarray], shift: float, program: int | None = None) -> np.ndarray:
    """`notes` (in seconds) played `shift` seconds early, as the bank plays them (on `program` instead of the
    track's where given): (2, samples) float32."""
    import symusic

    score: Any = symusic.Score(480, "second")
    one: Any = symusic.Track(name=track.name, program=track.program if program is None else program,
                        is_drum=track.is_drum, ttype="second")
    one.notes = symusic.Note.from_numpy(np.maximum(notes["time"] - shift, 0), notes["duration"], notes["pitch"],
                                        notes["velocity"],
                                        "second")
    score.tracks.append(one)
    return np.asarray(synthesizer.render(score, stereo=True))


def parts_of(midi_path: Path, *, spread: frozenset[str] = frozenset(), video_at: float = 0.0) -> list[Part]:
    """The parts of a MIDI file, timed from `video_at` (the file's time, in seconds, where the audio starts: a DAW
    file's bar 1 may lie before the video). `spread`: the roles whose chords are dealt to two sides."""
    import symusic

    read: Any = symusic.Score(str(midi_path))
    score = read.to("second")
    parts: list[Part] = []
    for track in score.tracks:
        if not len(track.notes):
            continue
        role = "drums" if track.is_drum else lookup(track.name).role if track.name else "keys"
        notes = _shifted(track.notes.numpy(), video_at)
        controls = _shifted(track.controls.numpy(), video_at)
        synth = SYNTHS.get(track.name.split(ROLE_SEPARATOR, 1)[-1])
        if synth is not None:
            parts.append(Part(track.name, role, track, notes, controls, synth))
            continue
        notes = sustained(notes, _shifted(track.pedals.numpy(), video_at) if len(track.pedals) else None)
        if track.is_drum:
            groups = [(f"{track.name}/{group}", group, np.isin(notes["pitch"], pitches))
                      for group, pitches in DRUM_GROUPS.items()]
            other = ~np.isin(notes["pitch"], np.concatenate([p for p in DRUM_GROUPS.values()]))
            groups.append((f"{track.name}/percussion", "percussion", other))
        elif role in spread:
            a, b = sides(notes)
            groups = [(f"{track.name}/a", role, a), (f"{track.name}/b", role, b)]
        else:
            groups = [(track.name, role, np.ones(len(notes["time"]), dtype=bool))]
        parts += [Part(name, group_role, track, {k: v[keep] for k, v in notes.items()}, controls)
                  for name, group_role, keep in groups if keep.any()]
    return parts


class Player:
    """Plays one part a window at a time: `window(start, stop)` is the part's audio over samples [start, stop),
    the notes that start in it rendered from its start, with what still rings of earlier windows' notes.
    Windows must follow each other. A drum group's distinct hits (piece, velocity, length) are each rendered
    once, at their velocity's gain, and placed at their onsets: the same sound as rendering the part, for a
    fraction of the work."""

    def __init__(self, part: Part, bank: Path | None, sample_rate: int, total: int):
        self.part, self.sample_rate, self.total = part, sample_rate, total
        self.bank = bank
        self.carry = np.zeros((2, 0), dtype=np.float32)  # audio from the next window's start on
        self.onsets = np.round(part.notes["time"].astype(np.float64) * sample_rate).astype(np.int64)
        self.hits: dict[tuple[int, int, float], np.ndarray] = {}
        self.kit_lacks: set[int] = set()  # drum notes the bank's kit does not sound, played on its Standard kit
        self.kit_sub_kicks: set[int] = set()  # kicks of the bank's kit that are a sine under 60 Hz: the Standard's
        self.program: int | None = None  # what a pitched part is played on (None: not checked yet)

    def window(self, start: int, stop: int) -> np.ndarray | None:
        """(2, stop - start) float32, or None where the part is silent."""
        n = stop - start
        if self.part.synth is not None:
            return self.part.synth(self.part.notes, start, stop, self.sample_rate)
        chosen = (self.onsets >= start) & (self.onsets < stop)
        if not chosen.any() and not self.carry.shape[1]:
            return None
        audio = np.zeros((2, max(n, self.carry.shape[1])), dtype=np.float32)
        audio[:, :self.carry.shape[1]] = self.carry
        room = self.total - start  # nothing is kept past the piece's end
        for at, piece in self._hits(chosen, start) if self.part.track.is_drum else self._layers(chosen, start):
            end = min(at + piece.shape[1], room)
            if end > audio.shape[1]:
                audio = np.concatenate([audio, np.zeros((2, end - audio.shape[1]), dtype=np.float32)], axis=1)
            if end > at:
                audio[:, at:end] += piece[:, :end - at]
        self.carry = audio[:, n:].copy()
        audio = audio[:, :n]
        gain = expression(self.part.controls, self.sample_rate, start, stop)
        if gain is not None:
            audio *= gain
        return audio

    def _layers(self, chosen: np.ndarray, start: int):
        """(offset from `start`, audio) of the chosen notes, velocity layer by layer, each at its layer's gain."""
        notes = self.part.notes
        if self.program is None:
            self.program = self._sounding_program()
        layers = notes["velocity"].astype(np.int16) // VELOCITY_STEP
        for layer in np.unique(layers[chosen]):
            mine = chosen & (layers == layer)
            first = int(self.onsets[mine].min())  # the synthesiser's work grows with the silence it renders
            audio = _render(self._synthesizer(), self.part.track, {k: v[mine] for k, v in notes.items()},
                            first / self.sample_rate, program=self.program)
            audio *= np.float32(layer_gain(int(layer)))
            yield first - start, audio

    def _sounding_program(self) -> int:
        """The track's program, or where the bank does not sound it (a probe note under SILENT_PRESET_DB), the
        first of its General MIDI family that sounds, else the piano. The probe is a key the part never plays
        (symusic keeps the first voice it makes for a key, whatever velocity is asked later)."""
        program = self.part.track.program
        pitches = self.part.notes["pitch"]
        middle = int(np.median(pitches))
        probe = next(p for p in (middle + k * s for k in range(12) for s in (1, -1)) if p not in set(pitches.tolist()))
        note = {"time": np.array([0.0]), "duration": np.array([PROBE_S]), "pitch": np.array([probe]),
                "velocity": np.array([100])}
        family = program - program % 8
        for candidate in (program, *range(family, family + 8), 0):
            if _level_db(_render(self._synthesizer(), self.part.track, note, 0.0, program=candidate)) >= \
                    SILENT_PRESET_DB:
                return candidate
        return program

    def _hits(self, chosen: np.ndarray, start: int):
        """(offset from `start`, audio) of the chosen hits."""
        notes = self.part.notes
        lengths = np.round(notes["duration"] / HIT_LENGTH_STEP) * HIT_LENGTH_STEP
        for index in np.flatnonzero(chosen):
            key = (int(notes["pitch"][index]), int(notes["velocity"][index]), float(lengths[index]))
            if key not in self.hits:
                hit = {"time": np.array([0.0]), "duration": np.array([key[2]]), "pitch": np.array([key[0]]),
                       "velocity": np.array([key[1]])}
                one_shot = _render(self._synthesizer(), self.part.track, hit, 0.0)
                if self.part.track.program != STANDARD_KIT and _level_db(one_shot) < QUIET_HIT_DB:
                    standard = _render(self._synthesizer(), self.part.track, hit, 0.0, program=STANDARD_KIT)
                    if _level_db(standard) - _level_db(one_shot) > MISSING_NOTE_DB:
                        self.kit_lacks.add(key[0])  # this kit of the bank has no such note: the Standard kit's
                        one_shot = standard
                elif (self.part.track.program != STANDARD_KIT and key[0] in KICKS
                      and _sub_share(one_shot, self.sample_rate) > SUB_KICK_SHARE):
                    self.kit_sub_kicks.add(key[0])
                    one_shot = _render(self._synthesizer(), self.part.track, hit, 0.0, program=STANDARD_KIT)
                self.hits[key] = one_shot * np.float32(key[1] / 127.0)
            yield int(self.onsets[index]) - start, self.hits[key]

    def _synthesizer(self):
        if self.bank is None:
            raise ModelError(f"{self.part.name}: a part the bank plays, with no bank given")
        return _synthesizer(playable_copy(self.bank), self.sample_rate)


STANDARD_KIT = 0
SILENT_PRESET_DB = -70.0  # a probe note this quiet (RMS, dBFS) means the bank has no sound for the program
PROBE_S = 0.5
QUIET_HIT_DB = -60.0  # a kit's hit this quiet (RMS, dBFS) is compared with the Standard kit's
MISSING_NOTE_DB = 30.0  # ... and, this much quieter than it, taken for a note the kit does not have


KICKS = (35, 36)
SUB_KICK_SHARE = 0.8  # a kick with more of its energy under SUB_HZ is a sine: beside the sub bass it swamps the mix
SUB_HZ = 60.0


def _sub_share(audio: np.ndarray, sample_rate: int) -> float:
    """The share of `audio`'s energy (above 20 Hz) that lies under SUB_HZ."""
    power = np.abs(np.fft.rfft(audio.mean(axis=0))) ** 2
    hz = np.fft.rfftfreq(audio.shape[1], 1.0 / sample_rate)
    heard = power[hz >= 20.0].sum()
    return float(power[(hz >= 20.0) & (hz < SUB_HZ)].sum() / heard) if heard > 0 else 0.0


def _level_db(audio: np.ndarray) -> float:
    power = float(np.mean(np.square(audio, dtype=np.float64))) if audio.size else 0.0
    return 10.0 * np.log10(power) if power > 0 else -200.0


def bank_notes(players: list[Player], bank: str) -> list[str]:
    """A line for each program the bank has no sound for (played on another), each kit the bank lacks notes of,
    and each kit whose kick is a sub sine (played on its Standard kit instead)."""
    lines = [f"{bank} has no sound for General MIDI program {p.part.track.program} ({p.part.name}): played on "
             f"program {p.program}" for p in players
             if not p.part.track.is_drum and p.program is not None and p.program != p.part.track.program]
    return list(dict.fromkeys(lines)) + _kit_notes([p for p in players if p.part.track.is_drum], bank)


def _kit_notes(drum_players: list[Player], bank: str) -> list[str]:
    lacking: dict[int, set[int]] = {}
    sub: set[int] = set()
    for player in drum_players:
        if player.kit_lacks:
            lacking.setdefault(player.part.track.program, set()).update(player.kit_lacks)
        if player.kit_sub_kicks:
            sub.add(player.part.track.program)
    return [f"{bank} has no sound for {len(pitches)} note(s) of General MIDI drum kit {program}: played on its "
            f"Standard kit" for program, pitches in sorted(lacking.items())] + [
        f"{bank}'s kick in General MIDI drum kit {program} is a sine under {SUB_HZ:.0f} Hz (over "
        f"{SUB_KICK_SHARE:.0%} of it), which would swamp the sub bass: played on its Standard kit"
        for program in sorted(sub)]


def render_stems(midi_path: Path, seconds: float, sample_rate: int, bank: Path, *, spread: frozenset[str] = frozenset(),
                 video_at: float = 0.0, progress=None) -> list[Stem]:
    """One stem per part, each no longer than `seconds`, played whole (window by window, joined)."""
    total = int(round(seconds * sample_rate))
    parts = parts_of(midi_path, spread=spread, video_at=video_at)
    new_piece()
    stems = []
    for done, part in enumerate(parts, start=1):
        player = Player(part, bank, sample_rate, total)
        audio = np.zeros((2, total), dtype=np.float32)
        for start, stop in windows(total, sample_rate):
            played = player.window(start, stop)
            if played is not None:
                audio[:, start:stop] = played
        stems.append(Stem(part.name, part.role, audio))
        if progress:
            progress(done / len(parts))
    return stems


def _shifted(events: dict[str, np.ndarray], by: float) -> dict[str, np.ndarray]:
    """`events` `by` seconds earlier, none before 0 (the file's float32 times round a note at the video's start
    a few microseconds before it, and the synthesiser cannot start before 0)."""
    return {**events, "time": np.maximum(events["time"] - np.float32(by), 0)} if by else events


def render_midi(midi_path: Path, seconds: float, sample_rate: int, bank: Path, *, progress=None) -> np.ndarray:
    """The stems summed as the bank plays them, with no console: stereo float32 (samples, 2)."""
    return mixed(render_stems(midi_path, seconds, sample_rate, bank, progress=progress),
                 int(round(seconds * sample_rate))).T


def mixed(stems: list[Stem], total: int) -> np.ndarray:
    """The stems summed as they are: (2, total) float32."""
    out = np.zeros((2, total), dtype=np.float32)
    for stem in stems:
        out[:, :stem.audio.shape[1]] += stem.audio
    return out
