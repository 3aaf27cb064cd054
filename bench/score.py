"""`autoscore score` end to end against the decoder: time per stage, and memory and time against length.

    python bench/score.py [--rounds 3] [--minutes 1 10 30 120] [--ladder] [--skip-side-by-side]
                          [--json bench/results/score.json] [--plot bench/results/score-length.png]

Makes (once, cached under ~/.cache/autoscore/bench):
- a 60 s 1080p30 H.264 clip at ~8 Mb/s with hard cuts and a spoken voice-over over room tone (espeak-ng;
  a tone where it is missing), from bench/analysis.py's picture;
- low-resolution clips (160x90, 10 fps) of each --minutes length, with a voice-over line every 30 s.

Then, in this one run:
- the 60 s clip and the 20 s sample (samples/calm.mp4): `ffmpeg -i clip -f null -` (the decode floor) and
  `autoscore score clip` take turns for --rounds rounds; each round gives one paired ratio, the headline is
  their median; the report's stage timings (analysis, planning, generation, mixing, outputs) are medians;
- each length: one `autoscore score` with the peak memory of its process tree (PSS, sampled every 20 ms),
  its wall time, its stage timings and the ratio to that clip's own decode floor;
- with --ladder, one `autoscore score` of each sample, the 60 s clip and PySceneDetect's footage: each stage's
  share, the encode count, the delivered loudness and true peak; then, over the ladder and the lengths, the
  share of clips encoded once and the worst true peak against the ceiling.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.media import CACHE, FFMPEG, make_clip, process_tree, pss_kb  # noqa: E402
from samples.make_samples import VOICE_OVER, ClipSpec, Line, _make_audio  # noqa: E402

STAGES = ("analysis", "planning", "generation", "mixing", "outputs")
TRUE_PEAK_CEILING_DB = -1.0  # the default preset's (MixSettings.true_peak_db)


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def voice_over(seconds: float, every_s: float) -> ClipSpec:
    """Audio only (the picture comes from elsewhere): a line of voice-over every `every_s` over room tone."""
    lines = [Line(t, t + 3.5, VOICE_OVER[i % len(VOICE_OVER)])
             for i, t in enumerate(range(2, int(seconds) - 4, int(every_s)))]
    return ClipSpec(shots=[seconds], speech=lines, ambience_amplitude=0.018)


def with_voice_over(picture: Path, out: Path, seconds: float, every_s: float) -> Path:
    if out.is_file():
        return out
    with tempfile.TemporaryDirectory() as work:
        audio = Path(work) / "audio.wav"
        _make_audio(audio, voice_over(seconds, every_s), Path(work))
        partial = out.with_suffix(".partial.mp4")
        ffmpeg("-i", str(picture), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
               "-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart", str(partial))
        partial.rename(out)
    return out


def low_res_clip(minutes: int) -> Path:
    out = CACHE / f"bench-160x90-{minutes}min.mp4"
    if out.is_file():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    seconds = 60 * minutes
    picture = CACHE / f"bench-160x90-{minutes}min-picture.mp4"
    # cuts every 2.5 s: testsrc2's moving pattern with its hue turned at each cut
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=10:duration={seconds}",
           "-vf", "hue=H='2*PI*floor(t/2.5)/7'", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
           "-pix_fmt", "yuv420p", str(picture))
    with_voice_over(picture, out, seconds, 30.0)
    picture.unlink()
    return out


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return wall, done.stdout


def measured(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak PSS MB of the process tree, stdout) of one command."""
    peak_kb = 0
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        with subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL) as process:
            while process.poll() is None:
                peak_kb = max(peak_kb, sum(pss_kb(pid) for pid in process_tree(process.pid)))
                time.sleep(0.02)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed")
        out.seek(0)
        return wall, peak_kb / 1024, out.read()


def score_command(clip: Path, out_dir: Path) -> list[str]:
    autoscore = str(Path(sys.executable).with_name("autoscore"))
    return [autoscore, "score", str(clip), "-o", str(out_dir / f"{clip.stem}.scored.mp4"), "--json"]


def floor_command(clip: Path) -> list[str]:
    return [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(clip), "-f", "null", "-"]


def side_by_side(clip: Path, rounds: int, work: Path) -> dict:
    """The decode floor and `autoscore score` taking turns; medians of the paired ratios and of the stages."""
    timed(floor_command(clip))  # the page cache warm for both
    per_round = []
    for _ in range(rounds):
        floor, _ = timed(floor_command(clip))
        wall, stdout = timed(score_command(clip, work))
        report = json.loads(stdout)
        per_round.append({"floor_s": round(floor, 3), "score_s": round(wall, 3), "ratio": round(wall / floor, 3),
                          "stages": report["timings"], "encodes": report["mix"].get("encodes"),
                          "integrated_lufs": report["mix"]["integrated_lufs"],
                          "true_peak_db": report["mix"]["true_peak_db"]})
    stages = {name: round(median(r["stages"].get(name, 0.0) for r in per_round), 3) for name in (*STAGES, "total")}
    walls = [r["score_s"] for r in per_round]
    result = {
        "clip": str(clip), "rounds": per_round,
        "ratio_to_decode_floor": round(median(r["ratio"] for r in per_round), 3),
        "median_score_s": round(median(walls), 3),
        "median_floor_s": round(median(r["floor_s"] for r in per_round), 3),
        "wall_spread": round((max(walls) - min(walls)) / median(walls), 3),
        "stages_median_s": stages,
        "mixing_share": round(stages["mixing"] / stages["total"], 3) if stages["total"] else None,
    }
    print(f"{clip.name:34s} {result['median_score_s']:7.2f} s vs floor {result['median_floor_s']:6.2f} s: "
          f"{result['ratio_to_decode_floor']:.2f}x (spread {result['wall_spread']:.0%}); "
          + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()), flush=True)
    return result


SHARED_MEDIA = REPO.parent / "shared" / "media" / "pyscenedetect"


def ladder_clips(speech_clip: Path) -> list[Path]:
    """The samples, the 60 s 1080p clip and PySceneDetect's footage (where ../shared/media holds it)."""
    clips = [REPO / "samples" / "calm.mp4", REPO / "samples" / "energetic.mp4", speech_clip]
    if SHARED_MEDIA.is_dir():
        clips += sorted(p for p in SHARED_MEDIA.iterdir() if p.suffix in (".mp4", ".mkv", ".mov"))
    return clips


def ladder(clips: list[Path], work: Path) -> list[dict]:
    """One `autoscore score` of each clip: each stage's share of the run, how many times the mix was encoded,
    and the delivered loudness and true peak."""
    rows = []
    for clip in clips:
        wall, stdout = timed(score_command(clip, work))
        report = json.loads(stdout)
        total = report["timings"].get("total") or wall
        mix = report["mix"]
        row = {"clip": clip.name, "seconds": round(report["duration"], 2), "wall_s": round(wall, 2),
               "shares": {stage: round(report["timings"].get(stage, 0.0) / total, 3) for stage in STAGES},
               "encodes": mix.get("encodes"), "integrated_lufs": mix["integrated_lufs"],
               "true_peak_db": mix["true_peak_db"], "ceiling_db": TRUE_PEAK_CEILING_DB}
        rows.append(row)
        print(f"{clip.name:34s} {row['seconds']:7.1f} s: {row['encodes']} encode(s), {row['true_peak_db']:+.2f} dBTP, "
              + ", ".join(f"{k} {v:.0%}" for k, v in row["shares"].items()), flush=True)
        for path in work.glob(f"{clip.stem}*"):
            path.unlink()
    return rows


def ladder_summary(rows: list[dict]) -> dict:
    """The share of the ladder's clips encoded once, and whether every delivered true peak is at or under
    the ceiling."""
    once = [r for r in rows if r.get("encodes") == 1]
    return {"clips": len(rows), "encoded_once": len(once), "encoded_once_share": round(len(once) / len(rows), 3),
            "worst_true_peak_db": max(r["true_peak_db"] for r in rows),
            "all_under_ceiling": all(r["true_peak_db"] <= r.get("ceiling_db", TRUE_PEAK_CEILING_DB) for r in rows)}


def against_length(minutes: list[int], work: Path) -> list[dict]:
    rows = []
    for length in minutes:
        clip = low_res_clip(length)
        floor, _ = timed(floor_command(clip))
        wall, peak_mb, stdout = measured(score_command(clip, work))
        report = json.loads(stdout)
        row = {"minutes": length, "wall_s": round(wall, 2), "floor_s": round(floor, 2),
               "ratio_to_decode_floor": round(wall / floor, 2), "peak_pss_mb": round(peak_mb, 1),
               "stages": report["timings"], "encodes": report["mix"].get("encodes"),
               "integrated_lufs": report["mix"]["integrated_lufs"], "true_peak_db": report["mix"]["true_peak_db"]}
        rows.append(row)
        print(f"{length:4d} min: {wall:8.1f} s ({wall / (60 * length):.3f} s per s of video), "
              f"peak PSS {peak_mb:7.0f} MB; " + ", ".join(f"{k} {v:.1f}" for k, v in report["timings"].items()),
              flush=True)
        for path in work.glob(f"{clip.stem}*"):
            path.unlink()
    return rows


def plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [r["minutes"] for r in rows]
    fig, (memory, speed) = plt.subplots(1, 2, figsize=(11, 4))
    memory.plot(minutes, [r["peak_pss_mb"] for r in rows], "o-")
    memory.set_xlabel("clip length (minutes)")
    memory.set_ylabel("peak PSS of autoscore score (MB)")
    memory.axhline(1024, color="tab:red", linewidth=0.8, linestyle="--")
    memory.set_ylim(bottom=0)
    for stage in STAGES:
        speed.plot(minutes, [r["stages"].get(stage, 0.0) / (60 * r["minutes"]) for r in rows], "o-", label=stage)
    speed.set_xlabel("clip length (minutes)")
    speed.set_ylabel("seconds per second of video")
    speed.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--minutes", type=int, nargs="*", default=[1, 10, 30, 120])
    parser.add_argument("--ladder", action="store_true",
                        help="also score the samples, the 60 s clip and PySceneDetect's footage once each")
    parser.add_argument("--skip-side-by-side", action="store_true", help="leave out the paired rounds")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()

    picture = make_clip(CACHE / "bench-1080p30-60s.mp4")
    speech_clip = with_voice_over(picture, CACHE / "bench-1080p30-60s-speech.mp4", 60.0, 9.0)
    results: dict = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="autoscore-bench-") as folder:
        work = Path(folder)
        if not args.skip_side_by_side:
            results["1080p30_60s_speech"] = side_by_side(speech_clip, args.rounds, work)
            results["sample_20s"] = side_by_side(REPO / "samples" / "calm.mp4", args.rounds, work)
        if args.ladder:
            results["ladder"] = ladder(ladder_clips(speech_clip), work)
        if args.minutes:
            results["against_length"] = against_length(sorted(args.minutes), work)
        rungs = results.get("ladder", []) + [{**row, "ceiling_db": TRUE_PEAK_CEILING_DB}
                                              for row in results.get("against_length", [])]
        if rungs:
            results["ladder_summary"] = ladder_summary(rungs)
            print(results["ladder_summary"], flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.plot and results.get("against_length"):
        plot(results["against_length"], args.plot)


if __name__ == "__main__":
    main()
