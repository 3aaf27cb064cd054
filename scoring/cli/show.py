"""What the commands print for people (`--json` prints the data itself)."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from autoscore_video.scoring.cli.app import stderr


def result(result) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    mix = result.mix
    table.add_row("loudness", f"{mix.integrated_lufs:.1f} LUFS (target {mix.target_lufs:.0f}), "
                              f"true peak {mix.true_peak_db:.1f} dBTP")
    table.add_row("ducking", "no speech" if mix.duck_depth_db is None else f"{mix.duck_depth_db:.1f} dB under speech")
    if mix.original_gain_db is not None:
        table.add_row("original audio", f"{mix.original_gain_db:+.1f} dB" + (
            "" if mix.dialogue_gain_db is None else f" between the lines, {mix.dialogue_gain_db:+.1f} dB under speech"))
    table.add_row("tempo", f"{result.rendered_bpm:.1f} BPM ({result.engine['name']}, seed {result.engine['seed']})")
    if result.engine.get("model_id"):
        table.add_row("played by", str(result.engine["model_id"]))
    a = result.alignment
    table.add_row("cuts", f"{a.cuts_on_beat}/{a.cuts} on a beat (±{a.tolerance_ms:.0f} ms)")
    table.add_row("time", ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items()))
    stderr.print(table)
    for note in result.notes:
        stderr.print(f"note: {note}", markup=False)
    print(result.outputs["video"])


def evaluation(e, png: Path | None) -> None:
    def share(x):
        return "n/a" if x is None else f"{x:.0%}"

    table = Table(title=Path(e.video).name, show_header=False, box=None)
    table.add_row("cuts", f"{e.cuts}")
    table.add_row("cut-hit rate", f"{share(e.cut_hit_rate)} on a beat, {share(e.cut_downbeat_rate)} on a downbeat, "
                                  f"{share(e.cut_accent_rate)} on a beat or an accent (±{e.hit_tolerance_ms:.0f} ms)")
    table.add_row("TBIoU", "n/a" if e.tbiou is None else f"{e.tbiou:.3f} (window {e.tbiou_window_s:.1f} s)")
    for t in e.tempo:
        planned = "" if t.planned_bpm is None else f", planned {t.planned_bpm:.1f}, error {t.error:.1%}"
        table.add_row("tempo", f"{t.start:.1f}-{t.end:.1f} s: measured {t.measured_bpm:.1f} BPM{planned}")
    table.add_row("loudness", "no audio" if e.integrated_lufs is None else
                  f"{e.integrated_lufs:.1f} LUFS, true peak {e.true_peak_db:.1f} dBTP")
    table.add_row("music under speech", "n/a" if e.music_under_speech_lu is None else
                  f"{e.music_under_speech_lu:.1f} LU lower")
    if e.duration_error_s is not None or e.music_duration_error_s is not None:
        table.add_row("duration error", f"clip {_ms(e.duration_error_s)}, music {_ms(e.music_duration_error_s)}")
    Console(stderr=False).print(table)
    for note in e.notes:
        stderr.print(f"note: {note}", markup=False)
    if png is not None:
        stderr.print(f"timeline: {png}", markup=False)


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def plan(score_plan, paths) -> None:
    b = score_plan.brief
    stderr.print(f"plan: {score_plan.bpm:.0f} BPM, {b.key} {b.mode}, {b.genre}, energy {b.energy:.2f}, "
                 f"seed {b.seed}, {len(b.sections)} section(s)", markup=False)
    stderr.print(f"prompt: {b.prompt}", markup=False)
    for line in score_plan.rationale:
        stderr.print(f"  because {line}", markup=False)
    stderr.print("would write:", markup=False)
    for p in paths:
        print(p)


def features(f) -> None:
    table = Table(title=Path(f.info.path).name, show_header=False, box=None)
    table.add_row("video", f"{f.info.width}x{f.info.height} {f.info.video_codec}, {f.info.fps:.3f} fps, "
                           f"{f.info.duration:.3f} s")
    table.add_row("cuts", f"{f.cuts.count} ({f.cuts.mean_rate_per_minute:.1f}/min): "
                          + ", ".join(f"{t:.2f}" for t in f.cuts.times[:12]) + (" …" if f.cuts.count > 12 else ""))
    table.add_row("saturation", f"mean {f.saturation.mean:.2f}, p90 {f.saturation.p90:.2f}")
    if f.brightness is not None:
        table.add_row("brightness", f"mean {f.brightness.mean:.2f}, p90 {f.brightness.p90:.2f}")
    if f.warmth is not None:
        table.add_row("warmth", f"mean {f.warmth.mean:+.2f} (-1 blue .. 1 orange)")
    if f.speech.has_audio:
        table.add_row("speech", f"{len(f.speech.regions)} regions, {f.speech.speech_ratio:.0%} of the clip")
    else:
        table.add_row("speech", "no audio track")
    subs = f.subtitles
    table.add_row("subtitles", "none" if subs.source is None else
                  f"{len(subs.cues)} cues from {subs.source}, {'/'.join(subs.languages)}, sentiment "
                  f"{subs.mean_sentiment if subs.mean_sentiment is not None else 'n/a'}")
    Console().print(table)
