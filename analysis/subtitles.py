"""Subtitle cues from an explicit file, a sidecar next to the video, or an embedded text stream."""
from __future__ import annotations

from pathlib import Path

from autoscore_video.analysis.features import SubtitleCue, SubtitleFeatures
from autoscore_video.analysis.sentiment import detect_language, sentiment
from autoscore_video.common.errors import InputError
from autoscore_video.common.files import read_text_input
from autoscore_video.common.media import MediaInfo, run_ffmpeg

SIDECAR_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt")


def find_sidecar(video: Path) -> Path | None:
    """`clip.srt`, then language-tagged `clip.en.srt` style names, in suffix order."""
    for suffix in SIDECAR_SUFFIXES:
        exact = video.with_suffix(suffix)
        if exact.is_file():
            return exact
    for suffix in SIDECAR_SUFFIXES:
        tagged = sorted(p for p in video.parent.glob(f"{_glob_escape(video.stem)}.*{suffix}") if p.is_file())
        if tagged:
            return tagged[0]
    return None


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def load_subtitles(video: Path, info: MediaInfo, explicit: Path | None, use_sidecar: bool = True) -> SubtitleFeatures:
    notes: list[str] = []
    if explicit is not None:
        return _features(f"file:{explicit}", _within(read_subtitle_file(explicit), info.duration, notes), notes)
    sidecar = find_sidecar(video) if use_sidecar else None
    if sidecar is not None:
        return _features(f"sidecar:{sidecar}", _within(read_subtitle_file(sidecar), info.duration, notes), notes)
    for stream in info.subtitle_streams:
        if not stream.is_text:
            notes.append(f"embedded stream {stream.index} ({stream.codec}) is bitmap subtitles; skipped")
            continue
        events = _within(_embedded_events(video, stream.index), info.duration, notes)
        if events:
            return _features(f"embedded:{stream.index}", events, notes)
        notes.append(f"embedded stream {stream.index} ({stream.codec}) has no events")
    return SubtitleFeatures(source=None, cues=[], mean_sentiment=None, languages=[], notes=notes)


def read_subtitle_file(path: Path) -> list[tuple[float, float, str]]:
    data = read_text_input(path, "subtitle file")
    text = decode_text(data, path)
    fmt = {".srt": "srt", ".ass": "ass", ".ssa": "ssa", ".vtt": "vtt"}.get(path.suffix.lower())
    events = _parse(text, fmt, str(path))
    if not events and text.strip():
        raise InputError(f"{path}: no subtitle cues could be read (not a .srt/.ass/.vtt file?)")
    return events


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or UTF-16 by BOM; otherwise the encoding charset-normalizer finds."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"{path}: subtitles are not text in any encoding autoscore recognises")
    return str(best)


def _parse(text: str, fmt: str | None, what: str) -> list[tuple[float, float, str]]:
    import pysubs2

    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt) if fmt else pysubs2.SSAFile.from_string(text)
    except Exception as exc:  # pysubs2 raises a variety of parse errors; all mean "unreadable"
        raise InputError(f"{what}: cannot read subtitles ({type(exc).__name__}: {exc})") from exc
    events = []
    for event in subs:
        if event.is_comment:
            continue
        plain = " ".join(event.plaintext.split())
        if plain and event.end > event.start:
            events.append((event.start / 1000.0, event.end / 1000.0, plain))
    return sorted(events)


def _embedded_events(video: Path, stream_index: int) -> list[tuple[float, float, str]]:
    ass = run_ffmpeg(["-i", str(video), "-map", f"0:{stream_index}", "-f", "ass", "-"],
                     what=f"reading subtitle stream {stream_index} of {video}")
    return _parse(ass.decode("utf-8", "replace"), "ass", f"{video} stream {stream_index}")


def _within(events: list[tuple[float, float, str]], duration: float,
            notes: list[str]) -> list[tuple[float, float, str]]:
    """The cues the picture shows: a subtitle file for a longer cut (or a 50 MB one) is not scored past the end."""
    kept = [e for e in events if e[0] < duration]
    if len(kept) < len(events):
        notes.append(f"{len(events) - len(kept)} subtitle cue(s) start after the video ends; ignored")
    return kept


def _features(source: str, events: list[tuple[float, float, str]], notes: list[str]) -> SubtitleFeatures:
    cues = []
    for start, end, text in events:
        language = detect_language(text)
        cues.append(SubtitleCue(start=round(start, 3), end=round(end, 3), text=text, language=language,
                                sentiment=sentiment(text, language)))
    scored = [(c.end - c.start, c.sentiment) for c in cues if c.sentiment is not None]
    weight = sum(w for w, _ in scored)
    mean = round(sum(w * s for w, s in scored) / weight, 4) if weight > 0 else None
    languages = sorted({c.language for c in cues})
    return SubtitleFeatures(source=source, cues=cues, mean_sentiment=mean, languages=languages, notes=notes)
