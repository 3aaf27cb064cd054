"""The `symbolic` engine: composes MIDI from the brief, plays it with a General MIDI bank part by part, and mixes
the parts on a console (studio/) as the genre is produced, a window at a time (windows.py, bounce.py).

Works on any CPU with nothing downloaded; deterministic for a seed; beats on the planned grid; memory that does
not grow with the piece.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from autoscore_video.generation.brief import MusicBrief, MusicTrack
from autoscore_video.generation.symbolic import midi_file
from autoscore_video.generation.symbolic.banks import NO_BANK_NOTE, find_bank
from autoscore_video.generation.symbolic.bounce import bounce_console, bounce_dry
from autoscore_video.generation.symbolic.composer import RING_S, compose
from autoscore_video.generation.symbolic.genres import genre
from autoscore_video.generation.symbolic.options import SymbolicOptions
from autoscore_video.generation.symbolic.studio import Console
from autoscore_video.generation.symbolic.synth import Player, bank_notes, new_piece, parts_of
from autoscore_video.generation.symbolic.windows import windows


class SymbolicEngine:
    name = "symbolic"

    def render(self, brief: MusicBrief, work_dir: Path, *, options: SymbolicOptions | None = None,
               progress=None) -> MusicTrack:
        options = options or SymbolicOptions()
        bank = find_bank(options.soundfont)
        work_dir.mkdir(parents=True, exist_ok=True)
        midi_path = work_dir / "music.mid"
        audio_path = work_dir / "music.wav"
        grid, markers, licence = self._written(brief, midi_path, bank)
        start = midi_file.origin(grid)
        seconds = brief.target_duration + RING_S
        production = genre(brief.genre).production
        rate, total = brief.sample_rate, int(round(seconds * brief.sample_rate))
        parts = parts_of(midi_path, video_at=-start, spread=production.spread_roles if options.console else frozenset())

        new_piece()
        players_by_role: dict[str, list[Player]] = {}
        for part in parts:
            players_by_role.setdefault(part.role, []).append(Player(part, bank.path, rate, total))
        if options.console:
            bounce_console(Console(players_by_role, production, rate, total, work_dir), audio_path, progress,
                           brief.speech)
        else:
            players = [player for members in players_by_role.values() for player in members]
            bounce_dry(_summed(players, total, rate), audio_path, rate)
        beats = [round(float(b), 6) for b in grid.beats if 0.0 <= b < seconds]
        downbeats = [round(float(b), 6) for b in grid.downbeats if 0.0 <= b < seconds]
        span = beats[-1] - beats[0] if len(beats) > 1 else 0.0
        notes = [NO_BANK_NOTE] if bank.found_by == "fallback" else []
        notes += bank_notes([p for members in players_by_role.values() for p in members], bank.describe())
        return MusicTrack(
            audio_path=str(audio_path), sample_rate=brief.sample_rate, duration=seconds,
            bpm=round(60.0 * (len(beats) - 1) / span, 3) if span > 0 else brief.tempo_map[0].bpm,
            beats=beats, downbeats=downbeats, engine=self.name, seed=brief.seed, prompt=brief.prompt,
            model_id=bank.describe(), midi_path=str(midi_path), notes=notes,
            licence=licence,
            final_hit=next((m.time for m in markers if m.text == midi_file.ENDING_MARKER), None),
        )


    def write_midi(self, brief: MusicBrief, path: Path, *, options: SymbolicOptions | None = None) -> None:
        """The MIDI file of `brief` (sections with a seed of their own composed with it), without rendering it."""
        self._written(brief, path, find_bank((options or SymbolicOptions()).soundfont))

    @staticmethod
    def _written(brief: MusicBrief, path: Path, bank) -> tuple:
        """Composes `brief` into the MIDI file at `path`: (its grid, its markers, the licence it states)."""
        midi, grid, markers = compose(brief)
        licence = f"composed by autoscore (yours to use); played on {bank.name}, whose samples are {bank.licence}"
        midi_file.write(midi, path, midi_file.origin(grid), markers, notice=licence)
        return grid, markers, licence


def _summed(players: list[Player], total: int, rate: int):
    """The parts summed as they are, window by window."""
    for start, stop in windows(total, rate):
        audio = np.zeros((2, stop - start), dtype=np.float32)
        for player in players:
            played = player.window(start, stop)
            if played is not None:
                audio += played
        yield audio
