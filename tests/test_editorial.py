"""`autoscore export`: each format written through OpenTimelineIO and read back by it: the tracks, their
durations and every marker (cuts, downbeats, section starts) to the frame."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

otio = pytest.importorskip("opentimelineio", reason="the editors extra: pip install '.[editors]'")

SUFFIX = {"otio": ".otio", "fcpxml": ".fcpxml", "edl": ".edl", "premiere-xml": ".xml"}


def read_back(path: Path, fps: float):
    if path.suffix == ".edl":  # an EDL carries no frame rate
        return otio.adapters.read_from_file(str(path), rate=fps)
    return otio.adapters.read_from_file(str(path))


def markers_of(timeline) -> list[tuple[str, float]]:
    found = []
    for clip in timeline.find_clips():
        found += [(m.name.lower(), m.marked_range.start_time.to_seconds()) for m in clip.markers]
    return sorted(found, key=lambda m: (m[1], m[0]))


def expected_marks(report: dict) -> list[tuple[str, float]]:
    marks, duration = report["marks"], report["output_duration"]
    named = [(f"cut {i}", t) for i, t in enumerate(marks["cuts"], 1)]
    named += [(f"bar {i}", t) for i, t in enumerate(marks["downbeats"], 1)]
    named += [(f"section {i}: {s['mood']}, {s['bpm']:.0f} bpm", s["start"]) for i, s in enumerate(marks["sections"], 1)]
    return sorted(((n, t) for n, t in named if 0 <= t < duration), key=lambda m: (m[1], m[0]))


@pytest.mark.parametrize("format_name", list(SUFFIX))
def test_export_round_trips_through_otio_with_markers_to_the_frame(scored_calm, tmp_path, format_name):
    scored, result = scored_calm
    report = json.loads(result.stdout)
    fps, duration = report["marks"]["fps"], report["output_duration"]
    out = tmp_path / f"edit{SUFFIX[format_name]}"
    exported = run_cli("export", str(scored.with_name(scored.stem + ".scored.mp4")), "--format", format_name,
                       "-o", str(out), "--json")
    assert exported.returncode == 0, exported.stderr
    written = json.loads(exported.stdout)
    assert written["timeline"] == str(out) and Path(written["midi"]) == tmp_path / "edit.mid"
    assert Path(written["midi"]).read_bytes()[:4] == b"MThd"
    timeline = read_back(out, fps)
    kinds = [track.kind for track in timeline.tracks]
    assert kinds.count(otio.schema.TrackKind.Video) == 1
    assert kinds.count(otio.schema.TrackKind.Audio) == (0 if format_name == "edl" else 1)
    for track in timeline.tracks:
        assert track.duration().to_seconds() == pytest.approx(duration, abs=1.0 / fps)
    [picture] = list(timeline.find_clips())[:1]
    assert "calm.scored.mp4" in (picture.media_reference.target_url or picture.name)
    got, want = dict(markers_of(timeline)), dict(expected_marks(report))
    assert {name.split()[0] for name in want} == {"cut", "bar", "section"}
    assert sorted(got) == sorted(want)
    assert max(abs(got[name] - want[name]) for name in want) <= 1.0 / fps + 1e-6


@pytest.mark.parametrize("format_name", ["otio", "premiere-xml"])
def test_export_with_the_stem_lays_the_music_on_its_own_track(scored_calm, tmp_path, format_name):
    scored, result = scored_calm
    report = json.loads(result.stdout)
    out = tmp_path / f"stem{SUFFIX[format_name]}"
    exported = run_cli("export", report["outputs"]["video"], "-f", format_name, "-o", str(out), "--with-stem")
    assert exported.returncode == 0, exported.stderr
    timeline = read_back(out, report["marks"]["fps"])
    audio = [track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Audio]
    assert len(audio) == 2
    urls = [clip.media_reference.target_url for track in timeline.tracks for clip in track.find_clips()]
    assert any(url.endswith("calm.music.wav") for url in urls)
    assert any(url.endswith("/calm.mp4") for url in urls)  # the source, not the scored video


def test_export_refuses_what_it_cannot_write(scored_calm, tmp_path):
    scored, result = scored_calm
    video = json.loads(result.stdout)["outputs"]["video"]
    for args, message in ((["-f", "aaf"], "unknown timeline format"),
                          (["-f", "edl", "-o", str(tmp_path / "x.xml")], "written as .edl")):
        refused = run_cli("export", video, *args)
        assert refused.returncode == 1 and message in refused.stderr and "Traceback" not in refused.stderr
    lone = tmp_path / "lone.mp4"
    lone.write_bytes(Path(video).read_bytes())
    refused = run_cli("export", str(lone))
    assert refused.returncode == 1 and "lone.report.json" in refused.stderr
    assert list(tmp_path.iterdir()) == [lone]  # nothing half-written
