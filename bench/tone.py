"""Tonal balance: where the music stems put their energy, against produced music measured the same way.

    python bench/tone.py [--json bench/results/tone.json]
    python bench/tone.py --reference SET=DIR [SET=DIR ...] --json bench/results/tone-reference.json
    python bench/tone.py --plot bench/results/tone.json [BEFORE.json] --references R.json --png tone.png

Scores held-out clips with the symbolic engine on every General MIDI bank found (MuseScore General Lite, the
default, and TimGM6mb): a 30 s montage with each genre forced, a calm 2-minute clip and a documentary
voice-over. For each music stem (`clip.music.wav`, first 90 s): the mid signal's energy share per band
(common/sound_profile.py, Welch) and its 1/3-octave long-term spectrum (each band's share of the total, dB).
`--reference` measures every .ogg/.opus/.wav/.flac of 20 s or more under each folder the same way (Debian's
game soundtracks: `apt-get download wesnoth-1.16-music`, `dpkg-deb -x`; OpenArena keeps its music in .pk3 zip
archives), per set the median of each band. `--plot` draws our stems' median spectrum (before and after) over the sets'.

Targets (issue 33): 60-250 Hz >= 0.33, 500 Hz-2 kHz <= 0.25, 2-6 kHz <= 0.06 (rock <= 0.10, an underscore
under dialogue <= 0.04).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoscore_video.common.media import read_audio  # noqa: E402
from autoscore_video.common.sound_profile import BANDS, band_name, band_shares  # noqa: E402
from autoscore_video.generation.symbolic.genres import GENRES  # noqa: E402
from autoscore_video.scoring.job.pipeline import ScoreOptions, score  # noqa: E402
from autoscore_video.scoring.planning.preferences import Preferences  # noqa: E402
from bench.arrangement import montage_spec  # noqa: E402  (the held-out montage)
from samples.make_samples import long_calm_spec, make_clip, voice_over_spec  # noqa: E402

RATE = 48000
SECONDS = 90
SHORTEST_TRACK_S = 20  # shorter files in a game's music folder are stingers (victory, defeat), not pieces
BANKS = {"MuseScore General Lite": Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
         "TimGM6mb": Path("/usr/share/sounds/sf2/TimGM6mb.sf2")}
THIRDS = 1000.0 * 2.0 ** (np.arange(-17, 14) / 3.0)  # 1/3-octave centres, 20 Hz - 16 kHz
TARGETS = {"body_min": 0.33, "mids_max": 0.25, "presence_max": 0.06, "presence_rock_max": 0.10,
           "presence_dialogue_max": 0.04}


def third_octave_db(audio: np.ndarray) -> list[float]:
    """Each 1/3-octave band's share of the mid signal's energy, dB (Welch, 8192-sample segments)."""
    from scipy.signal import welch

    frequencies, power = welch(audio.mean(axis=1).astype(np.float64), fs=RATE, nperseg=8192)
    bands = np.array([power[(frequencies >= c / 2 ** (1 / 6)) & (frequencies < c * 2 ** (1 / 6))].sum()
                      for c in THIRDS])
    return (10 * np.log10(bands / max(bands.sum(), 1e-30) + 1e-12)).round(2).tolist()


def measured(path: Path) -> dict:
    audio = read_audio(path, sample_rate=RATE, channels=2, what=str(path))[:SECONDS * RATE]
    return {"seconds": round(len(audio) / RATE, 1),
            "bands": {k: round(v, 4) for k, v in band_shares(audio, RATE).items()},
            "third_octave_db": third_octave_db(audio)}


def meets(row: dict) -> dict[str, bool]:
    bands = row["bands"]
    presence = (TARGETS["presence_dialogue_max"] if row["dialogue"] else
                TARGETS["presence_rock_max"] if row["genre"] == "rock" else TARGETS["presence_max"])
    return {"body": bands["60-250"] >= TARGETS["body_min"], "mids": bands["500-2000"] <= TARGETS["mids_max"],
            "presence": bands["2000-6000"] <= presence}


def stems(work: Path) -> list[dict]:
    montage = make_clip(work / "montage.mp4", montage_spec())
    jobs = [(f"montage, {genre}", montage, genre, False) for genre in GENRES]
    jobs += [("calm, 2 min", make_clip(work / "calm.mp4", long_calm_spec()), None, False),
             ("documentary voice-over", make_clip(work / "documentary.mp4", voice_over_spec(0.3)), None, True)]
    rows = []
    for bank, path in BANKS.items():
        if not path.is_file():
            continue
        for index, (name, clip, genre, dialogue) in enumerate(jobs):
            out = work / f"{clip.stem}-{index}-{path.stem}.scored.mp4"
            prefs = Preferences.of(engine="symbolic", soundfont=str(path), **({"genre": genre} if genre else {}))
            result = score(clip, ScoreOptions(output=out, prefs=prefs))
            plan = json.loads(Path(result.outputs["plan"]).read_text())
            row = {"clip": name, "bank": bank, "genre": plan["brief"]["genre"], "dialogue": dialogue,
                   **measured(Path(result.outputs["music_wav"]))}
            row["meets"] = meets(row)
            rows.append(row)
            print(line(row), flush=True)
    return rows


def reference(sets: dict[str, Path]) -> list[dict]:
    rows = []
    for name, folder in sets.items():
        tracks = []
        for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".ogg", ".opus", ".wav", ".flac")):
            try:
                tracks.append(measured(path))
            except Exception as error:  # a damaged file in a package is skipped, and said
                print(f"skipped {path.name}: {error}", file=sys.stderr)
        tracks = [t for t in tracks if t["seconds"] >= SHORTEST_TRACK_S]
        rows.append({"clip": name, "tracks": len(tracks),
                     "bands": {band_name(b): round(statistics.median(t["bands"][band_name(b)] for t in tracks), 4)
                               for b in BANDS},
                     "third_octave_db": np.median([t["third_octave_db"] for t in tracks], axis=0).round(2).tolist()})
        print(line(rows[-1]), flush=True)
    return rows


def line(row: dict) -> str:
    verdict = ", ".join(k for k, ok in row.get("meets", {}).items() if not ok)
    verdict = ("missed: " + verdict) if verdict else ("met" if "meets" in row else f"{row.get('tracks')} tracks")
    return (f"| {row['clip']} | {row.get('bank', '')} | {row.get('genre', '')} | "
            + " | ".join(f"{row['bands'][band_name(b)]:.3f}" for b in BANDS) + f" | {verdict} |")


def table(rows: list[dict]) -> str:
    head = "| clip | bank | genre | " + " | ".join(band_name(b) for b in BANDS) + " | targets |"
    return "\n".join([head, "|" + "---|" * (head.count("|") - 1)] + [line(r) for r in rows])


def plot(after: Path, before: Path | None, references: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5.5))
    for row in json.loads(references.read_text())["rows"]:
        ax.semilogx(THIRDS, row["third_octave_db"], lw=1.2, alpha=0.7, label=f"{row['clip']} (median)")
    for label, path, style in (("ours before", before, "k--"), ("ours after", after, "k-")):
        if path is None:
            continue
        rows = json.loads(path.read_text())["rows"]
        ax.semilogx(THIRDS, np.median([r["third_octave_db"] for r in rows], axis=0), style, lw=2.4,
                    label=f"{label} (median of {len(rows)} stems)")
    for edge in (60, 250, 500, 2000, 6000):
        ax.axvline(edge, color="grey", lw=0.5)
    ax.set_xlim(20, 16000)
    ax.set_ylim(-60, -5)
    ax.set_xlabel("Hz (1/3-octave bands)")
    ax.set_ylabel("share of the energy, dB")
    ax.set_title("Long-term spectrum of the mid signal, first 90 s")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(png, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--reference", nargs="+", metavar="SET=DIR", help="measure recordings instead")
    parser.add_argument("--plot", nargs="+", type=Path, metavar="JSON", help="AFTER.json [BEFORE.json]")
    parser.add_argument("--references", type=Path, help="with --plot: the reference rows")
    parser.add_argument("--png", type=Path, default=Path("tone.png"))
    args = parser.parse_args()
    if args.plot:
        plot(args.plot[0], args.plot[1] if len(args.plot) > 1 else None, args.references, args.png)
        print(args.png)
        return
    if args.reference:
        rows = reference({name: Path(folder) for name, folder in (item.split("=", 1) for item in args.reference)})
    else:
        with tempfile.TemporaryDirectory(prefix="autoscore-tone-") as work:
            rows = stems(Path(work))
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"targets": TARGETS, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
