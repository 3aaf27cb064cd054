"""How the music sounds as produced sound: the symbolic engine's stems against the issue's targets, and reference
recordings measured the same way.

    python bench/sound.py [--soundfont PATH] [--json bench/results/sound.json]
    python bench/sound.py --reference DIR            # every .ogg/.wav/.flac under DIR (e.g. Debian's game music)
    python bench/sound.py --spectrogram BEFORE.wav AFTER.wav --png bench/results/sound-spectrogram.png

Scores a fixed set of clips (the two samples, two real clips from ../shared/media/pyscenedetect where present,
and a two-minute calm clip made here) with the symbolic engine, on one core, and measures each music stem
(`clip.music.wav`): L/R correlation, energy share per band, loudness range (ffmpeg's ebur128), and the
engine's render speed as a multiple of real time. Targets: L/R correlation <= 0.6 (band genres 0.8),
250-500 Hz share <= 0.35, 20-60 Hz share >= 0.02 for electronic and pop, rendering >= 20x real time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoscore_video.common.media import read_audio  # noqa: E402
from autoscore_video.common.sound_profile import BANDS, band_name, profile  # noqa: E402
from autoscore_video.generation import render  # noqa: E402
from autoscore_video.generation.symbolic.options import SymbolicOptions  # noqa: E402
from autoscore_video.scoring.job.pipeline import ScoreOptions, score  # noqa: E402
from autoscore_video.scoring.planning.preferences import Preferences  # noqa: E402
from autoscore_video.scoring.planning.score_plan import load_plan  # noqa: E402
from samples.make_samples import long_calm_spec, make_clip  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "media" / "pyscenedetect"
RATE = 48000
# L/R correlation: 0.6 for scores; a band's mono low end carries its energy (produced electronic 0.63, rock 0.86:
# bench/tone.py's reference sets), so 0.8 for band genres.
TARGETS = {"lr_correlation_max": 0.6, "lr_correlation_band_max": 0.8, "low_mid_share_max": 0.35, "sub_share_min": 0.02,
           "sub_genres": ("electronic", "pop"), "realtime_min": 20.0}


def clips(folder: Path) -> list[tuple[str, Path]]:
    samples = ROOT / "samples"
    found = [("energetic (sample)", samples / "energetic.mp4"), ("calm (sample)", samples / "calm.mp4")]
    found += [(name, REAL / name) for name in ("testvideo.mp4", "goldeneye-vfr-drop3.mp4") if (REAL / name).is_file()]
    found.append(("calm, 2 min (made here)", make_clip(folder / "long-calm.mp4", long_calm_spec())))
    return found


def render_speed(plan_path: Path, work: Path, soundfont: str | None, runs: int = 2) -> float:
    """The engine's render of the plan, best of `runs`, as a multiple of the music's length."""
    plan = load_plan(plan_path)
    best = float("inf")
    for run in range(runs):
        start = time.perf_counter()
        render(plan.brief, work / f"speed-{run}", options=SymbolicOptions(soundfont=soundfont))
        best = min(best, time.perf_counter() - start)
    return plan.brief.target_duration / best


def measure_clip(name: str, video: Path, work: Path, soundfont: str | None) -> dict:
    out = work / (video.stem + ".scored.mp4")
    result = score(video, ScoreOptions(output=out, prefs=Preferences.of(engine="symbolic", soundfont=soundfont)))
    stem, plan = Path(result.outputs["music_wav"]), Path(result.outputs["plan"])
    audio = read_audio(stem, sample_rate=RATE, channels=2, what="the music stem")
    measured = profile(stem, audio, RATE)
    row = {"clip": name, "genre": load_plan(plan).brief.genre, "seconds": round(len(audio) / RATE, 1),
           "bank": result.engine.get("model_id"), "lr_correlation": measured.lr_correlation,
           "bands": measured.band_shares, "lra_lu": measured.lra_lu,
           "realtime": round(render_speed(plan, work, soundfont), 1)}
    row["meets"] = meets(row)
    return row


def meets(row: dict) -> dict[str, bool]:
    score = row["genre"] in ("ambient", "cinematic", "orchestral")
    ceiling = TARGETS["lr_correlation_max"] if score else TARGETS["lr_correlation_band_max"]
    result = {"lr_correlation": row["lr_correlation"] <= ceiling,
              "low_mid": row["bands"]["250-500"] <= TARGETS["low_mid_share_max"],
              "realtime": row["realtime"] >= TARGETS["realtime_min"]}
    if row["genre"] in TARGETS["sub_genres"]:
        result["sub"] = row["bands"]["20-60"] >= TARGETS["sub_share_min"]
    return result


def reference(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".ogg", ".wav", ".flac")):
        audio = read_audio(path, sample_rate=RATE, channels=2, what=str(path))
        measured = profile(path, audio, RATE)
        rows.append({"clip": path.name, "seconds": round(len(audio) / RATE, 1),
                     "lr_correlation": measured.lr_correlation, "bands": measured.band_shares,
                     "lra_lu": measured.lra_lu})
    if rows:
        rows.append({"clip": f"median of {len(rows)}", "seconds": statistics.median(r["seconds"] for r in rows),
                     "lr_correlation": round(statistics.median(r["lr_correlation"] for r in rows), 3),
                     "bands": {band_name(b): round(statistics.median(r["bands"][band_name(b)] for r in rows), 4)
                               for b in BANDS},
                     "lra_lu": statistics.median(r["lra_lu"] for r in rows)})
    return rows


def table(rows: list[dict]) -> str:
    head = ("| clip | genre | s | L/R r | " + " | ".join(band_name(b) for b in BANDS) + " | LRA LU | × real time |"
            " targets |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        verdict = ", ".join(k for k, ok in r.get("meets", {}).items() if not ok)
        verdict = ("missed: " + verdict) if verdict else ("met" if "meets" in r else "")
        lines.append(f"| {r['clip']} | {r.get('genre', '')} | {r['seconds']} | {r['lr_correlation']:.2f} | "
                     + " | ".join(f"{r['bands'][band_name(b)]:.3f}" for b in BANDS)
                     + f" | {r['lra_lu']:.1f} | {r.get('realtime', '')} | {verdict} |")
    return "\n".join(lines)


def spectrogram_png(before: Path, after: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import spectrogram

    fig, axes = plt.subplots(3, 2, figsize=(14, 9), gridspec_kw={"height_ratios": [3, 1, 1]})
    for column, (label, path) in enumerate((("before", before), ("after", after))):
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        mid = audio.mean(axis=1)
        f, t, power = spectrogram(mid, fs=rate, nperseg=4096, noverlap=3072)
        ax = axes[0, column]
        ax.pcolormesh(t, f, 10 * np.log10(power + 1e-12), shading="auto", vmin=-130, vmax=-40, cmap="magma")
        ax.set_yscale("symlog", linthresh=100)
        ax.set_ylim(20, 20000)
        ax.set_title(f"{label}: {path.name}")
        ax.set_ylabel("Hz")
        window = int(0.4 * rate)
        frames = len(audio) // window
        blocks = audio[:frames * window].reshape(frames, window, 2)
        left, right = blocks[..., 0] - blocks[..., 0].mean(1, keepdims=True), blocks[..., 1] - blocks[..., 1].mean(
            1, keepdims=True)
        r = (left * right).sum(1) / np.sqrt((left ** 2).sum(1) * (right ** 2).sum(1) + 1e-20)
        axes[1, column].plot(np.arange(frames) * 0.4, r)
        axes[1, column].set_ylim(-0.2, 1.05)
        axes[1, column].set_ylabel("L/R r (0.4 s)")
        level = 10 * np.log10((blocks ** 2).mean(axis=(1, 2)) + 1e-12)
        axes[2, column].plot(np.arange(frames) * 0.4, level)
        axes[2, column].set_ylabel("level dBFS")
        axes[2, column].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(png, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soundfont", help="the bank to play (default: found as the engine finds one)")
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--reference", type=Path, help="measure the recordings under this folder instead")
    parser.add_argument("--spectrogram", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--png", type=Path, default=Path("sound-spectrogram.png"))
    parser.add_argument("--all-cores", action="store_true", help="do not pin the run to one core")
    args = parser.parse_args()
    if args.spectrogram:
        spectrogram_png(*args.spectrogram, args.png)
        print(args.png)
        return
    if args.reference:
        rows = reference(args.reference)
    else:
        if not args.all_cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        with tempfile.TemporaryDirectory(prefix="autoscore-sound-") as work:
            rows = [measure_clip(name, video, Path(work), args.soundfont) for name, video in clips(Path(work))]
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"targets": TARGETS, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
