"""The symbolic engine's renderer against a baseline: speed, pitch, level per instrument, spectrum.

    python bench/synth.py [--json bench/results/synth.json] [--png bench/results/synth.png]

Renders a fixed 60 s two-section piece (rock, then electronic, a tempo change between) with autoscore's
renderer (symusic on a rewritten TimGM6mb, velocity layers). Where tinysoundfont is importable, the
renderer autoscore used before, it renders the same MIDI as the baseline: install it beside autoscore with
`pip install --no-deps tinysoundfont` (it declares pyaudio, which only its live playback uses). Without it
only autoscore's own figures are printed.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint  # noqa: E402
from autoscore_video.generation.symbolic.banks import pretty_midi_bank  # noqa: E402
from autoscore_video.generation.symbolic.composer import compose  # noqa: E402
from autoscore_video.generation.symbolic.synth import render_midi  # noqa: E402
from autoscore_video.scoring.planning.rules import GENRES  # noqa: E402

RATE = 48000
SECONDS = 60.0
BANDS = ((20, 60), (60, 250), (250, 500), (500, 2000), (2000, 6000), (6000, 20000))
PITCHES = ((0, 60, "piano C4"), (38, 36, "synth bass C2"), (34, 40, "picked bass E2"), (81, 72, "saw lead C5"),
           (90, 60, "synth pad C4"), (4, 64, "electric piano E4"), (48, 60, "strings C4"))


def tinysoundfont_render(midi: Path, seconds: float, rate: int) -> np.ndarray:
    """The renderer autoscore used before symusic, as it was called (one-second blocks, -6 dB gain)."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=rate, gain=-6.0)
    synth.sfload(str(pretty_midi_bank()))
    tinysoundfont.Sequencer(synth).midi_load(str(midi))
    total, done = int(round(seconds * rate)), 0
    out = np.empty((total, 2), np.float32)
    while done < total:
        n = min(rate, total - done)
        out[done:done + n] = np.frombuffer(synth.generate(n), dtype=np.float32).reshape(n, 2)
        done += n
    return out


def piece(folder: Path) -> Path:
    sections = [BriefSection(0, 30, 100, "A", "minor", 0.8, "driving", list(GENRES["rock"])),
                BriefSection(30, 60, 124, "A", "minor", 0.9, "driving", list(GENRES["electronic"]))]
    brief = MusicBrief(sections=sections, tempo_map=[TempoPoint(0, 100, True), TempoPoint(30.0, 124, True)],
                       key="A", mode="minor", energy=0.85, genre="rock", prompt="", seed=3, target_duration=SECONDS)
    midi, _, _ = compose(brief)
    path = folder / "piece.mid"
    midi.write(str(path))
    return path


def single_note(folder: Path, program: int, key: int) -> Path:
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120)
    instrument = pretty_midi.Instrument(program=program)
    instrument.notes.append(pretty_midi.Note(velocity=100, pitch=key, start=0.0, end=1.0))
    midi.instruments.append(instrument)
    path = folder / f"note-{program}-{key}.mid"
    midi.write(str(path))
    return path


def semitones_off(audio: np.ndarray, key: int) -> float:
    import librosa

    f0, voiced, _ = librosa.pyin(audio.mean(axis=1)[int(0.1 * RATE):int(0.9 * RATE)], fmin=30, fmax=2000, sr=RATE,
                                 frame_length=4096)
    return round(float(12 * np.log2(np.median(f0[voiced]) / librosa.midi_to_hz(key))), 2)


def band_shares(audio: np.ndarray) -> dict[str, float]:
    power = np.abs(np.fft.rfft(audio.mean(axis=1))) ** 2
    freqs = np.fft.rfftfreq(len(audio), 1 / RATE)
    total = power[(freqs >= 20) & (freqs < 20000)].sum()
    return {f"{lo}-{hi}": round(float(power[(freqs >= lo) & (freqs < hi)].sum() / total), 3) for lo, hi in BANDS}


def level_db(audio: np.ndarray) -> float:
    return round(float(10 * np.log10(np.mean(audio ** 2) + 1e-20)), 1)


def autoscore_render(midi: Path, seconds: float, rate: int) -> np.ndarray:
    """autoscore's renderer on the same bank as the baseline, with no console."""
    return render_midi(midi, seconds, rate, pretty_midi_bank())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--png", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    try:
        import tinysoundfont  # noqa: F401

        renderers = {"tinysoundfont": tinysoundfont_render, "autoscore": autoscore_render}
    except ImportError:
        renderers = {"autoscore": autoscore_render}
        print("tinysoundfont is not installed: no baseline (pip install --no-deps tinysoundfont)")
    results: dict = {"seconds": SECONDS, "rate": RATE, "renderers": {}}
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        midi = piece(folder)
        import pretty_midi

        tracks = pretty_midi.PrettyMIDI(str(midi)).instruments
        audio = {}
        for name, render in renderers.items():
            times = []
            for _ in range(args.rounds):  # the renderers take turns only in the sense that each runs whole
                started = time.perf_counter()
                audio[name] = render(midi, SECONDS, RATE)
                times.append(time.perf_counter() - started)
            levels = {}
            for index, track in enumerate(tracks):
                alone = pretty_midi.PrettyMIDI(str(midi))
                alone.instruments = [alone.instruments[index]]
                path = folder / f"track-{index}.mid"
                alone.write(str(path))
                levels[track.name] = level_db(render(path, SECONDS, RATE))
            x = audio[name]
            results["renderers"][name] = {
                "median_s": round(statistics.median(times), 3), "best_s": round(min(times), 3),
                "real_time_multiple": round(SECONDS / statistics.median(times), 1),
                "pitch_error_semitones": {label: semitones_off(render(single_note(folder, p, k), 1.0, RATE), k)
                                          for p, k, label in PITCHES},
                "level_db_per_track": levels, "band_share": band_shares(x),
                "lr_correlation": round(float(np.corrcoef(x[:, 0], x[:, 1])[0, 1]), 2),
            }
        if "tinysoundfont" in results["renderers"]:
            base, ours = results["renderers"]["tinysoundfont"], results["renderers"]["autoscore"]
            results["speed_ratio"] = round(base["median_s"] / ours["median_s"], 2)
            results["level_difference_db"] = {k: round(ours["level_db_per_track"][k] - v, 1)
                                              for k, v in base["level_db_per_track"].items()}
        if args.png:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(len(audio), 1, figsize=(12, 3 * len(audio)), sharex=True, squeeze=False)
            for ax, (name, x) in zip(axes[:, 0], audio.items()):
                ax.specgram(x.mean(axis=1)[: int(20 * RATE)], NFFT=4096, Fs=RATE, noverlap=3072, cmap="magma",
                            vmin=-130)
                ax.set_ylim(0, 4000)
                ax.set_title(f"{name}: the first 20 s of the bench piece")
                ax.set_ylabel("Hz")
            axes[-1, 0].set_xlabel("s")
            fig.tight_layout()
            fig.savefig(args.png, dpi=40)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
