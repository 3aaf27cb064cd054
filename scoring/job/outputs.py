"""Every name autoscore writes, in one place: `<clip>.scored.<ext>` and its sidecars, beside the clip or beside
`-o PATH`, the candidates' stems, the evaluation's timeline, and `plan`'s default plan file."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from autoscore_video.common.errors import InputError
from autoscore_video.mixing import supported_suffix

SCORED = ".scored"
SIDECAR_SUFFIXES = {
    "music_wav": ".music.wav",
    "music_mp3": ".music.mp3",
    "midi": ".music.mid",
    "plan": ".plan.json",
    "report": ".report.json",
    "timeline": ".timeline.png",
}
EVALUATION_TIMELINE = ".evaluation.png"


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

    def moved_to(self, folder: Path) -> OutputPaths:
        """The same names in `folder`: where outputs staged elsewhere will be published."""
        return replace(self, **{name: folder / path.name for name, path in self.named().items()})

    def candidate(self, number: str) -> Path:
        """The stem of one alternative an engine rendered: `<clip>.music.cand<N>.wav`."""
        return self.music_wav.with_name(f"{base_name(self.video)}.music.cand{number}.wav")


def _stem(video: Path) -> str:
    return video.name[: -len(video.suffix)] if video.suffix else video.name


def base_name(video: Path) -> str:
    """`clip` for `clip.scored.mp4`, `clip.mp4` or `clip`: what every sidecar's name starts with."""
    stem = _stem(video)
    return stem[: -len(SCORED)] if is_scored(video) else stem


def sidecar(video: Path, name: str) -> Path:
    """The sidecar `name` (a key of SIDECAR_SUFFIXES) that belongs beside `video`."""
    return video.with_name(base_name(video) + SIDECAR_SUFFIXES[name])


def editorial_timeline(video: Path, suffix: str) -> Path:
    """`clip.otio`, `clip.edl`...: `autoscore export`'s timeline of `video`, beside it."""
    return video.with_name(base_name(video) + suffix)


def evaluation_timeline(video: Path) -> Path:
    return video.with_name(base_name(video) + EVALUATION_TIMELINE)


def is_scored(video: Path) -> bool:
    """`clip.scored.mp4`: a video autoscore wrote."""
    return _stem(video).endswith(SCORED)


def scored_name(source: Path, base: str | None = None) -> str:
    """`clip.scored.<ext>`: the source's container where autoscore writes it, else Matroska (takes any picture).
    `base` replaces the stem where another source already gave its outputs that name (the watch ledger)."""
    suffix = source.suffix.lower() if supported_suffix(source) else ".mkv"
    return f"{base or source.stem}{SCORED}{suffix}"


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
    paths = OutputPaths(video=video, **{name: sidecar(video, name) for name in SIDECAR_SUFFIXES})
    source_resolved = source.resolve()
    for path in paths.all():
        if path.resolve() == source_resolved:
            raise InputError(f"{path}: output would overwrite the source video")
    return paths


def unowned_outputs(paths: OutputPaths, *, given_plan: Path | None = None) -> list[Path]:
    """The outputs about to be written that already exist and that autoscore did not write: not named by the
    report beside them, and (for the plan) neither an autoscore plan nor the plan this run was given. An earlier
    run's outputs are replaced without a word; these only with `--overwrite`."""
    existing = [p for p in paths.all() if p.exists() or p.is_symlink()]
    if not existing:
        return []
    listed = _reported_names(paths.report)
    foreign = []
    for path in existing:
        if path.name in listed:
            continue
        if path == paths.plan and (_same_file(path, given_plan) or _is_plan(path)):
            continue
        foreign.append(path)
    return foreign


def _reported_names(report: Path) -> set[str]:
    """The file names an autoscore report lists as its outputs (none where `report` is not one)."""
    data = _small_json(report)
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict) or not {"video", "report"} <= outputs.keys():
        return set()
    return {Path(str(value)).name for value in outputs.values()}


def _is_plan(path: Path) -> bool:
    data = _small_json(path)
    return isinstance(data, dict) and {"version", "engine", "brief", "mix"} <= data.keys()


def _same_file(path: Path, other: Path | None) -> bool:
    try:
        return other is not None and path.samefile(other)
    except OSError:
        return False


MAX_OWNED_JSON = 64 * 1024 * 1024  # a report or plan autoscore wrote is far smaller: a larger file is not read


def _small_json(path: Path) -> object:
    import json

    try:
        if not path.is_file() or path.stat().st_size > MAX_OWNED_JSON:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
