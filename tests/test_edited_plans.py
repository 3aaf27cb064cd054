"""An edited plan is rendered as written, or refused in one line naming the field; a flag changes only what it
names; an existing file autoscore did not write is not replaced without --overwrite."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pretty_midi
import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def planned(silent_clip, tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("edited")
    clip = folder / "clip.mp4"
    shutil.copyfile(silent_clip.path, clip)
    done = run_cli("plan", str(clip), "-o", str(folder / "plan.json"), "--bpm", "72")
    assert done.returncode == 0, done.stderr
    return clip, json.loads((folder / "plan.json").read_text())


def _write(folder: Path, plan: dict, name: str = "edited.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(plan))
    return path


def test_edited_section_tempo_is_what_renders(planned, tmp_path):
    clip, plan = planned
    assert plan["brief"]["sections"][0]["bpm"] == pytest.approx(72, abs=0.5)
    plan["brief"]["sections"][0]["bpm"] = 140
    out = tmp_path / "out.mp4"
    done = run_cli("score", str(clip), "--plan", str(_write(tmp_path, plan)), "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    first = plan["brief"]["sections"][0]
    assert report["marks"]["sections"][0]["bpm"] == 140
    # the MIDI the engine played, and the plan written beside the output, say 140 over the first section
    midi = pretty_midi.PrettyMIDI(str(tmp_path / "out.music.mid"))
    times, tempi = midi.get_tempo_changes()
    assert tempi[0] == pytest.approx(140, abs=0.5)
    if len(plan["brief"]["sections"]) == 1:
        assert report["rendered_bpm"] == pytest.approx(140, abs=1)
    written = json.loads((tmp_path / "out.plan.json").read_text())
    assert written["brief"]["tempo_map"][0] == {"time": first["start"], "bpm": 140, "bar": True}
    assert any("brief.sections.0.bpm 140" in line for line in written["rationale"])


@pytest.mark.parametrize("field, value, named", [
    (("brief", "genre"), "metal", "brief.genre: unknown genre 'metal'"),
    (("brief", "sections", 0, "mood"), "furious", "brief.sections.0.mood: unknown mood 'furious'"),
    (("brief", "sections", 0, "key"), "H", "brief.sections.0.key: unknown key 'H'"),
    (("brief", "sections", 0, "bpm"), 400, "brief.sections.0.bpm: BPM 400.0 is outside 40..240"),
    (("brief", "sections", 0, "instrumentation", 0), "kazoo", "brief.sections.0.instrumentation.0: unknown "
                                                               "instrument 'kazoo'"),
])
def test_a_plan_value_no_engine_plays_is_refused_naming_it(planned, tmp_path, field, value, named):
    clip, plan = planned
    plan = json.loads(json.dumps(plan))
    target = plan
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    out = tmp_path / "out.mp4"
    done = run_cli("score", str(clip), "--plan", str(_write(tmp_path, plan)), "-o", str(out))
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("autoscore: error: plan ") and named in line
    assert not list(tmp_path.glob("out*"))


def test_a_preset_flag_changes_the_target_and_keeps_the_edited_mix(planned, tmp_path):
    clip, plan = planned
    plan = json.loads(json.dumps(plan))
    plan["mix"].update(duck_depth_db=20.0, true_peak_db=-2.0, fade_out_s=1.0)
    done = run_cli("score", str(clip), "--plan", str(_write(tmp_path, plan)), "--preset", "broadcast",
                   "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    mix = json.loads(done.stdout)["plan"]["mix"]
    assert (mix["preset"], mix["target_lufs"]) == ("broadcast", -23.0)
    assert (mix["duck_depth_db"], mix["true_peak_db"], mix["fade_out_s"]) == (20.0, -2.0, 1.0)


def test_an_existing_file_autoscore_did_not_write_is_kept_without_overwrite(silent_clip, tmp_path):
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(silent_clip.path, clip)
    mine = tmp_path / "mine.mp4"
    mine.write_bytes(b"an editor's own export")
    refused = run_cli("score", str(clip), "-o", str(mine))
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"autoscore: error: {mine}: exists and was not written by autoscore; use --overwrite (-y) to replace it"]
    assert mine.read_bytes() == b"an editor's own export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "mine.mp4"]

    assert run_cli("score", str(clip), "-o", str(mine), "-y").returncode == 0
    assert mine.read_bytes() != b"an editor's own export"
    # its own outputs are replaced without a word, and a plan `autoscore plan` wrote is one of them
    assert run_cli("score", str(clip), "-o", str(mine)).returncode == 0
    assert run_cli("plan", str(clip)).returncode == 0
    done = run_cli("score", str(clip))
    assert done.returncode == 0, done.stderr
