"""The musicgen engine on a tiny random MusicGen saved with save_pretrained and loaded like a real one."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

torch = pytest.importorskip("torch", reason="the musicgen extra is not installed: pip install '.[musicgen]'")
pytest.importorskip("transformers", reason="the musicgen extra is not installed: pip install '.[musicgen]'")

from autoscore_video.common.errors import ModelError  # noqa: E402
from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint, render, render_with_fallback  # noqa: E402
from autoscore_video.generation.musicgen import engine as engine_module  # noqa: E402
from autoscore_video.generation.musicgen import loader, random_model  # noqa: E402
from autoscore_video.generation.musicgen.options import MusicGenOptions  # noqa: E402
from tests.conftest import run_cli  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return random_model.save(tmp_path_factory.mktemp("models") / "tiny-musicgen")


def options(model: str, **given) -> MusicGenOptions:
    return MusicGenOptions(model=model, device="cpu", **given)


def brief(duration: float) -> MusicBrief:
    sections = [BriefSection(0.0, duration / 2, 120.0, "C", "major", 0.7, "joyful", ["piano"], prompt="joyful pop"),
                BriefSection(duration / 2, duration, 120.0, "C", "major", 0.7, "calm", ["piano"],
                             prompt="calm ambient")]
    return MusicBrief(sections=sections, tempo_map=[TempoPoint(0.0, 120.0)], key="C", mode="major", energy=0.7,
                      genre="pop", prompt="joyful pop", seed=3, target_duration=duration, cuts_to_hit=[1.0, 2.5])


def test_renders_at_the_model_rate_and_length(tiny_model, tmp_path):
    track = render(brief(4.0), tmp_path, engine="musicgen", options=options(str(tiny_model)))
    audio, rate = soundfile.read(track.audio_path)
    assert rate == 32000 == track.sample_rate
    assert len(audio) / rate == pytest.approx(4.0 + engine_module.TAIL_S, abs=0.02)
    assert np.isfinite(audio).all() and np.abs(audio).max() > 0
    assert track.engine == "musicgen" and track.model_id == str(tiny_model.resolve())
    assert track.bpm > 0 and track.beats == sorted(track.beats)


def test_loaded_once_per_process(tiny_model):
    first = loader.load(str(tiny_model), "cpu")
    assert loader.load(str(tiny_model), "cpu") is first


def test_three_windows_through_windowed_continuation(tiny_model, tmp_path, monkeypatch):
    calls = []
    model = loader.load(str(tiny_model), "cpu").model
    original = model.generate

    def spy(**kwargs):
        calls.append(kwargs.get("decoder_input_ids"))
        return original(**kwargs)

    monkeypatch.setattr(model, "generate", spy)
    track = render(brief(52.0), tmp_path, engine="musicgen", options=options(str(tiny_model)))
    audio, rate = soundfile.read(track.audio_path)
    assert len(audio) / rate == pytest.approx(52.0 + engine_module.TAIL_S, abs=0.02)
    assert len(calls) >= 3
    assert calls[0] is None  # the first window starts from text alone
    assert all(c is not None and c.shape[-1] == 10 * 50 for c in calls[1:])  # later ones from the last 10 s of codes
    assert engine_module.plan_windows(3550, 1500, 500) == [(0, 1500), (1000, 2500), (2000, 3500), (3000, 3550)]


def test_candidates_are_batched_and_all_kept(tiny_model, tmp_path, monkeypatch):
    sizes = []
    model = loader.load(str(tiny_model), "cpu").model
    original = model.generate

    def spy(**kwargs):
        sizes.append(kwargs["input_ids"].shape[0])
        return original(**kwargs)

    monkeypatch.setattr(model, "generate", spy)
    track = render(brief(3.0), tmp_path, engine="musicgen", options=options(str(tiny_model), candidates=3))
    assert sizes == [3]  # one generate call for three candidates
    assert len(track.candidates) == 3 and track.audio_path == track.candidates[0]
    audios = [soundfile.read(path)[0] for path in track.candidates]
    assert not np.array_equal(audios[0], audios[1]) and not np.array_equal(audios[1], audios[2])


def test_out_of_memory_ladder(tiny_model, tmp_path, monkeypatch):
    """batch halves, then the next smaller model, then (through the fallback) the symbolic engine."""
    tiny = loader.load(str(tiny_model), "cpu")
    loaded_names = []
    attempts = []

    def fake_load(name, device="auto"):
        loaded_names.append(name)
        return tiny

    original = tiny.model.generate

    def flaky_generate(**kwargs):
        batch = kwargs["input_ids"].shape[0]
        attempts.append((loaded_names[-1], batch))
        if loaded_names[-1] == "medium" or batch > 1:
            raise torch.cuda.OutOfMemoryError("simulated")
        return original(**kwargs)

    monkeypatch.setattr(loader, "load", fake_load)
    monkeypatch.setattr(loader, "forget", lambda *a: None)
    monkeypatch.setattr(tiny.model, "generate", flaky_generate)
    track = render(brief(2.0), tmp_path, engine="musicgen", options=options("medium", candidates=2))
    # medium at batch 2, then batch 1, then small at batch 1 for each of the two candidates
    assert attempts == [("medium", 2), ("medium", 1), ("small", 1), ("small", 1)]
    assert any("medium at batch 2" in n for n in track.notes)
    assert any("retrying with small at batch 1" in n for n in track.notes)

    def always_oom(**kwargs):
        raise torch.cuda.OutOfMemoryError("simulated")

    monkeypatch.setattr(tiny.model, "generate", always_oom)
    with pytest.raises(ModelError, match="out of GPU memory"):
        render(brief(2.0), tmp_path / "again", engine="musicgen", options=options("medium"))
    track = render_with_fallback(brief(2.0), tmp_path / "fallback", engine="musicgen", options=options("medium"),
                                 fallback="symbolic")
    assert track.engine == "symbolic" and "musicgen engine failed" in track.notes[0]


def offline_env(tmp_path) -> dict:
    return {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_CACHE": str(tmp_path / "hf-home/hub")}


def test_offline_without_weights_says_what_to_do(tmp_path, silent_clip):
    result = run_cli("score", str(silent_clip.path), "-o", str(tmp_path / "out.mp4"), "--engine", "musicgen",
                     "--model", "small", env=offline_env(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "autoscore models pull small" in result.stderr and "--model /path" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.glob("out*"))

    result = run_cli("score", str(silent_clip.path), "-o", str(tmp_path / "out.mp4"), "--engine", "musicgen",
                     "--model", "small", "--fallback", "symbolic", "--json", env=offline_env(tmp_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["engine"]["name"] == "symbolic"
    assert any("musicgen engine failed" in note for note in report["notes"])


def test_models_command_lists_the_catalogue(tmp_path):
    result = run_cli("models", "--json", env=offline_env(tmp_path))
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    names = {m["name"]: m for m in listing["models"]}
    assert set(names) >= {"small", "medium", "large", "melody"}
    assert names["small"]["present"] is False and names["small"]["vram_gb"] < names["large"]["vram_gb"]
    engines = {e["name"]: e for e in listing["engines"]}
    assert engines["musicgen"]["commercial_use"] is False and "CC-BY-NC" in engines["musicgen"]["licence"]
    assert engines["symbolic"]["commercial_use"] is True and engines["symbolic"]["flags"] == ["--soundfont"]
    pulled = run_cli("models", "pull", "small", env=offline_env(tmp_path))
    assert pulled.returncode == 1 and "HF_HUB_OFFLINE" in pulled.stderr


def test_score_end_to_end_with_the_tiny_model(tiny_model, tmp_path, silent_clip):
    out = tmp_path / "scored.mp4"
    result = run_cli("score", str(silent_clip.path), "-o", str(out), "--engine", "musicgen", "--model",
                     str(tiny_model), "--device", "cpu", "--candidates", "2", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["engine"]["name"] == "musicgen" and report["engine"]["model_id"] == str(tiny_model.resolve())
    assert out.is_file() and report["output_duration"] == pytest.approx(report["duration"], abs=1 / 30)
    assert {"candidate_1", "candidate_2"} <= set(report["outputs"])
    assert all(Path(report["outputs"][k]).is_file() for k in ("candidate_1", "candidate_2", "music_wav"))
    assert "midi" not in report["outputs"]
    assert report["mix"]["integrated_lufs"] == pytest.approx(-14.0, abs=0.5)
    # what MusicGen makes is marked non-commercial: in the report, its notes and the MP3's comment
    assert report["engine"]["commercial_use"] is False and "CC-BY-NC" in report["engine"]["licence"]
    assert report["notes"][0].startswith("NOT FOR COMMERCIAL USE")
    from mutagen.mp3 import MP3

    comment = [str(f) for k, f in MP3(report["outputs"]["music_mp3"]).tags.items() if k.startswith("COMM")][0]
    assert "licence=CC-BY-NC-4.0" in comment and comment.endswith("NOT FOR COMMERCIAL USE")


def test_a_hand_edited_plan_chooses_the_engine_and_its_options(tiny_model, tmp_path, silent_clip):
    """plan.json holds the engine's options once, in `engine`; what a person writes there is what renders, and
    a value no engine can use is one line naming the field."""
    plan_path = tmp_path / "clip.plan.json"
    assert run_cli("plan", str(silent_clip.path), "-o", str(plan_path)).returncode == 0
    plan = json.loads(plan_path.read_text())
    assert "engine_options" not in plan["brief"] and plan["engine"]["name"] == "symbolic"
    plan["engine"]["name"] = "musicgen"
    plan["engine"]["options"] = {"model": str(tiny_model), "device": "cpu", "candidates": 2}
    plan_path.write_text(json.dumps(plan))
    out = tmp_path / "edited.mp4"
    result = run_cli("score", str(silent_clip.path), "--plan", str(plan_path), "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["engine"]["name"] == "musicgen" and report["engine"]["model_id"] == str(tiny_model.resolve())
    assert {"candidate_1", "candidate_2"} <= set(report["outputs"])
    written = json.loads((tmp_path / "edited.plan.json").read_text())
    assert written["engine"]["options"]["candidates"] == 2 and "engine_options" not in written["brief"]

    plan["engine"]["options"]["device"] = "tpu"
    plan_path.write_text(json.dumps(plan))
    refused = run_cli("score", str(silent_clip.path), "--plan", str(plan_path), "-o", str(tmp_path / "no.mp4"))
    assert refused.returncode == 1 and "tpu" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no.mp4").exists()
