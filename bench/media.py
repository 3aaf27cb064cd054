"""What the benchmarks share: the bundled ffmpeg, the cache of generated clips, the 60 s 1080p30 clip, and the
memory of a process tree."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import imageio_ffmpeg

from samples.make_samples import SOURCES

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "autoscore" / "bench"
SHOTS = [3.0, 2.0, 4.5, 1.5, 3.5, 2.5, 5.0, 2.0, 3.0, 4.0, 1.0, 3.0, 2.5, 3.5, 4.0, 2.0, 3.0, 2.5, 4.5, 3.0]


def make_clip(path: Path) -> Path:
    """60 s, 1920x1080, 30 fps, H.264 at ~8 Mb/s (grain keeps the encoder busy, as camera footage does)."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    args, chains = [], []
    for i, d in enumerate(SHOTS):
        args += ["-f", "lavfi", "-t", f"{d}", "-i", SOURCES[i % len(SOURCES)].format(w=1920, h=1080, fps=30)]
        chains.append(f"[{i}:v]format=yuv420p,noise=alls=14:allf=t,setsar=1[v{i}]")
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(len(SHOTS))) + \
        f"concat=n={len(SHOTS)}:v=1:a=0[v]"
    args += ["-f", "lavfi", "-t", "60", "-i", "anoisesrc=color=pink:amplitude=0.05:sample_rate=48000"]
    partial = path.with_suffix(".partial.mp4")
    subprocess.run([FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args,
                    "-filter_complex", graph, "-map", "[v]", "-map", f"{len(SHOTS)}:a",
                    "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M",
                    "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-t", "60",
                    "-movflags", "+faststart", str(partial)], check=True)
    partial.rename(path)
    return path


def process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:  # the process ended while being read
                pass
    return found


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
