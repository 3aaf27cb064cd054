"""Renders a MIDI file to audio with the General MIDI SoundFont that pretty_midi ships (TimGM6mb.sf2).

symusic synthesises offline in C++ (a port of TinySoundFont's sequencer) and has wheels for every
platform autoscore supports, with no system library.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from autoscore_video.common.audio import exact_length
from autoscore_video.common.errors import ModelError


@lru_cache(maxsize=1)
def soundfont_path() -> Path:
    import pretty_midi

    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise ModelError(f"the General MIDI SoundFont is missing from pretty_midi ({path}); reinstall pretty_midi")
    return path


def _synthesizer(soundfont: Path, sample_rate: int):
    import symusic

    try:
        return symusic.Synthesizer(str(soundfont), sample_rate=sample_rate, quality=0)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"cannot load the SoundFont {soundfont}: {exc}") from exc


def render_midi(midi_path: Path, seconds: float, sample_rate: int, *, progress=None) -> np.ndarray:
    """Stereo float32 audio, shape (samples, 2), exactly `seconds` long (cut, or padded with silence)."""
    import symusic

    score = symusic.Score(str(midi_path))
    rendered = np.asarray(_synthesizer(soundfont_path(), sample_rate).render(score, stereo=True))
    if progress:
        progress(1.0)
    return exact_length(np.ascontiguousarray(rendered.T, dtype=np.float32), int(round(seconds * sample_rate)))
