"""Musical-fit table: the ladder clips (and real footage where present) scored, then measured with
`autoscore evaluate`'s code on the rendered audio.

    python bench/musical_fit.py [--engine symbolic] [--out results.json]

Prints one markdown row per clip: sections, planned and measured tempo, cut-hit rate (beat and
downbeat, ±70 ms), TBIoU at 0.5 s, loudness, true peak, music under speech, duration error.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autoscore_video.common import jsonio  # noqa: E402
from autoscore_video.scoring.job.evaluate import EvaluationInputs, evaluate  # noqa: E402
from autoscore_video.scoring.job.pipeline import ScoreOptions, score  # noqa: E402
from autoscore_video.scoring.planning.preferences import Preferences  # noqa: E402
from samples.make_samples import ladder_specs, make_clip  # noqa: E402

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "media" / "pyscenedetect"
REAL_CLIPS = ("testvideo.mp4", "goldeneye-vfr-drop3.mp4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="symbolic")
    parser.add_argument("--out", type=Path, help="write every evaluation as JSON here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="autoscore-fit-") as work:
        folder = Path(work)
        clips = [(name, make_clip(folder / f"{name}.mp4", spec)) for name, spec in ladder_specs().items()]
        for name in REAL_CLIPS:
            if (REAL / name).is_file():
                clips.append((name, Path(shutil.copy(REAL / name, folder / name))))
        print("| clip | cuts | sections | planned BPM | measured BPM | max tempo error | on beat | on downbeat "
              "| TBIoU | LUFS | dBTP | music under speech | duration error |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for name, source in clips:
            result = score(source, ScoreOptions(prefs=Preferences(engine=args.engine)))
            evaluation, _, plan = evaluate(EvaluationInputs(video=Path(result.outputs["video"])))
            rows.append({"clip": name, "evaluation": jsonio.to_jsonable(evaluation)})
            planned = " / ".join(f"{s.bpm:.1f}" for s in plan.brief.sections)
            measured = " / ".join(f"{t.measured_bpm:.1f}" for t in evaluation.tempo)
            under = "n/a" if evaluation.music_under_speech_lu is None else f"{evaluation.music_under_speech_lu:.1f} LU"
            print(f"| {name} | {evaluation.cuts} | {len(plan.brief.sections)} | {planned} | {measured} "
                  f"| {evaluation.max_tempo_error:.1%} | {evaluation.cut_hit_rate:.0%} "
                  f"| {evaluation.cut_downbeat_rate:.0%} | {evaluation.tbiou:.3f} | {evaluation.integrated_lufs:.1f} "
                  f"| {evaluation.true_peak_db:.1f} | {under} | {evaluation.duration_error_s * 1000:.1f} ms |",
                  flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
