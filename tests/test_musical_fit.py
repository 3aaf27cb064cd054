"""Musical fit, measured on the rendered audio: cuts on beats, sections where the video changes, tempo
and energy rising with the cutting, and an ending exactly at the video's end.

The ladder (samples.make_samples.ladder_specs) is scored with the symbolic engine and measured with
`autoscore evaluate`'s code: librosa's beat tracker on the music stem, cuts detected in the scored clip.
"""
from __future__ import annotations

import json
import os
import struct
import sys

import pytest

from autoscore_video.scoring import load_plan
from autoscore_video.scoring.job.evaluate import EvaluationInputs, evaluate, tempo_error
from autoscore_video.scoring.job.pipeline import ScoreOptions, score
from samples.make_samples import ladder_specs, make_clip
from tests.conftest import run_cli, shared_clip

LADDER = ladder_specs()
REGULAR = ["every-4s", "every-2s", "every-1s", "every-0.5s"]  # cut rate rising
STEADY = [*REGULAR, "calm-then-frantic"]  # cuts a tempo that steps by 3% at most can all put on beats


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    """name → (source clip, ScoreResult, Evaluation, plan)."""
    folder = tmp_path_factory.mktemp("ladder")
    scored = {}
    for name, spec in LADDER.items():
        source = make_clip(folder / f"{name}.mp4", spec)
        result = score(source, ScoreOptions())
        evaluation, _, plan = evaluate(EvaluationInputs(video=folder / f"{name}.scored.mp4"))
        scored[name] = (source, result, evaluation, plan)
    return scored


@pytest.mark.parametrize("name", list(LADDER))
def test_cuts_land_on_measured_beats_or_accents(ladder, name):
    """Measured on the stem: every cut on a tracked beat or a played accent; where the cutting is regular,
    on a tracked beat."""
    source, result, evaluation, _ = ladder[name]
    spec = LADDER[name]
    assert evaluation.cuts == len(spec.cuts), f"cut detection found {evaluation.cut_times}, made {spec.cuts}"
    assert evaluation.music_source == "stem" and evaluation.plan is not None
    assert evaluation.cut_accent_rate >= 0.90, (
        f"{name}: {evaluation.cut_accent_rate:.0%} of cuts on a tracked beat or accent; cuts "
        f"{evaluation.cut_times}, beats {evaluation.beats}")
    if name in STEADY:
        assert evaluation.cut_hit_rate >= 0.90, (
            f"{name}: {evaluation.cut_hit_rate:.0%} of cuts on a tracked beat; cuts {evaluation.cut_times}, "
            f"beats {evaluation.beats}")


@pytest.mark.parametrize("name", list(LADDER))
def test_tempo_and_length_are_as_planned(ladder, name):
    source, result, evaluation, _ = ladder[name]
    assert evaluation.max_tempo_error <= 0.02, evaluation.tempo
    assert evaluation.duration_error_s <= 1 / 30  # to the frame
    assert evaluation.music_duration_error_s <= 1e-3
    assert evaluation.integrated_lufs == pytest.approx(-14.0, abs=0.5)
    assert evaluation.true_peak_db <= -1.0 + 0.05


def test_calm_then_frantic_gets_two_contrasting_sections(ladder):
    _, _, evaluation, plan = ladder["calm-then-frantic"]
    sections = plan.brief.sections
    assert len(sections) == 2
    calm, frantic = sections
    assert calm.end == pytest.approx(16.0, abs=1 / 30)  # the change of pace, on the cut where it happens
    assert frantic.bpm > calm.bpm * 1.05 and frantic.energy > calm.energy + 0.2
    measured = {round(t.start): t.measured_bpm for t in evaluation.tempo}
    assert tempo_error(measured[16], frantic.bpm) <= 0.02 and tempo_error(measured[0], calm.bpm) <= 0.02
    # the change happens on a bar line: a planned downbeat sits on the boundary
    assert any(abs(d - calm.end) < 1e-6 for d in _planned_downbeats(plan))


def test_tempo_and_energy_do_not_fall_as_cutting_speeds_up(ladder):
    plans = [ladder[name][3] for name in REGULAR]
    planned = [p.bpm for p in plans]
    energies = [p.brief.energy for p in plans]
    assert all(later >= earlier - 0.5 for earlier, later in zip(planned, planned[1:])), planned  # fit rounding
    assert energies == sorted(energies), energies
    measured = []
    for name, bpm in zip(REGULAR, planned):
        track = ladder[name][2].tempo[0]
        # the tracker may lock at double or half tempo: fold onto the planned one
        measured.append(min((track.measured_bpm * f for f in (1.0, 2.0, 0.5)), key=lambda m: abs(m - bpm)))
    assert all(b >= a * 0.99 for a, b in zip(measured, measured[1:])), measured
    assert planned[-1] > planned[0] and energies[-1] > energies[0]


def test_evaluate_command_prints_a_table_json_and_a_timeline(ladder, tmp_path):
    source, result, _, _ = ladder["every-2s"]
    scored = source.with_name("every-2s.scored.mp4")
    png = tmp_path / "timeline.png"
    shown = run_cli("evaluate", str(scored), "--timeline", str(png))
    assert shown.returncode == 0, shown.stderr
    assert "cut-hit rate" in shown.stdout and "TBIoU" in shown.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    assert width >= 800 and height >= 500

    as_json = run_cli("evaluate", str(scored), "--json", "--no-timeline",
                      "--music", str(result.outputs["music_wav"]), "--plan", str(result.outputs["plan"]))
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["cut_hit_rate"] >= 0.9 and 0 < data["tbiou"] <= 1
    assert {"cut_downbeat_rate", "cut_accent_rate", "max_tempo_error", "integrated_lufs", "true_peak_db",
            "music_under_speech_lu", "duration_error_s"} <= set(data)


def test_evaluate_measures_a_clip_with_only_its_own_audio(ladder, tmp_path):
    """A scored clip moved away from its stem and plan: beats come from the mixed audio track."""
    source, _, _, _ = ladder["every-1s"]
    alone = tmp_path / "alone.mp4"
    alone.write_bytes(source.with_name("every-1s.scored.mp4").read_bytes())
    result = run_cli("evaluate", str(alone), "--json", "--no-timeline")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["music_source"] == "mix" and data["plan"] is None and data["cut_hit_rate"] >= 0.9
    assert any("mixed audio" in note for note in data["notes"])


def test_evaluate_rejects_bad_input_in_one_line(tmp_path, ladder):
    missing = run_cli("evaluate", str(tmp_path / "nope.mp4"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    source, _, _, _ = ladder["every-4s"]
    bad_music = tmp_path / "music.wav"
    bad_music.write_bytes(b"not audio at all")
    result = run_cli("evaluate", str(source.with_name("every-4s.scored.mp4")), "--music", str(bad_music),
                     "--no-timeline")
    assert result.returncode == 1 and "music.wav" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["testvideo.mp4", "goldeneye-vfr-drop3.mp4"])
def test_real_footage_is_scored_and_evaluated(tmp_path, name):
    source = tmp_path / name
    source.write_bytes(shared_clip(name).read_bytes())
    scored = run_cli("score", str(source), "--json")
    assert scored.returncode == 0, scored.stderr
    result = run_cli("evaluate", str(source.with_name(source.stem + ".scored.mp4")), "--json", "--no-timeline")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["duration_error_s"] <= 0.05 and data["max_tempo_error"] <= 0.02
    assert data["cuts"] >= 2 and data["cut_hit_rate"] >= 0.5


def _planned_downbeats(plan) -> list[float]:
    from autoscore_video.generation.tempo import beat_grid

    return list(beat_grid(plan.brief.tempo_map, plan.duration, plan.brief.beats_per_bar).downbeats)


def test_plan_sidecar_matches_what_was_scored(ladder):
    source, result, _, plan = ladder["irregular"]
    assert load_plan(source.with_name("irregular.plan.json")).bpm == plan.bpm == result.planned_bpm


def test_a_first_evaluation_says_that_numba_compiles_the_beat_tracker_once(ladder, tmp_path):
    """numba's cache decides: none (an empty NUMBA_CACHE_DIR) and the command says it will compile, once; a cache
    that holds the beat tracker (as numba writes it there) and it says nothing."""
    from autoscore_video.generation.beats import beat_tracker_compiled

    empty = tmp_path / "numba"
    empty.mkdir()
    os.environ["NUMBA_CACHE_DIR"] = str(empty)
    try:
        assert not beat_tracker_compiled()
        written = empty / "librosa_0123" / f"beat.__beat_track_dp-558.py{sys.version_info[0]}{sys.version_info[1]}.nbi"
        written.parent.mkdir()
        written.write_bytes(b"")
        assert beat_tracker_compiled()
    finally:
        del os.environ["NUMBA_CACHE_DIR"]
    source, _, _, _ = ladder["every-2s"]
    here = run_cli("evaluate", str(source.with_name("every-2s.scored.mp4")), "--json", "--no-timeline")
    assert here.returncode == 0 and "compiles" not in here.stderr, here.stderr  # this machine's cache is warm
    cold = tmp_path / "cold"
    cold.mkdir()
    bad = tmp_path / "bad.plan.json"
    bad.write_text("{}")
    refused = run_cli("evaluate", str(source.with_name("every-2s.scored.mp4")), "--plan", str(bad), "--no-timeline",
                      env={"NUMBA_CACHE_DIR": str(cold)})
    lines = refused.stderr.strip().splitlines()  # a bad input is one line, cold cache or not: nothing compiled
    assert refused.returncode == 1 and len(lines) == 1 and "compiles" not in refused.stderr, refused.stderr
