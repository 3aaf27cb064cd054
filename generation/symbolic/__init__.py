"""The `symbolic` engine: composes MIDI from the brief and renders it with a General MIDI SoundFont.

Works on any CPU with nothing downloaded; deterministic for a seed; beats exactly on the planned grid.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from autoscore_video.generation.brief import MusicBrief, MusicTrack
from autoscore_video.generation.symbolic.composer import RING_S, compose
from autoscore_video.generation.symbolic.synth import render_midi

PEAK_DBFS = -3.0


class SymbolicEngine:
    name = "symbolic"

    def render(self, brief: MusicBrief, work_dir: Path, *, options=None, progress=None) -> MusicTrack:
        """`options`: none; the brief says everything this engine needs."""
        midi, grid = compose(brief)
        work_dir.mkdir(parents=True, exist_ok=True)
        midi_path = work_dir / "music.mid"
        audio_path = work_dir / "music.wav"
        midi.write(str(midi_path))
        seconds = brief.target_duration + RING_S
        audio = render_midi(midi_path, seconds, brief.sample_rate, progress=progress)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0:
            audio *= (10 ** (PEAK_DBFS / 20)) / peak
        soundfile.write(str(audio_path), audio, brief.sample_rate, subtype="FLOAT")
        beats = [round(float(b), 6) for b in grid.beats if 0.0 <= b < seconds]
        downbeats = [round(float(b), 6) for b in grid.downbeats if 0.0 <= b < seconds]
        span = beats[-1] - beats[0] if len(beats) > 1 else 0.0
        return MusicTrack(
            audio_path=str(audio_path), sample_rate=brief.sample_rate, duration=seconds,
            bpm=round(60.0 * (len(beats) - 1) / span, 3) if span > 0 else brief.tempo_map[0].bpm,
            beats=beats, downbeats=downbeats, engine=self.name, seed=brief.seed, prompt=brief.prompt,
            model_id="TimGM6mb.sf2", midi_path=str(midi_path),
        )
