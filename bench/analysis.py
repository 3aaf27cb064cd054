"""Analysis speed against the decoder: how close `autoscore analyze` runs to a bare decode.

    python bench/analysis.py [--clip FILE] [--long-minutes 10] [--json out.json]

Makes (once, cached under ~/.cache/autoscore/bench) a 60 s 1080p30 H.264 clip at about 8 Mb/s with hard
cuts and speech-like audio, unless --clip is given, then times in this one run:
- `ffmpeg -i clip -f null -`: the decode floor;
- `scenedetect -i clip detect-content`: what a user would otherwise run, for cuts alone;
- `autoscore analyze clip`: cuts, saturation, speech and subtitles (the CLI, imports included);
- the same analysis through the plain path (PySceneDetect's OpenCV backend at full resolution,
  downscaled by its SceneManager), to check that the cut lists agree; the two paths' cut lists are also
  compared on PySceneDetect's own footage in ../shared/media/pyscenedetect where it is present.
Reports wall seconds (best and median of five rounds, the commands taking turns), frames per second,
ratios, peak memory of each command (its processes together), and that of `autoscore analyze` on a clip
of --long-minutes made by repeating the 60 s clip (video and audio are streamed, so it stays bounded).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.media import CACHE, FFMPEG, make_clip, process_tree, pss_kb  # noqa: E402

REPEATS = 5  # rounds: this VM's timings wander by ±15% from run to run
SHARED_MEDIA = REPO.parent / "shared" / "media" / "pyscenedetect"
REAL_CLIPS = ("testvideo.mp4", "goldeneye-vfr-drop3.mp4", "issue-134-rotate.mp4", "issue-195-aspect-ratio.mp4")


def repeat_clip(clip: Path, minutes: int, out: Path) -> Path:
    if out.is_file():
        return out
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{clip}'\n" for _ in range(minutes)))
    partial = out.with_suffix(".partial.mp4")
    subprocess.run([FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                    "-i", str(listing), "-c", "copy", str(partial)], check=True)
    partial.rename(out)
    listing.unlink()
    return out


def timed(command: list[str], cwd: Path | None = None) -> dict:
    """Wall seconds and stdout of one command."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return {"wall_s": round(wall, 3), "stdout": done.stdout}


def peak_memory_mb(command: list[str]) -> float:
    """Peak memory (MB) of one command with its children (autoscore decodes in ffmpeg children): the
    proportional set size (PSS: shared pages split between their users) summed over the processes alive
    together, read from /proc every 20 ms. Without /proc, the RSS of the largest single process."""
    if not Path("/proc/self/task").is_dir():
        wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True)
        return round(int(done.stdout.strip()) / 1024, 1)
    peak_kb = 0
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        while process.poll() is None:
            peak_kb = max(peak_kb, sum(pss_kb(pid) for pid in process_tree(process.pid)))
            time.sleep(0.02)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return round(peak_kb / 1024, 1)


def frames_and_rate(clip: Path) -> tuple[int, float]:
    import av

    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or stream.guessed_rate)
        return stream.frames or int(float(stream.duration * stream.time_base) * rate), rate


def cuts_agree(plain: list[float], fast: list[float], fps: float) -> bool:
    return len(plain) == len(fast) and all(abs(a - b) <= 1.0 / fps + 1e-6 for a, b in zip(plain, fast))


def real_footage_agreement() -> dict:
    """Cut lists of the plain and the fast path on real footage (in this process: these clips are short)."""
    from autoscore_video import analysis
    found = {}
    for name in REAL_CLIPS:
        clip = SHARED_MEDIA / name
        if not clip.is_file():
            continue
        plain = analysis.analyze(clip, analysis.AnalysisSettings(video_backend="opencv"), use_sidecar=False)
        fast = analysis.analyze(clip, use_sidecar=False)
        found[name] = {"plain": plain.cuts.times, "fast": fast.cuts.times,
                       "agree_within_a_frame": cuts_agree(plain.cuts.times, fast.cuts.times, fast.info.fps)}
        print(f"{name:28s} cuts agree within a frame: {found[name]['agree_within_a_frame']} "
              f"({len(fast.cuts.times)} vs {len(plain.cuts.times)})", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, help="clip to time (default: the generated 60 s 1080p clip)")
    parser.add_argument("--long-minutes", type=int, default=10, help="length of the memory check clip (0: skip)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    clip = args.clip or make_clip(CACHE / "bench-1080p30-60s.mp4")
    frames, fps = frames_and_rate(clip)
    autoscore = shutil.which("autoscore") or str(Path(sys.executable).with_name("autoscore"))
    scenedetect = shutil.which("scenedetect") or str(Path(sys.executable).with_name("scenedetect"))
    results: dict = {"clip": str(clip), "frames": frames, "fps": fps, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="autoscore-bench-") as work:
        runs = {
            "decode_floor": [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(clip), "-f", "null",
                             "-"],
            "scenedetect": [scenedetect, "-q", "-i", str(clip), "-o", work, "detect-content"],
            "autoscore_analyze": [autoscore, "analyze", str(clip), "--json", "--no-subtitles"],
            "plain_path": [sys.executable, "-c",
                           "import json, sys, analysis; from common import jsonio; "
                           "f = analysis.analyze(sys.argv[1], analysis.AnalysisSettings(video_backend='opencv'), "
                           "use_sidecar=False); print(json.dumps(jsonio.to_jsonable(f)))", str(clip)],
        }
        for command in runs.values():
            timed(command, cwd=REPO)  # warm the page cache and any compiled caches
        # Round robin, not one command's repeats in a row: this VM's speed drifts over minutes, and a drift
        # must fall on every command alike for the ratios to hold.
        rounds = [{name: timed(command, cwd=REPO) for name, command in runs.items()} for _ in range(REPEATS)]
        for name, command in runs.items():
            walls = sorted(r[name]["wall_s"] for r in rounds)
            run = min((r[name] for r in rounds), key=lambda r: r["wall_s"])
            run["median_wall_s"] = walls[len(walls) // 2]
            run["peak_pss_mb"] = peak_memory_mb(command)
            run["fps"] = round(frames / run["wall_s"], 1)
            results[name] = {k: v for k, v in run.items() if k != "stdout"}
            if name in ("autoscore_analyze", "plain_path"):
                results[name]["cuts"] = json.loads(run["stdout"])["cuts"]["times"]
            print(f"{name:18s} {run['wall_s']:7.2f} s (median {run['median_wall_s']:.2f})  {run['fps']:7.1f} fps  "
                  f"peak PSS {run['peak_pss_mb']:7.1f} MB", flush=True)
        # A round's commands run back to back on the same machine state, so each round gives one paired
        # ratio; the headline is their median (the ratio of best times pairs runs from different moments).
        results["per_round_ratios"] = [
            {"to_decode_floor": round(r["autoscore_analyze"]["wall_s"] / r["decode_floor"]["wall_s"], 3),
             "scenedetect_over_analyze": round(r["scenedetect"]["wall_s"] / r["autoscore_analyze"]["wall_s"], 3)}
            for r in rounds]
        results["ratio_to_decode_floor"] = median([r["to_decode_floor"] for r in results["per_round_ratios"]])
        results["speedup_over_scenedetect"] = median(
            [r["scenedetect_over_analyze"] for r in results["per_round_ratios"]])
        results["ratios_of_best_times"] = {
            "to_decode_floor": round(results["autoscore_analyze"]["wall_s"] / results["decode_floor"]["wall_s"], 3),
            "scenedetect_over_analyze": round(results["scenedetect"]["wall_s"] /
                                              results["autoscore_analyze"]["wall_s"], 3)}
        plain, fast = results["plain_path"]["cuts"], results["autoscore_analyze"]["cuts"]
        results["cuts_agree_within_a_frame"] = cuts_agree(plain, fast, fps)
        best = results["ratios_of_best_times"]
        print(f"autoscore analyze / decode floor: {results['ratio_to_decode_floor']:.2f}x, median of rounds "
              f"(best times: {best['to_decode_floor']:.2f}x; target <= 1.2)")
        print(f"scenedetect / autoscore analyze:  {results['speedup_over_scenedetect']:.2f}x, median of rounds "
              f"(best times: {best['scenedetect_over_analyze']:.2f}x; target >= 1.5)")
        print(f"cut lists agree within a frame:   {results['cuts_agree_within_a_frame']} "
              f"({len(fast)} cuts vs {len(plain)} on the plain path)")
        if args.long_minutes:
            long_clip = repeat_clip(clip, args.long_minutes, CACHE / f"bench-1080p30-{args.long_minutes}min.mp4")
            short = results["autoscore_analyze"]["peak_pss_mb"]
            long = peak_memory_mb([autoscore, "analyze", str(long_clip), "--json", "--no-subtitles"])
            results["long_clip"] = {"minutes": args.long_minutes, "peak_pss_mb": long,
                                    "ratio_to_60s": round(long / short, 3)}
            print(f"peak PSS {args.long_minutes} min vs 60 s:         {long:.0f} MB vs {short:.0f} MB "
                  f"({long / short:.2f}x)")
    results["real_footage"] = real_footage_agreement()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
