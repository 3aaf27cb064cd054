"""Renders a MIDI file to audio with the General MIDI SoundFont that pretty_midi ships (TimGM6mb.sf2).

tinysoundfont synthesises offline, with no system library; its optional audio-device binding is unused.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from common.errors import ModelError


@lru_cache(maxsize=1)
def soundfont_path() -> Path:
    import pretty_midi

    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise ModelError(f"the General MIDI SoundFont is missing from pretty_midi ({path}); reinstall pretty_midi")
    return path


def render_midi(midi_path: Path, seconds: float, sample_rate: int, *, block_s: float = 1.0,
                progress=None) -> np.ndarray:
    """Stereo float32 audio, shape (samples, 2), exactly `seconds` long."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sample_rate, gain=-6.0)
    try:
        synth.sfload(str(soundfont_path()))
    except tinysoundfont.SoundFontException as exc:
        raise ModelError(f"cannot load the SoundFont {soundfont_path()}: {exc}") from exc
    sequencer = tinysoundfont.Sequencer(synth)
    sequencer.midi_load(str(midi_path))
    total = int(round(seconds * sample_rate))
    block = max(1, int(block_s * sample_rate))
    out = np.empty((total, 2), dtype=np.float32)
    done = 0
    while done < total:
        n = min(block, total - done)
        out[done:done + n] = np.frombuffer(synth.generate(n), dtype=np.float32).reshape(n, 2)
        done += n
        if progress:
            progress(done / total)
    return out
