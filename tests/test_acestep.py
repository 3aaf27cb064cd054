"""The acestep engine on the CPU with a tiny random ACE-Step pipeline (diffusers' and transformers' own classes,
saved with save_pretrained, loaded through the users' path): it follows the plan, its length is exact to the
sample at 48 kHz stereo, and a missing model is one line with the symbolic engine as the fallback."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from autoscore_video.generation.acestep import loader
from autoscore_video.generation.acestep.engine import AceStepEngine
from autoscore_video.generation.acestep.options import AceStepOptions
from autoscore_video.generation.acestep.request import INSTRUMENTAL, request_for
from autoscore_video.scoring import Preferences, plan
from samples.make_samples import ClipSpec, make_clip
from tests.conftest import Clip, run_cli

pytest.importorskip("diffusers")


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory):
    from autoscore_video.generation.acestep import random_model

    return random_model.save(tmp_path_factory.mktemp("acestep") / "tiny")


@pytest.fixture(scope="module")
def forty_s_clip(tmp_path_factory) -> Clip:
    spec = ClipSpec(shots=[6.0, 4.5, 7.0, 5.5, 8.0, 9.0], saturation=0.9, audio="none", size=(320, 180))
    return Clip(make_clip(tmp_path_factory.mktemp("clip") / "forty.mp4", spec), spec)


class Recorded:
    """The loaded pipeline, run for real, with what each call was given kept."""

    def __init__(self, pipe):
        self.pipe, self.calls = pipe, []

    def __call__(self, **given):
        self.calls.append(given)
        return self.pipe(**given)


@pytest.mark.parametrize("mode", ["cover", "text2music"])
def test_a_40_s_clip_is_scored_with_the_length_exact_to_the_sample_at_48_khz_stereo(tiny_pipeline, forty_s_clip,
                                                                                     tmp_path, mode):
    out = tmp_path / "forty.scored.mp4"
    scored = run_cli("score", str(forty_s_clip.path), "-o", str(out), "--engine", "acestep", "--model",
                     str(tiny_pipeline), "--mode", mode, "--json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["engine"]["name"] == "acestep" and report["engine"]["model_id"].endswith(f"({mode})")
    music, rate = soundfile.read(report["outputs"]["music_wav"])
    assert rate == 48000 and music.shape == (round(report["duration"] * 48000), 2)
    assert report["output_duration"] == pytest.approx(report["duration"], abs=1 / 30)
    written = json.loads((tmp_path / "forty.plan.json").read_text())["engine"]
    assert written["name"] == "acestep" and written["options"]["mode"] == mode
    assert "Loading" not in scored.stderr and "Warning" not in scored.stderr, scored.stderr


def test_a_cover_is_given_the_symbolic_render_and_the_plan_s_bpm_key_and_time_signature(tiny_pipeline, calm_clip,
                                                                                        tmp_path, monkeypatch):
    from autoscore_video import analysis

    score_plan = plan(analysis.analyze(calm_clip.path), Preferences(bpm=96, mood="calm"))
    brief = score_plan.brief
    loaded = loader.load(str(tiny_pipeline), "cpu", "off")
    recorded = Recorded(loaded.pipe)
    monkeypatch.setattr(loaded, "pipe", recorded)
    track = AceStepEngine().render(brief, tmp_path, options=AceStepOptions(model=str(tiny_pipeline), device="cpu",
                                                                           candidates=2))
    (call,) = recorded.calls  # both candidates in one batch
    source, rate = soundfile.read(tmp_path / "source" / "music.wav", dtype="float32")
    assert rate == 48000 and call["task_type"] == "cover"
    np.testing.assert_array_equal(call["src_audio"].numpy().T, source)
    request = request_for(brief)
    assert (call["bpm"], call["keyscale"], call["timesignature"]) == (96, f"{brief.key} {brief.mode}", "4")
    assert call["prompt"] == [brief.prompt] * 2 and call["lyrics"] == [request.lyrics] * 2
    assert request.lyrics.count(INSTRUMENTAL) == len(brief.sections)
    assert [g.initial_seed() for g in call["generator"]] == [brief.seed, brief.seed + 1]
    assert track.grid == "planned" and len(track.candidates) == 2 and track.final_hit is not None


def test_offline_without_the_model_is_one_line_and_the_symbolic_fallback_still_scores(tmp_path, silent_clip):
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": str(tmp_path / "hf/hub")}
    failed = run_cli("score", str(silent_clip.path), "-o", str(tmp_path / "a.mp4"), "--engine", "acestep", env=env)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert "autoscore models pull acestep-xl-turbo" in failed.stderr and not (tmp_path / "a.mp4").exists()
    fallen = run_cli("score", str(silent_clip.path), "-o", str(tmp_path / "b.mp4"), "--engine", "acestep",
                     "--fallback", "symbolic", "--json", env=env)
    assert fallen.returncode == 0, fallen.stderr
    report = json.loads(fallen.stdout)
    assert report["engine"]["name"] == "symbolic" and report["notes"][0].startswith("acestep engine failed")
