"""Where the fast MusicGen loop spends its time on a GPU: one 30 s window through FastDecoder alone (no T5,
no EnCodec), per variant (graph or eager, fused QKV, cache buckets, torch.compile), and how closely bf16
greedy decoding follows the plain path. A tuning aid for generation/musicgen/fast.py; bench/musicgen.py is
the benchmark.

    python bench/musicgen_fast_probe.py --sizes small,medium --batches 1,32
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VARIANTS = {  # name: FastDecoder class attributes, use_graph
    "eager": ({}, False),
    "graph": ({}, True),
    "graph-unfused": ({"fuse_qkv": False}, True),
    "graph-one-bucket": ({"bucket": 1 << 20}, True),
    "graph-compiled": ({"bucket": 1 << 20, "compile_step": True}, True),
}


@contextmanager
def attributes(cls, values: dict):
    saved = {name: getattr(cls, name) for name in values}
    for name, value in values.items():
        setattr(cls, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(cls, name, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small")
    parser.add_argument("--batches", default="1")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--agreement-steps", type=int, default=200)
    args = parser.parse_args()

    import torch

    from autoscore_video.generation.musicgen import random_model
    from autoscore_video.generation.musicgen.fast import FastDecoder, Sampling, encoder_states

    device, dtype = ("cuda", torch.bfloat16) if torch.cuda.is_available() else ("cpu", torch.float32)
    processor = random_model.processor()
    rows_out = []
    for size in args.sizes.split(","):
        model = random_model.build(size, device=device).to(dtype=dtype)
        k = model.decoder.num_codebooks
        frames = int(args.seconds * 50)
        max_length = frames + k + 1
        for batch in map(int, args.batches.split(",")):
            inputs = processor(text=["joyful pop instrumental piano drums"] * batch, padding=True,
                               return_tensors="pt").to(device)
            start_ids = torch.full((batch * k, 1), 2048, dtype=torch.long)
            prefix, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=2048,
                                                                     max_length=max_length)
            hidden, mask = encoder_states(model, inputs, 3.0)
            for name in args.variants.split(","):
                values, graph = VARIANTS[name]
                if name == "graph-compiled" and size != args.sizes.split(",")[0]:
                    continue
                with attributes(FastDecoder, values):
                    times = []
                    for repeat in range(3):
                        torch.cuda.synchronize() if device == "cuda" else None
                        started = time.perf_counter()
                        FastDecoder(model, batch, max_length, Sampling(guidance=3.0), use_graph=graph) \
                            .generate(prefix, pattern, hidden, mask)
                        torch.cuda.synchronize() if device == "cuda" else None
                        times.append(time.perf_counter() - started)
                row = {"size": size, "batch": batch, "variant": name, "first_s": round(times[0], 3),
                       "best_s": round(min(times[1:]), 3), "ms_per_step": round(min(times[1:]) / max_length * 1e3, 3),
                       "s_per_30s_clip": round(min(times[1:]) / args.seconds * 30 / batch, 3)}
                rows_out.append(row)
                print(json.dumps(row), flush=True)
        if args.agreement_steps:
            steps = args.agreement_steps
            inputs = processor(text=["calm piano strings", "driving drums bass"], padding=True,
                               return_tensors="pt").to(device)
            start_ids = torch.full((2 * k, 1), 2048, dtype=torch.long)
            length = steps + k + 1
            prefix, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=2048, max_length=length)
            from transformers import LogitsProcessorList

            class Tap:
                def __call__(self, input_ids, scores):
                    self.latest = input_ids
                    return scores

            tap = Tap()
            with torch.inference_mode():
                model.generate(**inputs, max_length=length, do_sample=False, guidance_scale=3.0,
                               logits_processor=LogitsProcessorList([tap]))
            plain = model.decoder.apply_delay_pattern_mask(tap.latest, pattern.to(device))
            hidden, mask = encoder_states(model, inputs, 3.0)
            fast = FastDecoder(model, 2, length, Sampling(guidance=3.0, greedy=True)).generate(prefix, pattern,
                                                                                                 hidden, mask)
            fast = fast[:, : plain.shape[-1]]
            same = (fast == plain)[:, 1:]
            differing = (~same).any(dim=0).nonzero()
            print(json.dumps({"size": size, "greedy_bf16_steps": same.shape[1],
                              "tokens_equal": round(same.float().mean().item(), 4),
                              "first_divergent_step": int(differing[0]) + 1 if len(differing) else None}), flush=True)
        del model
        torch.cuda.empty_cache()
    print(f"\n{'size':<7}{'batch':>6} {'variant':<18}{'first s':>9}{'best s':>9}{'ms/step':>9}{'s/30s clip':>11}")
    for r in rows_out:
        print(f"{r['size']:<7}{r['batch']:>6} {r['variant']:<18}{r['first_s']:>9.3f}{r['best_s']:>9.3f}"
              f"{r['ms_per_step']:>9.3f}{r['s_per_30s_clip']:>11.3f}")


if __name__ == "__main__":
    main()
