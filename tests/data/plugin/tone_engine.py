"""A third engine, as another package would add one: its options, its flag, one EngineSpec under the
`autoscore_video.engines` entry point (tests/test_engines.py installs it on the path). It plays a steady tone on
the planned beat grid."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from autoscore_video.common.errors import InputError
from autoscore_video.generation import EngineFlag, EngineSpec, MusicBrief, MusicTrack
from autoscore_video.generation.tempo import beat_grid

RATE = 48000


@dataclass
class ToneOptions:
    level_db: float = -20.0
    hz: float = 220.0

    def __post_init__(self) -> None:
        if not -60.0 <= self.level_db <= 0.0:
            raise InputError(f"--level-db {self.level_db} is outside -60..0")


class ToneEngine:
    name = "tone"

    def render(self, brief: MusicBrief, work_dir: Path, *, options: ToneOptions | None = None,
               progress=None) -> MusicTrack:
        options = options or ToneOptions()
        work_dir.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(brief.target_duration * RATE)) / RATE
        tone = (10 ** (options.level_db / 20) * np.sin(2 * np.pi * options.hz * t)).astype(np.float32)
        path = work_dir / "tone.wav"
        soundfile.write(path, np.stack([tone, tone], axis=1), RATE)
        grid = beat_grid(brief.tempo_map, brief.target_duration, brief.beats_per_bar)
        return MusicTrack(audio_path=str(path), sample_rate=RATE, duration=brief.target_duration,
                          bpm=brief.tempo_map[0].bpm, beats=grid.beats.tolist(), downbeats=grid.downbeats.tolist(),
                          engine=self.name, seed=brief.seed, prompt=brief.prompt, model_id=f"tone at {options.hz} Hz")


ENGINE = EngineSpec(name="tone", load=ToneEngine, options=ToneOptions,
                    flags=(EngineFlag("level_db", float, "the tone's level in dBFS."),),
                    summary="a steady tone, for tests", licence="CC0-1.0")
