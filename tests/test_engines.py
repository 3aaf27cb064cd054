"""Engines own their options: one registration (an EngineSpec) puts an engine's flag in the CLI's help, its option
in the API's schema and its options in plan.json, and plans of every version load into the same choice."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autoscore_video.common.errors import InputError
from autoscore_video.generation import engine_spec
from autoscore_video.scoring import Preferences
from autoscore_video.scoring.planning.planner import engine_choice

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "data" / "plugin"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> str:
    """A folder on the path holding the tone engine and the metadata that declares its entry point, as pip
    installs another package's."""
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "tone_engine.py").write_text((PLUGIN / "tone_engine.py").read_text())
    info = folder / "autoscore_tone-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: autoscore-tone\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[autoscore_video.engines]\ntone = tone_engine:ENGINE\n")
    return str(folder)


def _run(plugin_path: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([plugin_path, str(ROOT)])}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_a_third_engine_is_one_registration_its_flag_reaches_help_the_api_schema_and_the_plan(plugin_path, tmp_path):
    shown = _run(plugin_path, "-m", "autoscore_video", "score", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "--level-db" in shown.stdout and "tone: the tone's level" in shown.stdout
    assert "tone" in shown.stdout.split("--engine", 1)[1].split("--", 1)[0]

    schema = _run(plugin_path, "-c", "import json; from autoscore_video.scoring.service.schema import JobOptions; "
                                     "print(json.dumps(JobOptions.model_json_schema()))")
    assert schema.returncode == 0, schema.stderr
    properties = json.loads(schema.stdout)["properties"]
    assert {"type": "number"} in properties["level_db"]["anyOf"]
    assert "tone" in properties["engine"]["anyOf"][0]["enum"]

    plan = tmp_path / "clip.plan.json"
    planned = _run(plugin_path, "-m", "autoscore_video", "plan", "samples/calm.mp4", "--engine", "tone",
                   "--level-db", "-30", "-o", str(plan))
    assert planned.returncode == 0, planned.stderr
    assert json.loads(plan.read_text())["engine"] == {"name": "tone", "options": {"level_db": -30.0, "hz": 220.0},
                                                      "fallback": None}

    out = tmp_path / "clip.scored.mp4"
    scored = _run(plugin_path, "-m", "autoscore_video", "score", "samples/calm.mp4", "--plan", str(plan),
                  "-o", str(out), "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["engine"]["model_id"] == "tone at 220.0 Hz" and out.is_file()

    refused = _run(plugin_path, "-m", "autoscore_video", "plan", "samples/calm.mp4", "--level-db", "5")
    assert refused.returncode == 2 and "outside -60..0" in refused.stderr
    without = _run("", "-m", "autoscore_video", "plan", "samples/calm.mp4", "--engine", "tone")
    assert without.returncode == 2 and "unknown engine 'tone'" in without.stderr


def test_each_engine_takes_the_flags_it_declares_over_the_options_a_plan_holds():
    prefs = Preferences.of(engine="musicgen", model="medium", soundfont=None, fallback="symbolic")
    assert prefs.engine_options == {"model": "medium"} and prefs.engine == "musicgen"
    choice = engine_choice(prefs)
    assert choice.options.model == "medium" and choice.fallback is not None
    assert choice.fallback.options == engine_spec("symbolic").options()
    edited = engine_choice(Preferences.of(candidates=3), choice)  # a loaded plan with one more flag on top
    assert (edited.name, edited.options.model, edited.options.candidates) == ("musicgen", "medium", 3)
    assert engine_choice(Preferences.of(engine="symbolic"), choice).options == engine_spec("symbolic").options()
    assert engine_choice(Preferences.of(fallback="none"), choice).fallback is None
    for bad, says in (({"colour": "red"}, "unknown option 'colour'"), ({"candidates": "3"}, "expected a whole number"),
                      ({"device": "tpu"}, "tpu")):
        with pytest.raises(InputError, match=says):
            Preferences.of(**bad)


def test_the_api_takes_any_engine_s_catalogue_names_for_model(tmp_path):
    from autoscore_video.scoring.service.intake import allowed_model

    assert allowed_model("xl-turbo", []) == "xl-turbo"  # acestep's
    assert allowed_model("small", []) == "small"  # musicgen's
    assert allowed_model("ACE-Step/acestep-v15-xl-turbo-diffusers", []) == "ACE-Step/acestep-v15-xl-turbo-diffusers"
    with pytest.raises(InputError, match=r"\(base, large, medium, melody, sft, small, xl-turbo\)"):
        allowed_model("../weights", [])


def test_engine_auto_plays_symbolic_without_acestep_s_weights_or_a_gpu_and_says_why(tmp_path, monkeypatch, calm_clip):
    from autoscore_video import analysis
    from autoscore_video.scoring import plan

    features = analysis.analyze(calm_clip.path)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    chosen = plan(features, Preferences())  # auto is the default
    assert chosen.engine.name == "symbolic"
    assert any(line.startswith("engine symbolic (auto): ACE-Step's xl-turbo weights are not in the Hugging Face "
                               "cache") for line in chosen.rationale), chosen.rationale
    snapshot = tmp_path / "hub" / "models--ACE-Step--acestep-v15-xl-turbo-diffusers"
    (snapshot / "refs").mkdir(parents=True)
    (snapshot / "refs" / "main").write_text("0" * 40)
    (snapshot / "snapshots" / ("0" * 40)).mkdir(parents=True)
    (snapshot / "snapshots" / ("0" * 40) / "model_index.json").write_text("{}")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here: auto would choose acestep")
    again = plan(features, Preferences.of(engine="auto"))
    assert again.engine.name == "symbolic"
    assert "engine symbolic (auto): ACE-Step's weights are here, but no CUDA GPU is visible to torch" in again.rationale


@pytest.mark.parametrize("name, repo", [("acestep-xl-turbo", "ACE-Step/acestep-v15-xl-turbo-diffusers"),
                                        ("xl-turbo", "ACE-Step/acestep-v15-xl-turbo-diffusers"),
                                        ("small", "facebook/musicgen-small"), ("owner/some-model", "owner/some-model")])
def test_models_pull_finds_each_engine_s_checkpoints_by_name(name, repo, tmp_path):
    """Against a hub that refuses the connection: the one line names the repository it tried."""
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0"}
    pulled = subprocess.run([sys.executable, "-m", "autoscore_video", "models", "pull", name], capture_output=True,
                            text=True, env={**os.environ, **env}, timeout=120)
    assert pulled.returncode == 1 and f"cannot download {repo}:" in pulled.stderr, pulled.stderr


@pytest.mark.parametrize("flags, says", [(["--engine", "acestep", "--mode", "dance"], "unknown acestep mode 'dance'"),
                                         (["--engine", "acestep", "--cover-strength", "2"], "outside 0..1"),
                                         (["--engine", "acestep", "--candidates", "99"], "candidates must be in"),
                                         (["--engine", "autox"], "unknown engine 'autox'")])
def test_a_bad_engine_flag_is_one_line_and_exit_2_before_any_work(flags, says, tmp_path):
    out = tmp_path / "plan.json"
    refused = _run("", "-m", "autoscore_video", "plan", "samples/calm.mp4", "-o", str(out), *flags)
    assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_hand_edited_engine_block_is_checked_by_its_engine(tmp_path):
    plan = tmp_path / "clip.plan.json"
    assert _run("", "-m", "autoscore_video", "plan", "samples/calm.mp4", "--engine", "symbolic",
                "-o", str(plan)).returncode == 0
    data = json.loads(plan.read_text())
    data["engine"]["options"]["colour"] = "red"
    plan.write_text(json.dumps(data))
    refused = _run("", "-m", "autoscore_video", "score", "samples/calm.mp4", "--plan", str(plan), "--dry-run")
    assert refused.returncode == 1 and "colour" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
