"""ACE-Step generation speed and memory through the acestep engine's own call, with random weights.

Random weights cost what real ones cost, so nothing is downloaded. `--size full` has the released 2B turbo's
sizes (generation/acestep/random_model.py), for a GPU; `--size tiny` (the default on a CPU) is the test
pipeline, whose figures only show the fixed costs. For each length and batch: wall seconds (the best of
`--repeats`), seconds per minute of music, and peak memory (CUDA: torch's peak allocation; CPU: the process's
peak RSS). Turbo at 8 steps, text2music; `--cover` times a cover of a source of the same length.

    python bench/acestep.py                                   # CPU: tiny, 30 s and 60 s, batch 1
    python bench/acestep.py --size full --seconds 30,60,180 --batches 1,4 --dtype bf16 --device cuda
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS = "H100, full size, bf16: 60 s of music in at most 1.0 s at batch 1; peak at most 8 GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["tiny", "full"], default=None, help="default: full on CUDA, else tiny")
    parser.add_argument("--seconds", default="30,60")
    parser.add_argument("--batches", default="1")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", choices=["auto", "bf16", "fp16", "fp32"], default="auto")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cover", action="store_true", help="a cover of a source as long as the music")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    import numpy as np
    import torch

    from autoscore_video.generation import devices
    from autoscore_video.generation.acestep import loader, random_model
    from autoscore_video.generation.acestep.engine import generate
    from autoscore_video.generation.acestep.options import AceStepOptions
    from autoscore_video.generation.acestep.request import Request

    device = devices.pick_device(torch, args.device)
    size = args.size or ("full" if device.startswith("cuda") else "tiny")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / size
        random_model.build(0, size).save_pretrained(folder)
        loaded = loader.load(str(folder), device, "off")
        if args.dtype != "auto":
            wanted = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
            loaded.pipe.to(dtype=wanted)
            loaded.dtype = args.dtype
        for seconds in (float(s) for s in args.seconds.split(",")):
            samples = int(seconds * loaded.sample_rate)
            source = (np.random.default_rng(0).normal(0, 0.1, (samples, 2)).astype(np.float32)
                      if args.cover else None)
            request = Request(prompt="driving electronic instrumental, 120 BPM", lyrics="[verse]\n[instrumental]",
                              bpm=120, keyscale="A minor", timesignature="4", duration=seconds)
            for batch in (int(b) for b in args.batches.split(",")):
                options = AceStepOptions(model=str(folder), device=device, candidates=batch, max_batch=batch,
                                         steps=args.steps, mode="cover" if args.cover else "text2music")
                best = float("inf")
                for _ in range(args.repeats):
                    if device.startswith("cuda"):
                        torch.cuda.synchronize()
                        torch.cuda.reset_peak_memory_stats()
                    started = time.perf_counter()
                    audio = generate(loaded, request, source, samples, options, 0, batch)
                    if device.startswith("cuda"):
                        torch.cuda.synchronize()
                    best = min(best, time.perf_counter() - started)
                assert audio.shape == (batch, samples, 2)
                peak = (torch.cuda.max_memory_allocated() / 1024 ** 3 if device.startswith("cuda")
                        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2)
                row = {"size": size, "device": device, "dtype": loaded.dtype, "seconds": seconds, "batch": batch,
                       "steps": args.steps, "cover": args.cover, "wall_s": round(best, 3),
                       "s_per_minute_of_music": round(best / seconds * 60, 3), "peak_gb": round(peak, 2)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    summary = {"machine": platform.machine(), "gpu": torch.cuda.get_device_name(0) if device.startswith("cuda")
               else None, "targets": TARGETS, "rows": rows}
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
