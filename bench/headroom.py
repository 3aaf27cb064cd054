"""Headroom: how much the delivery limiter takes off at the cuts the music hits.

    python bench/headroom.py [--json bench/results/headroom.json] [--seed N]

Scores the held-out montage of bench/arrangement.py (30 s of 1-2.5 s shots, no speech) with each genre forced
on MuseScore General Lite and on TimGM6mb, and reads each report: the delivery limiter's reduction at every
cut hit (`mix.limiter_at_cuts`), its largest reduction, the delivered true peak and loudness, and how many
times the mix was encoded; and the engine's own peak limiters' deepest reductions (the drum bus's and the
finished bus's, studio/peaks.py). `--seed` cuts the montage's shots another way: the limiters were set on
the held-out montage, and another one checks them on cuts nothing was set on. Targets (issue 33): at most
3 dB at every cut hit, true peak at most -1.0 dBTP.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoscore_video.generation.symbolic.genres import GENRES  # noqa: E402
from autoscore_video.generation.symbolic.studio import console  # noqa: E402
from autoscore_video.scoring.job.pipeline import ScoreOptions, score  # noqa: E402
from autoscore_video.scoring.planning.preferences import Preferences  # noqa: E402
from bench.arrangement import montage_spec  # noqa: E402
from samples.make_samples import irregular_shots, make_clip  # noqa: E402

BANKS = {"MuseScore General Lite": Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
         "TimGM6mb": Path("/usr/share/sounds/sf2/TimGM6mb.sf2")}
TARGETS = {"at_cut_max_db": 3.0, "true_peak_max_db": -1.0}


def engine_limiters() -> list[console.Finish]:
    """Keeps each render's finishing stage, whose limiters say how deep they went."""
    seen: list[console.Finish] = []
    made = console.Finish.__init__

    def init(self, *args, **kwargs):
        made(self, *args, **kwargs)
        seen.append(self)

    console.Finish.__init__ = init
    return seen


def _deepest(finish: console.Finish, limiter: str) -> float | None:
    """How deep one of the engine's limiters went; None for an engine without it (a run of older code)."""
    found = getattr(finish, limiter, None)
    return None if found is None else round(found.deepest_db, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--seed", type=int, help="cut the montage's shots with this seed instead")
    args = parser.parse_args()
    finishes = engine_limiters()
    rows = []
    print("| bank | genre | largest at a cut (dB) | largest anywhere | true peak (dBTP) | encodes | "
          "engine: drum bus / bus (dB) | |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="autoscore-headroom-") as work:
        spec = montage_spec()
        if args.seed is not None:
            spec = replace(spec, shots=irregular_shots(30.0, seed=args.seed, shortest=1.0, longest=2.5))
        montage = make_clip(Path(work) / "montage.mp4", spec)
        for bank, path in BANKS.items():
            if not path.is_file():
                continue
            for genre in GENRES:
                result = score(montage, ScoreOptions(output=Path(work) / f"{genre}-{path.stem}.mp4",
                                                     prefs=Preferences.of(engine="symbolic", genre=genre,
                                                                          soundfont=str(path))))
                mix, finish = result.mix, finishes[-1]
                at_cuts = [c.reduction_db for c in mix.limiter_at_cuts]
                row = {"bank": bank, "genre": genre, "at_cuts_db": at_cuts, "at_cut_max_db": max(at_cuts),
                       "limiter_max_db": mix.limiter_reduction_db, "true_peak_db": mix.true_peak_db,
                       "integrated_lufs": mix.integrated_lufs, "encodes": mix.encodes,
                       "engine_kit_deepest_db": _deepest(finish, "kit"),
                       "engine_bus_deepest_db": _deepest(finish, "peaks")}
                row["meets"] = bool(row["at_cut_max_db"] <= TARGETS["at_cut_max_db"]
                                and row["true_peak_db"] <= TARGETS["true_peak_max_db"])
                rows.append(row)
                print(f"| {bank} | {genre} | {row['at_cut_max_db']:.1f} | {row['limiter_max_db']:.1f} | "
                      f"{row['true_peak_db']:.2f} | {row['encodes']} | {row['engine_kit_deepest_db']} / "
                      f"{row['engine_bus_deepest_db']} | {'met' if row['meets'] else 'missed'} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"targets": TARGETS, "seed": args.seed, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
