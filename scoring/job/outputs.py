"""Where `autoscore score` writes: `<clip>.scored.<ext>` and its sidecars, or beside `-o PATH`."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from autoscore_video.common.errors import InputError
from autoscore_video.mixing import supported_suffix


@dataclass(frozen=True)
class OutputPaths:
    video: Path
    music_wav: Path
    music_mp3: Path
    midi: Path
    plan: Path
    report: Path
    timeline: Path

    def named(self) -> dict[str, Path]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def all(self) -> list[Path]:
        return list(self.named().values())


def scored_name(source: Path) -> str:
    """`clip.scored.<ext>`: the source's container where autoscore writes it, else Matroska (takes any picture)."""
    suffix = source.suffix.lower() if supported_suffix(source) else ".mkv"
    return f"{source.stem}.scored{suffix}"


def output_paths(source: Path, output: Path | None) -> OutputPaths:
    if output is None:
        video = source.with_name(scored_name(source))
    else:
        video = output
        if output.is_dir():
            raise InputError(f"{output}: is a directory; give a file path such as {output / (source.stem + '.mp4')}")
        if not supported_suffix(output):
            raise InputError(f"{output}: unsupported output type {output.suffix or '(none)'} "
                             "(use .mp4, .mov, .m4v, .mkv or .webm)")
    stem = video.name[: -len(video.suffix)] if video.suffix else video.name
    base = stem[: -len(".scored")] if stem.endswith(".scored") else stem
    folder = video.parent
    paths = OutputPaths(
        video=video,
        music_wav=folder / f"{base}.music.wav",
        music_mp3=folder / f"{base}.music.mp3",
        midi=folder / f"{base}.music.mid",
        plan=folder / f"{base}.plan.json",
        report=folder / f"{base}.report.json",
        timeline=folder / f"{base}.timeline.png",
    )
    source_resolved = source.resolve()
    for path in paths.all():
        if path.resolve() == source_resolved:
            raise InputError(f"{path}: output would overwrite the source video")
    return paths
