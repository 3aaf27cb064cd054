"""MusicGen generation speed on this machine, with full-size architectures and random weights.

Random weights cost what real ones cost, so no download is needed. Times the engine's own window
generation (text-conditioned, sampling with top-k 250) through both decoders in the same run: the plain
path (transformers' generate) and the fast loop (generation/musicgen/fast.py: static cache, guidance and
sampling on the device, a CUDA graph on GPUs). Reports seconds per audio second and per 30 s clip,
tokens per second, peak memory, nvidia-smi utilisation on CUDA, and the fast/plain speed-up.

    python bench/musicgen.py                       # CPU-friendly defaults: small, 2 s of audio
    python bench/musicgen.py --sizes small,medium --batches 1,8,32 --seconds 30 --device cuda
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


class GpuUtilisation:
    """nvidia-smi's utilisation, sampled every 100 ms from construction until stop() (mean %)."""

    def __init__(self):
        import shutil
        import subprocess

        self.process = None
        if shutil.which("nvidia-smi"):
            command = ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", "-lms", "100"]
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    def stop(self) -> float | None:
        if self.process is None:
            return None
        self.process.terminate()
        out, _ = self.process.communicate()
        values = [float(v) for v in out.split() if v.strip().replace(".", "", 1).isdigit()]
        return round(sum(values) / len(values), 1) if values else None


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--seconds", type=float, default=2.0, help="audio seconds per clip")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--guidance", default="both", choices=["both", "on", "off"])
    parser.add_argument("--repeats", type=int, default=1, help="timed runs of the fast decoder (the best is kept)")
    parser.add_argument("--plain-repeats", type=int, default=1)
    parser.add_argument("--plain-seconds", type=float, default=None,
                        help="audio seconds for the plain decoder (default: --seconds); its per-step cost only "
                             "grows with length, so a shorter run understates its time per clip")
    parser.add_argument("--decoders", default="plain,fast", help="plain, fast or both (same run)")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = parser.parse_args()

    import torch

    from autoscore_video.generation.musicgen import random_model
    from autoscore_video.generation.musicgen.engine import MusicGenEngine, MusicGenOptions
    from autoscore_video.generation.musicgen.loader import (
        LoadedModel,
        compact_recurrent_weights,
        pick_device,
        pick_dtype,
    )

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
        model = random_model.build(size, device=device).to(dtype=dtype)
        compact_recurrent_weights(model)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        loaded = LoadedModel(model=model, processor=random_model.processor(), model_id=f"random-{size}", device=device,
                             dtype=str(dtype), sample_rate=32000, frame_rate=50, num_codebooks=4, melody=False)
        print(f"{size}: {params:.0f} M parameters, built in {time.perf_counter() - built:.1f} s", flush=True)
        for batch in map(int, args.batches.split(",")):
            for scale in guidance:
                plain_rate = None
                for decoder in args.decoders.split(","):
                    seconds = args.plain_seconds if decoder == "plain" and args.plain_seconds else args.seconds
                    frames = int(seconds * loaded.frame_rate)
                    options = MusicGenOptions(guidance=scale, decoder=decoder)
                    texts = ["joyful pop instrumental piano drums"] * batch
                    engine._window(loaded, texts, None, min(frames, 25), options, 0, lambda: None)  # warm-up
                    if cuda:
                        torch.cuda.synchronize()
                        torch.cuda.reset_peak_memory_stats()
                    times, utilisation = [], GpuUtilisation() if cuda else None
                    for repeat in range(args.plain_repeats if decoder == "plain" else args.repeats):
                        started = time.perf_counter()
                        engine._window(loaded, texts, None, frames, options, repeat, lambda: None)
                        if cuda:
                            torch.cuda.synchronize()
                        times.append(time.perf_counter() - started)
                    wall = min(times)  # with --repeats > 1, the steady state; the first run is reported too
                    plain_rate = wall / seconds if decoder == "plain" else plain_rate
                    row = {
                        "size": size, "batch": batch, "guidance": scale, "decoder": decoder,
                        "audio_s": seconds, "device": device,
                        "dtype": str(dtype).replace("torch.", ""),
                        "wall_s": round(wall, 3), "first_wall_s": round(times[0], 3),
                        "s_per_audio_s": round(wall / seconds, 4),
                        "s_per_30s_clip": round(wall / seconds * 30 / batch, 3),
                        "steps_per_s": round((frames + 4) / wall, 1),
                        "tokens_per_s": round((frames + 4) * batch * 4 / wall, 1),
                        "peak_mem_gb": round(torch.cuda.max_memory_allocated() / 1024 ** 3, 2) if cuda
                        else round(peak_rss_gb(), 2),
                        "gpu_util_pct": utilisation.stop() if utilisation else None,
                        "speedup_vs_plain": round(plain_rate / (wall / seconds), 2) if plain_rate else None,
                    }
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        del model, loaded
        if cuda:
            torch.cuda.empty_cache()

    print("\n" + header)
    print(f"{'size':<7}{'batch':>6}{'cfg':>5}{'decoder':>8}{'audio s':>8}{'wall s':>9}{'s/audio s':>11}"
          f"{'s/30s clip':>11}{'steps/s':>9}{'tokens/s':>10}{'peak GB':>9}{'GPU %':>7}{'vs plain':>9}")
    for r in rows:
        print(f"{r['size']:<7}{r['batch']:>6}{r['guidance']:>5.0f}{r['decoder']:>8}{r['audio_s']:>8.0f}{r['wall_s']:>9.2f}"
              f"{r['s_per_audio_s']:>11.3f}{r['s_per_30s_clip']:>11.3f}{r['steps_per_s']:>9.1f}"
              f"{r['tokens_per_s']:>10.0f}{r['peak_mem_gb']:>9.2f}{r['gpu_util_pct'] or 0:>7.0f}"
              f"{r['speedup_vs_plain'] or 1:>9.2f}")
    if args.out:
        args.out.write_text(json.dumps({"header": header, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
