"""A scored clip's report → its editorial timeline file, and its MIDI beside it."""
from __future__ import annotations

import shutil
from pathlib import Path

from autoscore_video.common import jsonio
from autoscore_video.common.errors import InputError, NotFoundError, ResourceError
from autoscore_video.common.files import file_state
from autoscore_video.scoring.editorial.formats import format_named, write
from autoscore_video.scoring.editorial.timeline import build, marks_of
from autoscore_video.scoring.job.outputs import base_name, editorial_timeline, sidecar
from autoscore_video.scoring.job.report import ScoreResult


def read_report(scored: Path) -> ScoreResult:
    report_path = sidecar(scored, "report")
    if file_state(scored) is None:
        raise NotFoundError(f"{scored}: no such file")
    if file_state(report_path) is None:
        raise InputError(f"{scored}: no {report_path.name} beside it (export reads what `autoscore score` wrote)")
    result = jsonio.from_dict(ScoreResult, jsonio.read_json(report_path), what=str(report_path))
    if result.marks is None:
        raise InputError(f"{report_path}: written by an autoscore without cut and beat marks; score the clip again")
    return result


def _source_of(scored: Path, source: Path) -> Path:
    """The source as the report names it, or by that name beside the scored clip (a report keeps the path as
    it was given, which may have been relative to another folder)."""
    if file_state(source) is None and file_state(scored.parent / source.name) is not None:
        return scored.parent / source.name
    return source


def export(scored: Path, format_name: str, out: Path | None = None, *, with_stem: bool = False) -> dict[str, str]:
    """Write the timeline (and the MIDI beside it); {"timeline": path, "midi": path or absent}."""
    chosen = format_named(format_name)
    result = read_report(scored)
    marks = result.marks
    if marks is None:
        raise InputError(f"{scored}: its report has no timeline marks (an older autoscore wrote it); score it again")
    out = out or editorial_timeline(scored, chosen.suffix)
    if out.suffix.lower() != chosen.suffix:
        raise InputError(f"{out}: a {format_name} timeline is written as {chosen.suffix}")
    picture, stem = scored, None
    if with_stem:
        picture, stem = _source_of(scored, Path(result.source)), sidecar(scored, "music_wav")
        for needed in (picture, stem):
            if file_state(needed) is None:
                raise InputError(f"{needed}: not found (--with-stem lays the source and the music stem side by side)")
    timeline = build(base_name(scored), picture, result.output_duration, marks.fps,
                     marks_of(marks.cuts, marks.downbeats, marks.sections, result.output_duration), stem=stem)
    write(timeline, out, chosen)
    written = {"timeline": str(out)}
    midi = sidecar(scored, "midi")
    if file_state(midi) is not None:
        beside = midi if out.parent.resolve() == midi.parent.resolve() else out.with_suffix(".mid")
        if beside != midi:
            try:
                shutil.copyfile(midi, beside)
            except OSError as exc:
                raise ResourceError(f"cannot write {beside}: {exc.strerror or exc}") from exc
        written["midi"] = str(beside)
    return written
