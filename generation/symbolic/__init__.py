"""The `symbolic` engine: composes MIDI from the brief, plays it with a General MIDI bank part by part, and mixes
the parts on a console (studio/) as the genre is produced.

Works on any CPU with nothing downloaded; deterministic for a seed; beats on the planned grid.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from autoscore_video.generation.brief import MusicBrief, MusicTrack
from autoscore_video.generation.symbolic import midi_file
from autoscore_video.generation.symbolic.banks import NO_BANK_NOTE, find_bank
from autoscore_video.generation.symbolic.composer import RING_S, compose
from autoscore_video.generation.symbolic.options import SymbolicOptions
from autoscore_video.generation.symbolic.studio import mix_stems, production_for
from autoscore_video.generation.symbolic.synth import mixed, render_stems

PEAK_DBFS = -3.0


class SymbolicEngine:
    name = "symbolic"

    def render(self, brief: MusicBrief, work_dir: Path, *, options: SymbolicOptions | None = None,
               progress=None) -> MusicTrack:
        options = options or SymbolicOptions()
        bank = find_bank(options.soundfont)
        midi, grid, markers = compose(brief)
        work_dir.mkdir(parents=True, exist_ok=True)
        midi_path = work_dir / "music.mid"
        audio_path = work_dir / "music.wav"
        start = midi_file.origin(grid)
        midi_file.write(midi, midi_path, start, markers)
        seconds = brief.target_duration + RING_S
        production = production_for(brief.genre)
        stems = render_stems(midi_path, seconds, brief.sample_rate, bank.path, video_at=-start,
                             spread=production.spread_roles if options.console else frozenset(), progress=progress)
        total = int(round(seconds * brief.sample_rate))
        if options.console:
            audio, _ = mix_stems(stems, production, brief.sample_rate, total)
        else:
            audio = mixed(stems, total)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0:
            audio *= np.float32((10 ** (PEAK_DBFS / 20)) / peak)
        soundfile.write(str(audio_path), audio.T, brief.sample_rate, subtype="FLOAT")
        beats = [round(float(b), 6) for b in grid.beats if 0.0 <= b < seconds]
        downbeats = [round(float(b), 6) for b in grid.downbeats if 0.0 <= b < seconds]
        span = beats[-1] - beats[0] if len(beats) > 1 else 0.0
        notes = [NO_BANK_NOTE] if bank.found_by == "fallback" else []
        return MusicTrack(
            audio_path=str(audio_path), sample_rate=brief.sample_rate, duration=seconds,
            bpm=round(60.0 * (len(beats) - 1) / span, 3) if span > 0 else brief.tempo_map[0].bpm,
            beats=beats, downbeats=downbeats, engine=self.name, seed=brief.seed, prompt=brief.prompt,
            model_id=bank.describe(), midi_path=str(midi_path), notes=notes,
        )
