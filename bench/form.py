"""Form table: the ladder clips, a two-minute calm clip and real footage scored with the symbolic engine, then
measured from the MIDI and the stem (autoscore_video.scoring.job.musical_form):

    python bench/form.py [--json bench/results/form.json] [--roll OUT.png] [--midi-before OLD.mid]

Per clip: genre, key, bars, lag-4 bar similarity, distinct 4-bar progressions per minute, the values the
number of active tracks per bar takes, the largest tempo step inside a section, cut-hit on beats alone and
with accents (±70 ms), kit share, LRA of the stem (speech-free clips), share of notes on the file's 16th grid.
Then the genre checks on one clip: rock against lofi (onset overlap of kit and pitched parts) and
orchestral's kit share. `--roll` draws the piano roll of the two-minute calm clip's piece (and of
`--midi-before`, a MIDI of the same clip from an older version, with `--plan-before`).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autoscore_video.common.sound_profile import loudness_range  # noqa: E402
from autoscore_video.scoring import load_plan  # noqa: E402
from autoscore_video.scoring.job import musical_form as form  # noqa: E402
from autoscore_video.scoring.job.pipeline import ScoreOptions, score  # noqa: E402
from autoscore_video.scoring.planning.preferences import Preferences  # noqa: E402
from samples.make_samples import calm_spec, fast_irregular_spec, ladder_specs, long_calm_spec, make_clip  # noqa: E402

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "media" / "pyscenedetect"
REAL_CLIPS = ("testvideo.mp4", "goldeneye-vfr-drop3.mp4")
GENRE_CLIP = "every-1s"


def measure(source: Path, speech_free: bool | None, genre: str | None = None) -> dict:
    """`speech_free` None: as the analysis found (no section thinned for speech)."""
    out = source.with_name(f"{source.stem}.{genre}.mp4") if genre else None
    result = score(source, ScoreOptions(prefs=Preferences(genre=genre), output=out))
    outputs = {k: Path(v) for k, v in result.outputs.items()}
    plan = load_plan(outputs["plan"])
    piece = form.load_piece(outputs["midi"], plan)
    on_beat, with_accents = form.cut_hits(piece)
    if speech_free is None:
        speech_free = all(section.density >= 0.99 for section in plan.brief.sections)
    return {
        "genre": plan.brief.genre, "key": f"{plan.brief.key} {plan.brief.mode}", "seconds": plan.duration,
        "bars": piece.bars, "sections": len(plan.brief.sections),
        "lag4_similarity": round(form.bar_similarity(piece), 3),
        "progressions_per_minute": round(form.progressions_per_minute(piece), 2),
        "active_track_counts": sorted(set(form.active_tracks(piece))),
        "max_tempo_step": round(form.max_tempo_step(plan), 4),
        "cut_hit_beats": round(on_beat, 3), "cut_hit_with_accents": round(with_accents, 3),
        "kit_share": round(form.kit_share(piece), 3),
        "lra_lu": round(loudness_range(outputs["music_wav"])[0], 1) if speech_free else None,
        "on_file_grid": round(form.on_file_grid(piece), 3),
        "_piece": piece,
    }


def piano_roll(pieces: list[tuple[str, form.Piece]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(pieces), 1, figsize=(18, 6 * len(pieces)), squeeze=False)
    for ax, (title, piece) in zip(axes[:, 0], pieces):
        tracks = sorted({(n.track, n.role, n.drum) for n in piece.notes})
        colours = plt.get_cmap("tab10")
        for index, (track, role, drum) in enumerate(tracks):
            mine = [n for n in piece.notes if n.track == track]
            name = piece.midi.instruments[track].name or role
            for note in mine:
                ax.plot([note.start, note.start + 0.08 if drum else note.end], [note.pitch, note.pitch],
                        color=colours(index % 10), linewidth=2 + note.velocity / 40, alpha=0.8, solid_capstyle="butt")
            ax.plot([], [], color=colours(index % 10), linewidth=4, label=name)
        for downbeat in piece.grid.downbeats:
            if 0 <= downbeat <= piece.plan.duration:
                ax.axvline(downbeat, color="0.85", linewidth=0.6, zorder=0)
        for cut in piece.plan.brief.cuts_to_hit:
            ax.axvline(cut, color="red", linewidth=0.8, alpha=0.5, zorder=0)
        ax.set_xlim(0, piece.plan.duration + 0.5)
        ax.set_ylabel("MIDI pitch (drums: GM kit notes)")
        ax.set_title(title + " (grey: bar lines, red: cuts)")
        ax.legend(loc="upper right", fontsize=8, ncol=3)
    axes[-1, 0].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(png, dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the measures as JSON here")
    parser.add_argument("--roll", type=Path, help="write the two-minute calm clip's piano roll (PNG) here")
    parser.add_argument("--midi-before", type=Path, help="an older version's MIDI of that clip, for --roll")
    parser.add_argument("--plan-before", type=Path, help="the plan that MIDI was written from")
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="autoscore-form-") as work:
        folder = Path(work)
        clips = [(name, make_clip(folder / f"{name}.mp4", spec), not spec.speech)
                 for name, spec in {**ladder_specs(), "fast-irregular": fast_irregular_spec(),
                                    "calm-2min": long_calm_spec(), "calm-sample": calm_spec()}.items()]
        for name in REAL_CLIPS:
            if (REAL / name).is_file():
                clips.append((name, Path(shutil.copy(REAL / name, folder / name)), None))
        print("| clip | genre | key | bars | lag-4 similarity | progressions/min | active tracks per bar "
              "| max tempo step | cut-hit (beats) | cut-hit (with accents) | kit share | LRA (LU) | on 16th grid |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        pieces = {}
        for name, source, speech_free in clips:
            row = measure(source, speech_free)
            pieces[name] = row.pop("_piece")
            rows[name] = row
            lra = "n/a (speech)" if row["lra_lu"] is None else f"{row['lra_lu']:.1f}"
            print(f"| {name} | {row['genre']} | {row['key']} | {row['bars']} | {row['lag4_similarity']:.2f} "
                  f"| {row['progressions_per_minute']:.1f} | {row['active_track_counts']} "
                  f"| {row['max_tempo_step']:.1%} | {row['cut_hit_beats']:.0%} | {row['cut_hit_with_accents']:.0%} "
                  f"| {row['kit_share']:.0%} | {lra} | {row['on_file_grid']:.0%} |", flush=True)
        source = next(s for n, s, _ in clips if n == GENRE_CLIP)
        by_genre = {}
        for genre in ("rock", "lofi", "orchestral", "ambient"):
            row = measure(source, True, genre)
            by_genre[genre] = row.pop("_piece")
            rows[f"{GENRE_CLIP} --genre {genre}"] = row
        checks = {
            "rock_lofi_kit_overlap": round(form.onset_overlap(by_genre["rock"], by_genre["lofi"], drums=True), 3),
            "rock_lofi_pitched_overlap": round(form.onset_overlap(by_genre["rock"], by_genre["lofi"], drums=False), 3),
            "orchestral_kit_share": round(form.kit_share(by_genre["orchestral"]), 3),
            "ambient_kit_share": round(form.kit_share(by_genre["ambient"]), 3),
        }
        rows["genre checks on " + GENRE_CLIP] = checks
        print()
        print(f"genres on {GENRE_CLIP}: rock/lofi onset overlap kit {checks['rock_lofi_kit_overlap']:.2f}, pitched "
              f"{checks['rock_lofi_pitched_overlap']:.2f}; kit share orchestral {checks['orchestral_kit_share']:.0%}, "
              f"ambient {checks['ambient_kit_share']:.0%}")
        if args.roll:
            shown = [(f"after: two-minute calm clip, {rows['calm-2min']['genre']}", pieces["calm-2min"])]
            if args.midi_before and args.plan_before:
                before = form.load_piece(args.midi_before, load_plan(args.plan_before))
                shown.insert(0, (f"before: two-minute calm clip, {before.plan.brief.genre}", before))
            piano_roll(shown, args.roll)
            print(f"piano roll: {args.roll}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
