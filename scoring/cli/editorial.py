"""`autoscore export`: a scored clip as a timeline for Resolve, Premiere and Final Cut."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from autoscore_video.scoring.cli.app import JsonOpt, app, emit, errors_reported, needs_extras


@app.command("export")
def export_timeline(
    scored: Path = typer.Argument(..., help="A scored video (its report.json beside it)."),
    format_name: str = typer.Option("otio", "--format", "-f", help="otio, fcpxml (Final Cut Pro), edl (CMX 3600) or "
                                                                  "premiere-xml (Premiere, Resolve)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="The timeline file (default: beside the clip)."),
    with_stem: bool = typer.Option(False, "--with-stem", help="The source video and the music stem on an audio track "
                                                              "of its own, instead of the scored video."),
    json_out: bool = JsonOpt,
) -> None:
    """Write an editorial timeline of SCORED: the clip, a marker at every cut (red), downbeat (blue) and section
    start (green), at the clip's frame rate; the MIDI beside it."""
    with errors_reported():
        with needs_extras("autoscore export needs the editors extra: pip install 'autoscore-video[editors]'"):
            import opentimelineio  # noqa: F401
        from autoscore_video.scoring.editorial.export import export

        written = export(scored, format_name, output, with_stem=with_stem)
        emit(written, json_out, lambda: print(written["timeline"]))
