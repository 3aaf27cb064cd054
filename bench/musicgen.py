"""MusicGen generation speed on this machine, with full-size architectures and random weights.

Random weights cost what real ones cost, so no download is needed. Times the engine's own window
generation (transformers' generate, text-conditioned, sampling with top-k 250) and reports seconds per
audio second, tokens per second and peak memory, for each size, batch and guidance setting.

    python bench/musicgen.py                       # CPU-friendly defaults: small, 2 s of audio
    python bench/musicgen.py --sizes small,medium --batches 1,8 --seconds 10 --device cuda
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--seconds", type=float, default=2.0, help="audio seconds per clip")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--guidance", default="both", choices=["both", "on", "off"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = parser.parse_args()

    import torch

    from generation.musicgen import random_model
    from generation.musicgen.engine import MusicGenEngine, MusicGenOptions
    from generation.musicgen.loader import LoadedModel, pick_device, pick_dtype

    device = pick_device(args.device)
    dtype = pick_dtype(device)
    cuda = device.startswith("cuda")
    torch.set_num_threads(torch.get_num_threads())
    engine = MusicGenEngine()
    guidance = {"both": [3.0, 1.0], "on": [3.0], "off": [1.0]}[args.guidance]
    rows = []
    header = (f"device {device} ({torch.cuda.get_device_name() if cuda else platform.processor() or 'cpu'}), "
              f"{dtype}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(header, flush=True)
    for size in args.sizes.split(","):
        built = time.perf_counter()
        model = random_model.build(size).to(device=device, dtype=dtype)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        loaded = LoadedModel(model=model, processor=random_model.processor(), model_id=f"random-{size}", device=device,
                             dtype=str(dtype), sample_rate=32000, frame_rate=50, num_codebooks=4, melody=False)
        print(f"{size}: {params:.0f} M parameters, built in {time.perf_counter() - built:.1f} s", flush=True)
        frames = int(args.seconds * loaded.frame_rate)
        for batch in map(int, args.batches.split(",")):
            for scale in guidance:
                options = MusicGenOptions(guidance=scale)
                texts = ["joyful pop instrumental piano drums"] * batch
                engine._window(loaded, texts, None, min(frames, 25), options, 0, lambda: None)  # warm-up
                if cuda:
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                times = []
                for repeat in range(args.repeats):
                    started = time.perf_counter()
                    engine._window(loaded, texts, None, frames, options, repeat, lambda: None)
                    if cuda:
                        torch.cuda.synchronize()
                    times.append(time.perf_counter() - started)
                wall = min(times)
                row = {
                    "size": size, "batch": batch, "guidance": scale, "audio_s": args.seconds, "device": device,
                    "dtype": str(dtype).replace("torch.", ""), "wall_s": round(wall, 3),
                    "s_per_audio_s": round(wall / args.seconds, 4),
                    "s_per_clip_per_audio_s": round(wall / args.seconds / batch, 4),
                    "steps_per_s": round((frames + 4) / wall, 1),
                    "tokens_per_s": round((frames + 4) * batch * 4 / wall, 1),
                    "peak_mem_gb": round(torch.cuda.max_memory_allocated() / 1024 ** 3, 2) if cuda
                    else round(peak_rss_gb(), 2),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
        del model, loaded
        if cuda:
            torch.cuda.empty_cache()

    print("\n" + header)
    print(f"{'size':<7}{'batch':>6}{'cfg':>5}{'wall s':>9}{'s/audio s':>11}{'per clip':>10}{'steps/s':>9}"
          f"{'tokens/s':>10}{'peak GB':>9}")
    for r in rows:
        print(f"{r['size']:<7}{r['batch']:>6}{r['guidance']:>5.0f}{r['wall_s']:>9.2f}{r['s_per_audio_s']:>11.3f}"
              f"{r['s_per_clip_per_audio_s']:>10.3f}{r['steps_per_s']:>9.1f}{r['tokens_per_s']:>10.0f}"
              f"{r['peak_mem_gb']:>9.2f}")
    if args.out:
        args.out.write_text(json.dumps({"header": header, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
