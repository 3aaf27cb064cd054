"""Arrangement table: does the band follow the story, do genres and seeds sound different, is every written part
heard. Clips are made, analysed and planned for real, composed by the symbolic engine and measured from the MIDI
(autoscore_video.scoring.job.musical_form); the parts are rendered alone on every General MIDI bank found.

    python bench/arrangement.py [--json bench/results/arrangement.json] [--rolls DIR] [--midi DIR]

- Genres: a held-out 30 s montage with each genre forced: the most lead notes any two share (pitch class and
  onset to the sixteenth), each genre's grid BPM and feel, the kits the genres ask for.
- Seeds: three seeds on the montage: the distinct layouts (the first bar each role plays).
- A mood turn: a voice-over that turns from joy to grief: kit notes in the grief section (a crash at its start
  aside) and the Jaccard similarity of the two sections' instrument sets.
- Every MIDI above: the lead's share of notes on top, bass holes at chord changes (slow genres), and each
  part's level rendered alone (dBFS RMS over its notes) on MuseScore General Lite, FluidR3 and TimGM6mb.

`--rolls` draws the piano rolls of the seven genres and of the mood turn; `--midi` keeps the MIDI files.
Targets (issue 32): shared lead <= 0.30, lofi and ambient grids <= 95 BPM or a named half-time feel, 3 kits or
more with an electronic one for electronic, 2 layouts of 3 seeds or more, no kit in grief and Jaccard <= 0.6,
every part >= -45 dBFS, lead on top >= 0.85, bass holes <= 0.10 in ambient, cinematic and orchestral.
"""
from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autoscore_video.generation.symbolic import midi_file  # noqa: E402
from autoscore_video.generation.symbolic.composer import compose  # noqa: E402
from autoscore_video.generation.symbolic.genres import GENRES  # noqa: E402
from autoscore_video.generation.symbolic.grooves import Kit  # noqa: E402
from autoscore_video.generation.symbolic.synth import render_stems  # noqa: E402
from autoscore_video.generation.tempo import beat_grid, mean_bpm  # noqa: E402
from autoscore_video.scoring.job import musical_form as form  # noqa: E402
from autoscore_video.scoring.job.pipeline import ScoreOptions, make_plan  # noqa: E402
from autoscore_video.scoring.planning.preferences import Preferences  # noqa: E402
from samples.make_samples import ClipSpec, happy_then_sad_spec, irregular_shots, make_clip  # noqa: E402

BANKS = {"MuseScore General Lite": Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
         "FluidR3": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
         "TimGM6mb": Path("/usr/share/sounds/sf2/TimGM6mb.sf2")}
SEEDS = (1, 2, 3)
SLOW_GENRES = ("ambient", "cinematic", "orchestral")
ELECTRONIC_KITS = (Kit.ELECTRONIC, Kit.TR808)
RATE = 22050
TARGETS = {"shared_lead_max": 0.30, "slow_grid_bpm_max": 95.0, "kits_min": 3, "layouts_min": 2,
           "grief_kit_notes_max": 1, "turn_jaccard_max": 0.6, "part_dbfs_min": -45.0, "lead_on_top_min": 0.85,
           "bass_holes_max": 0.10}


def montage_spec() -> ClipSpec:
    """The held-out montage: 30 s of shots of 1-2.5 s, vivid colour, no speech (no test uses it; the engine's
    peak limiters were set on it, and bench/headroom.py checks them on another cut)."""
    return ClipSpec(shots=irregular_shots(30.0, seed=29, shortest=1.0, longest=2.5), saturation=1.0)


def piece_of(clip: Path, prefs: Preferences, folder: Path, name: str) -> form.Piece:
    plan = make_plan(clip, ScoreOptions(prefs=prefs))[1]
    midi, grid, markers = compose(plan.brief)
    path = folder / f"{name}.mid"
    midi_file.write(midi, path, midi_file.origin(grid), markers)
    return form.load_piece(path, plan)


def grid_bpm(piece: form.Piece) -> float:
    plan = piece.plan
    return float(mean_bpm(beat_grid(plan.brief.tempo_map, plan.duration, plan.brief.beats_per_bar), 0.0,
                          plan.duration))


def kits(piece: form.Piece) -> set[int]:
    return {track.program for track in piece.midi.instruments if track.is_drum and track.notes}


def part_levels(piece: form.Piece, path: Path) -> dict[str, dict[str, float]]:
    """bank → part (a MIDI track) → dBFS RMS over the part's notes, each part rendered alone (a bank that is
    not installed is left out)."""
    levels = {}
    video_at = -piece.shift
    for bank, sf in BANKS.items():
        if not sf.exists():
            continue
        stems = render_stems(path, piece.plan.duration + 2.0, RATE, sf, video_at=video_at)
        levels[bank] = {}
        for track in piece.midi.instruments:
            if not track.notes:
                continue
            mine = [stem.audio for stem in stems if stem.part == track.name or stem.part.startswith(track.name + "/")]
            mono = np.sum(mine, axis=0).mean(axis=0)
            mask = np.zeros(mono.shape[0], dtype=bool)
            for note in track.notes:
                a, b = note.start - video_at, max(note.end, note.start + 0.1) - video_at
                mask[max(0, int(a * RATE)):max(0, int(b * RATE))] = True
            heard = mono[mask] if mask.any() else mono
            levels[bank][track.name] = round(float(10 * np.log10(np.mean(heard.astype(np.float64) ** 2) + 1e-24)),
                                             1)
    return levels


def run(work: Path, rolls: Path | None, keep_midi: Path | None) -> dict:
    montage = make_clip(work / "montage.mp4", montage_spec())
    turn = make_clip(work / "joy-to-grief.mp4", happy_then_sad_spec("en"))
    pieces = {genre: piece_of(montage, Preferences(genre=genre), work, genre) for genre in GENRES}
    seeded = {seed: piece_of(montage, Preferences(seed=seed), work, f"seed{seed}") for seed in SEEDS}
    grief = piece_of(turn, Preferences(), work, "joy-to-grief")
    result: dict = {"genres": {}, "seeds": {}, "turn": {}, "parts": {}}

    shared = {f"{a}/{b}": round(form.shared_lead(pieces[a], pieces[b]), 3)
              for a, b in itertools.combinations(GENRES, 2)}
    result["genres"]["shared_lead"] = shared
    result["genres"]["shared_lead_max"] = max(shared.values())
    for genre, piece in pieces.items():
        feel = [line for line in piece.plan.rationale if "felt" in line]
        result["genres"][genre] = {"bpm": round(grid_bpm(piece), 1), "feel": feel, "kits": sorted(kits(piece)),
                                   "key": f"{piece.plan.brief.key} {piece.plan.brief.mode}"}
    all_kits = set().union(*(kits(p) for p in pieces.values()))
    result["genres"]["kits"] = sorted(all_kits)

    layouts = {seed: form.layout(piece) for seed, piece in seeded.items()}
    result["seeds"] = {"layouts": {str(s): layout for s, layout in layouts.items()},
                       "distinct": len({tuple(sorted(layout.items())) for layout in layouts.values()})}

    sections = grief.plan.brief.sections
    sad = min(sections, key=lambda s: (s.mood not in ("melancholic", "tense"), -s.start))
    happy = next(s for s in sections if s is not sad)
    kit_in_grief = [n for n in grief.notes if n.drum and sad.start - 0.05 <= n.start < sad.end]
    crash_at_start = [n for n in kit_in_grief if abs(n.start - sad.start) < 0.1]
    one, two = set(happy.instrumentation), set(sad.instrumentation)
    result["turn"] = {"sections": [f"{s.start:.1f}-{s.end:.1f} {s.mood} {s.energy:.2f}" for s in sections],
                      "kit_notes_in_grief": len(kit_in_grief), "crash_at_its_start": len(crash_at_start),
                      "jaccard": round(len(one & two) / len(one | two), 3)}

    everything = {**pieces, **{f"seed{s}": p for s, p in seeded.items()}, "joy-to-grief": grief}
    worst = 0.0
    for name, piece in everything.items():
        levels = part_levels(piece, work / f"{name}.mid")
        quietest = min(((db, bank, part) for bank, parts in levels.items() for part, db in parts.items()),
                       default=(0.0, "", ""))
        worst = min(worst, quietest[0])
        result["parts"][name] = {"lead_on_top": round(form.lead_on_top(piece), 3),
                                 "bass_holes": round(form.bass_holes(piece), 3),
                                 "quietest_part": {"dbfs": quietest[0], "bank": quietest[1], "part": quietest[2]},
                                 "levels": levels}
    result["summary"] = {
        "shared_lead_max": result["genres"]["shared_lead_max"],
        "slow_grids": {g: result["genres"][g]["bpm"] for g in ("lofi", "ambient")},
        "kits": len(all_kits), "electronic_kit": result["genres"]["electronic"]["kits"],
        "layouts": result["seeds"]["distinct"],
        "grief_kit_notes": len(kit_in_grief) - min(1, len(crash_at_start)), "turn_jaccard": result["turn"]["jaccard"],
        "quietest_part_dbfs": worst,
        "lead_on_top_min": min(p["lead_on_top"] for p in result["parts"].values()),
        "bass_holes_slow_max": max(result["parts"][g]["bass_holes"] for g in SLOW_GENRES),
    }
    if rolls:
        from bench.form import piano_roll

        rolls.mkdir(parents=True, exist_ok=True)
        piano_roll([(f"{g}: {result['genres'][g]['bpm']} BPM", pieces[g]) for g in GENRES], rolls / "genres.png")
        piano_roll([("a voice-over that turns from joy to grief", grief)], rolls / "mood-turn.png")
    if keep_midi:
        keep_midi.mkdir(parents=True, exist_ok=True)
        for path in work.glob("*.mid"):
            shutil.copy(path, keep_midi / path.name)
    return result


def _plain(value):
    return value.item()  # numpy scalars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--rolls", type=Path)
    parser.add_argument("--midi", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        result = run(Path(work), args.rolls, args.midi)
    print(json.dumps(result["summary"], indent=1, default=_plain))
    print(json.dumps({k: v for k, v in result["genres"].items() if k != "shared_lead"}, indent=1, default=_plain))
    print(json.dumps(result["turn"], indent=1, default=_plain))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=_plain), encoding="utf-8")


if __name__ == "__main__":
    main()
