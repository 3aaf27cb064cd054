"""The timeline of a scored clip, built from its report (pure: no file is read or written here).

One video track holding the clip; audio: the scored video's own mix, or (`with_stem`) the source's audio
and the music stem on a track of its own. Markers sit on the video clip, where every importer reads them
(EDL LOC comments, FCP 7 and FCPX clip markers): a red one at each cut, a blue one at each downbeat, a
green one at each section start, at the clip's frame rate.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CUT, DOWNBEAT, SECTION = "RED", "BLUE", "GREEN"


@dataclass(frozen=True)
class Mark:
    seconds: float
    name: str
    colour: str


def marks_of(cuts: list[float], downbeats: list[float], sections: list[dict], duration: float) -> list[Mark]:
    """Named marks in time order, those inside the clip only."""
    marks = [Mark(t, f"cut {i}", CUT) for i, t in enumerate(cuts, 1)]
    marks += [Mark(t, f"bar {i}", DOWNBEAT) for i, t in enumerate(downbeats, 1)]
    marks += [Mark(float(s["start"]), f"section {i}: {s['mood']}, {float(s['bpm']):.0f} BPM", SECTION)
              for i, s in enumerate(sections, 1)]
    return sorted((m for m in marks if 0.0 <= m.seconds < duration), key=lambda m: (m.seconds, m.colour))


def _url(path: Path) -> str:
    return path.absolute().as_uri()


def build(name: str, picture: Path, duration: float, fps: float, marks: list[Mark], *, stem: Path | None = None):
    """An `opentimelineio.schema.Timeline`: `picture` (and its audio) from 0 for `duration` s at `fps`, the
    marks on its video clip; with `stem`, the music on a second audio track."""
    import opentimelineio as otio

    frames = max(1, round(duration * fps))
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(frames, fps))

    def clip(path: Path):
        """All of `path` (the stem is fitted to the clip's length, so every file lasts `duration`)."""
        reference = otio.schema.ExternalReference(target_url=_url(path), available_range=whole)
        return otio.schema.Clip(name=path.name, media_reference=reference, source_range=whole)

    timeline = otio.schema.Timeline(name=name)
    timeline.global_start_time = otio.opentime.RationalTime(0, fps)
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    picture_clip = clip(picture)
    for mark in marks:
        at = otio.opentime.RationalTime(round(mark.seconds * fps), fps)
        picture_clip.markers.append(otio.schema.Marker(
            name=mark.name, color=mark.colour,
            marked_range=otio.opentime.TimeRange(at, otio.opentime.RationalTime(0, fps))))
    video.append(picture_clip)
    timeline.tracks.append(video)
    sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    sound.append(clip(picture))
    timeline.tracks.append(sound)
    if stem is not None:
        music = otio.schema.Track(name="A2 music", kind=otio.schema.TrackKind.Audio)
        music.append(clip(stem))
        timeline.tracks.append(music)
    return timeline
