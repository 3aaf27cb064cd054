"""Feature → plan rules, overrides, and the plan's JSON round trip."""
from __future__ import annotations

import json

import pytest

from autoscore_video import analysis
from autoscore_video.common import jsonio
from autoscore_video.common.errors import InputError
from autoscore_video.generation.symbolic.banks import usable_banks
from autoscore_video.scoring import Preferences, apply_overrides, load_plan, plan
from autoscore_video.scoring.planning import rules


@pytest.fixture(scope="module")
def calm_features(calm_clip):
    return analysis.analyze(calm_clip.path)


@pytest.fixture(scope="module")
def energetic_features(energetic_clip):
    return analysis.analyze(energetic_clip.path)


def test_calm_plan_is_slower_and_lower_energy(calm_features, energetic_features):
    calm, energetic = plan(calm_features), plan(energetic_features)
    assert calm.bpm < energetic.bpm
    assert calm.brief.energy < energetic.brief.energy
    assert calm.brief.mode == "minor" and energetic.brief.mode == "major"
    assert calm.brief.target_duration == calm_features.duration
    assert calm.brief.cuts_to_hit == calm_features.cuts.times
    assert calm.rationale and all(isinstance(line, str) for line in calm.rationale)


def test_speech_makes_the_arrangement_sparser(calm_features):
    assert plan(calm_features).brief.sections[0].density < 1.0
    assert rules.density_for(0.0) == 1.0 > rules.density_for(0.3) > rules.density_for(0.6)


def test_rules_are_monotonic_in_cut_rate_and_saturation():
    rates = [0, 2, 5, 10, 20, 40, 80, 200]
    bpms = [rules.bpm_for(r, "uplifting") for r in rates]
    assert bpms == sorted(bpms) and bpms[0] < bpms[-1]
    energies = [rules.energy_for(s, 10) for s in (0.0, 0.2, 0.4, 0.6, 0.8)]
    assert energies == sorted(energies) and energies[0] < energies[-1]


def test_overrides_win_over_every_rule(energetic_features):
    prefs = Preferences(bpm=90, mood="melancholic", genre="cinematic", prompt="solo cello", seed=42,
                        preset="broadcast")
    p = plan(energetic_features, prefs)
    assert p.bpm == 90 and p.brief.sections[0].bpm == 90
    assert p.brief.sections[0].mood == "melancholic" and p.brief.mode == "minor"
    # grief is played still: cinematic's band without its percussion
    assert p.brief.genre == "cinematic"
    assert p.brief.sections[0].instrumentation == rules.instruments_for("cinematic", "melancholic", 0.0)
    assert p.brief.prompt == "solo cello" and p.seed == 42
    assert p.mix.target_lufs == -23.0


@pytest.mark.parametrize("given", [{"bpm": 10}, {"mood": "angry"}, {"genre": "polka"}, {"engine": "nope"},
                                   {"fallback": "nope"}, {"lufs": -3.0}, {"preset": "radio"}, {"device": "tpu"},
                                   {"candidates": 0}])
def test_bad_overrides_are_refused_when_made(given):
    """Preferences that exist are valid: a bad value is refused where the Preferences is made (the CLI, the API),
    by the one check that owns it, before any work."""
    with pytest.raises(InputError):
        Preferences.of(**given)


def test_plan_json_round_trip_and_edit(tmp_path, calm_features):
    original = plan(calm_features)
    path = tmp_path / "plan.json"
    path.write_text(jsonio.dumps(original))
    loaded = load_plan(path)
    assert jsonio.to_jsonable(loaded) == jsonio.to_jsonable(original)

    data = json.loads(path.read_text())
    for point in data["brief"]["tempo_map"]:
        point["bpm"] = 101  # an int where a float is expected, as a person would type it
    data["brief"]["sections"][0]["instrumentation"] = ["piano", "drums"]
    path.write_text(json.dumps(data))
    edited = load_plan(path)
    assert edited.bpm == 101.0 and edited.brief.sections[0].instrumentation == ["piano", "drums"]
    assert all(s.bpm == 101.0 for s in edited.brief.sections)  # the edited map wins; the sections say so

    overridden = apply_overrides(edited, Preferences(bpm=120, seed=7))
    assert overridden.bpm == 120 and overridden.seed == 7 and "120 BPM" in overridden.brief.prompt


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("brief"), "brief"),
    (lambda d: d["brief"].update(seed="seven"), "seed"),
    (lambda d: d.update(version=99), "version"),
    (lambda d: d["mix"].update(preset="cinema"), "preset"),
])
def test_malformed_plans_are_input_errors(tmp_path, calm_features, mutate, message):
    data = jsonio.to_jsonable(plan(calm_features))
    mutate(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message):
        load_plan(path)


def test_plan_that_is_not_json(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{ not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_plan(path)


def _as_version_2(data: dict) -> dict:
    """A plan as version 2 wrote it: a field of options per engine, the fallback by name."""
    engine = data["engine"]
    fallback = engine["fallback"]
    data["engine"] = {"name": engine["name"], "fallback": fallback and fallback["name"],
                      engine["name"]: engine["options"]}
    if fallback:
        data["engine"][fallback["name"]] = fallback["options"]
    data["version"] = 2
    return data


def test_a_version_1_plan_still_loads_and_its_copy_of_the_options_is_dropped(tmp_path, calm_features):
    data = _as_version_2(json.loads(jsonio.dumps(plan(calm_features, Preferences.of(engine="musicgen",
                                                                                    model="medium")))))
    data["version"] = 1
    data["brief"]["engine_options"] = {"model": "large", "device": "cpu"}  # the copy version 1 plans carried
    path = tmp_path / "old.plan.json"
    path.write_text(json.dumps(data))
    loaded = load_plan(path)
    assert loaded.version == 3 and loaded.engine.name == "musicgen" and loaded.engine.options.model == "medium"


def test_a_version_2_plan_loads_with_each_engine_s_options_where_version_3_keeps_them(tmp_path, calm_features):
    written = plan(calm_features, Preferences.of(engine="musicgen", model="medium", candidates=3,
                                                 fallback="symbolic", soundfont=str(usable_banks()[-1].path)))
    data = _as_version_2(json.loads(jsonio.dumps(written)))
    assert data["engine"]["musicgen"]["candidates"] == 3 and data["engine"]["fallback"] == "symbolic"
    path = tmp_path / "v2.plan.json"
    path.write_text(json.dumps(data))
    loaded = load_plan(path)
    assert loaded.version == 3 and loaded.engine == written.engine
    assert loaded.engine.fallback.options.soundfont == str(usable_banks()[-1].path)
    data["engine"]["symbolc"] = {}
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="symbolc"):
        load_plan(path)


@pytest.mark.parametrize("edit, field", [
    (lambda p: p["mix"].update(target_lufs=-2.0), "-2.0"),
    (lambda p: p["engine"].update(name="nope"), "nope"),
    (lambda p: p["brief"].update(tempo_typo=[]), "tempo_typo"),
    (lambda p: p["brief"]["sections"][0].update(bpm="fast"), "bpm"),
])
def test_an_edited_plan_is_checked_once_on_the_way_in(tmp_path, calm_features, edit, field):
    data = json.loads(jsonio.dumps(plan(calm_features)))
    edit(data)
    path = tmp_path / "edited.plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=field):
        load_plan(path)
