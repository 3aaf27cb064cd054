"""The music against the words: mood turns, room for speech, the duck, quiet originals (issue 17's figures).

Scores generated clips with `autoscore score` (this checkout, or another one's package with --before) and
measures what a person would check:
- happy-then-sad voice-overs in English and Chinese: each section's mood and mode;
- lead and counter-line notes, and kit notes, that start inside speech (the .music.mid against the detected
  speech);
- a voice-over with 0.3 s pauses between sentences: how far the music rises in each pause, and the duck depth;
- a room-tone clip (about -50 LUFS, no speech): the gain its original audio got, and the mix's loudness.

    python bench/words.py [--before DIR] [--plot bench/results/words-levels.png] [--json bench/results/words.json]

--before DIR: a folder holding an `autoscore_video` package (e.g. a worktree of an older commit linked under that
name), run as `python -m autoscore_video` with DIR on PYTHONPATH. --plot draws the voice-over's levels (music
stem, mix, speech), now and before.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from autoscore_video.mixing.duck import held_regions  # noqa: E402
from samples.make_samples import (  # noqa: E402
    happy_then_sad_spec,
    make_clip,
    room_tone_spec,
    voice_over_spec,
)
from tests.measure import audio_of, lufs, pause_rises_db, rms_db  # noqa: E402

RATE = 48000


def sibling(output: Path, suffix: str) -> Path:
    """An output's companion file: clip.now.mp4 → clip.now.plan.json."""
    return output.with_name(output.stem + suffix)


def score(clip: Path, out: Path, before: Path | None) -> dict:
    env = dict(os.environ)
    command = [sys.executable, "-m", "autoscore_video", "score", str(clip), "-o", str(out), "--json"]
    if before is not None:
        env["PYTHONPATH"] = str(before)
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(before or ROOT))
    if result.returncode != 0:
        raise SystemExit(f"scoring {clip} failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout)


def speech_regions(clip: Path) -> list[tuple[float, float]]:
    result = subprocess.run([sys.executable, "-m", "autoscore_video", "analyze", str(clip), "--json"],
                            capture_output=True, text=True, check=True, cwd=str(ROOT))
    return [(r["start"], r["end"]) for r in json.loads(result.stdout)["speech"]["regions"]]


def notes_in(midi_path: Path, plan_path: Path, regions, roles) -> int | None:
    from autoscore_video.scoring.job.musical_form import load_piece, notes_in_speech
    from autoscore_video.scoring.planning.score_plan import load_plan

    if not midi_path.exists():
        return None
    return notes_in_speech(load_piece(midi_path, load_plan(plan_path)), regions, roles)


def measure(work: Path, before: Path | None) -> dict:
    tag = "before" if before else "now"
    results: dict = {}
    for language in ("en", "zh"):
        clip = make_clip(work / f"happy-sad-{language}.mp4", happy_then_sad_spec(language))
        out = work / f"happy-sad-{language}.{tag}.mp4"
        score(clip, out, before)
        plan = json.loads(sibling(out, ".plan.json").read_text())
        regions = speech_regions(clip)
        results[f"happy-then-sad {language}"] = {
            "sections": [f"{s['start']:.1f}-{s['end']:.1f} s {s['mood']} {s['key']} {s['mode']}"
                         for s in plan["brief"]["sections"]],
            "melody notes in speech": notes_in(sibling(out, ".music.mid"),
                                               sibling(out, ".plan.json"), regions,
                                               ("lead", "counter")),
        }
    spec = voice_over_spec(0.3)
    clip = make_clip(work / "voice-over.mp4", spec)
    out = work / f"voice-over.{tag}.mp4"
    report = score(clip, out, before)
    stem, _ = soundfile.read(str(sibling(out, ".music.wav")), always_2d=True)
    lines = [(line.start, line.end) for line in spec.speech]
    regions = speech_regions(clip)
    rises = pause_rises_db(stem, RATE, lines, 0.4)
    results["voice-over, 0.3 s pauses"] = {
        "largest rise in a pause (dB)": round(max(rises), 2),
        "duck depth (dB, report)": report["mix"]["duck_depth_db"],
        "melody notes in speech": notes_in(sibling(out, ".music.mid"),
                                           sibling(out, ".plan.json"), regions,
                                           ("lead", "counter")),
        "kit notes in speech": notes_in(sibling(out, ".music.mid"),
                                        sibling(out, ".plan.json"), regions, ("drums",)),
        "mix LUFS": report["mix"]["integrated_lufs"],
    }
    room = make_clip(work / "room-tone.mp4", room_tone_spec())
    out_room = work / f"room-tone.{tag}.mp4"
    report = score(room, out_room, before)
    source = audio_of(room)
    delivered = audio_of(out_room)
    stem, _ = soundfile.read(str(sibling(out_room, ".music.wav")), always_2d=True)
    length = min(len(delivered), len(stem), len(source))
    # the delivered mix less the music stem is the original at its gain plus the AAC coding error of the music
    # (the stem is written before the encode): an upper bound, close where the original is loud (before: ~30 dB),
    # dominated by the coding error where it sits 30 LU under the music
    residual = lufs(delivered[:length] - stem[:length].astype(np.float32))
    results["room tone"] = {"source LUFS": round(lufs(source), 1), "mix LUFS": report["mix"]["integrated_lufs"],
                            "original gain (dB, report)": report["mix"].get("original_gain_db"),
                            "original gain (dB, delivered minus stem: an upper bound)":
                                round(residual - lufs(source[:length]), 1),
                            "music gain (dB)": report["mix"]["music_gain_db"]}
    return results


def levels(path: Path, window_s: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    audio = audio_of(path) if path.suffix == ".mp4" else soundfile.read(str(path), always_2d=True)[0]
    mono = audio.mean(axis=1)
    hop = int(0.05 * RATE)
    size = int(window_s * RATE)
    starts = np.arange(0, len(mono) - size, hop)
    db = np.array([rms_db(mono[s:s + size]) for s in starts])
    return (starts + size / 2) / RATE, db


def plot(work: Path, out: Path, has_before: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clip = work / "voice-over.mp4"
    regions = speech_regions(clip)
    tags = ["before", "now"] if has_before else ["now"]
    fig, axes = plt.subplots(len(tags), 1, figsize=(12, 3.2 * len(tags)), sharex=True, squeeze=False)
    for ax, tag in zip(axes[:, 0], tags):
        scored = work / f"voice-over.{tag}.mp4"
        for start, end in regions:
            ax.axvspan(start, end, color="#f3d9a4", alpha=0.6, lw=0)
        for start, end in held_regions(regions, 0.6):
            ax.axvspan(start, end, ymin=0, ymax=0.03, color="#b07a10", lw=0)
        t, db = levels(clip)
        ax.plot(t, db, color="#888888", lw=1, label="original (speech + room tone)")
        t, db = levels(sibling(scored, ".music.wav"))
        ax.plot(t, db, color="#1f5fa8", lw=1.5, label="music stem")
        t, db = levels(scored)
        ax.plot(t, db, color="#222222", lw=1, alpha=0.7, label="delivered mix")
        ax.set_ylim(-70, 0)
        ax.set_ylabel("RMS dBFS (0.4 s)")
        ax.set_title(f"voice-over with 0.3 s pauses: {tag} (shaded: detected speech)", fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
    axes[-1, 0].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="folder holding an older autoscore_video package")
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        figures = {"now": measure(work, None)}
        if args.before:
            figures["before"] = measure(work, args.before.resolve())
        for tag, results in figures.items():
            print(f"## {tag}")
            for name, values in results.items():
                print(f"{name}: " + "; ".join(f"{k} {v}" for k, v in values.items()))
        if args.plot:
            plot(work, args.plot, args.before is not None)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
