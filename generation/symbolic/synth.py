"""Renders a MIDI file to audio with the General MIDI SoundFont that pretty_midi ships (TimGM6mb.sf2).

symusic synthesises offline in C++ and has wheels for every platform autoscore supports, with no system
library. It plays a copy of the bank rewritten so that its roots, tuning and levels are heard as written
(soundfont.py). Its synthesiser plays notes only: a note's velocity chooses a sample but does not set its
loudness, and no controller (volume, pan, expression, pedal) or SoundFont filter is heard. The composer
writes its balance and dynamics as velocities, so notes are rendered in layers of nearby velocity, each at
the gain a SoundFont player gives that velocity (amplitude in proportion to velocity, as TinySoundFont
plays it), and summed.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from autoscore_video.common.errors import ModelError
from autoscore_video.generation.symbolic.soundfont import playable_copy

VELOCITY_STEP = 4  # velocities rendered together: each note's gain within 0.4 dB of its own above velocity 40


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


def velocity_layers(score) -> dict[int, object]:
    """`score` split by velocity: {layer: a copy of the score holding only that layer's notes}."""
    import symusic

    arrays = [track.notes.numpy() for track in score.tracks]
    layer_of = [a["velocity"].astype(np.int16) // VELOCITY_STEP for a in arrays]
    layers = {}
    for layer in sorted({int(v) for per_track in layer_of for v in per_track}):
        part = score.copy()
        for track, notes, per_track in zip(part.tracks, arrays, layer_of):
            keep = per_track == layer
            track.notes = symusic.Note.from_numpy(notes["time"][keep], notes["duration"][keep], notes["pitch"][keep],
                                                  notes["velocity"][keep], score.ttype)
        layers[layer] = part
    return layers


def layer_gain(layer: int) -> float:
    """Amplitude of a velocity layer: its middle velocity over 127."""
    return min(127.0, layer * VELOCITY_STEP + (VELOCITY_STEP - 1) / 2) / 127.0


def render_midi(midi_path: Path, seconds: float, sample_rate: int, *, progress=None) -> np.ndarray:
    """Stereo float32 audio, shape (samples, 2), exactly `seconds` long (cut, or padded with silence)."""
    import symusic

    score = symusic.Score(str(midi_path))
    synthesizer = _synthesizer(playable_copy(soundfont_path()), sample_rate)
    total = int(round(seconds * sample_rate))
    out = np.zeros((total, 2), dtype=np.float32)
    layers = velocity_layers(score)
    for done, (layer, part) in enumerate(layers.items(), start=1):
        rendered = np.asarray(synthesizer.render(part, stereo=True))
        n = min(total, rendered.shape[1])
        out[:n] += rendered[:, :n].T * np.float32(layer_gain(layer))
        if progress:
            progress(done / len(layers))
    return out
