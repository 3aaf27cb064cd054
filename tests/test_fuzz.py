"""Property-based fuzzing (hypothesis) of the two readers that take arbitrary user files: subtitles and
plan JSON. Whatever the bytes, the only exception allowed out is the project's own (AutoscoreError),
which the CLI turns into one line.

CI runs a fixed, derandomised set; a deeper random run: `HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py`.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from autoscore_video.analysis.subtitles import _features, read_subtitle_file  # noqa: E402
from autoscore_video.common.errors import AutoscoreError  # noqa: E402
from autoscore_video.scoring.planning.score_plan import load_plan  # noqa: E402
from tests.conftest import run_cli  # noqa: E402

settings.register_profile("ci", max_examples=150, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SRT = ("1\n00:00:01,000 --> 00:00:02,500\nWhat a <i>wonderful</i> day!\n\n"
       "2\n00:00:03,000 --> 00:00:04,000\n今天天气很好\n\n")
ASS = ("[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
       "MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\b1\\pos(1,2)}Happy {\\i1}day\n")


@st.composite
def mutated(draw, base: str) -> bytes:
    """A valid file with random edits: characters replaced, inserted or deleted, lines shuffled."""
    text = list(base)
    for _ in range(draw(st.integers(0, 12))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        edit = draw(st.sampled_from(["replace", "insert", "delete"]))
        char = draw(st.characters())
        if edit == "replace":
            text[at] = char
        elif edit == "insert":
            text.insert(at, char)
        else:
            del text[at]
    out = "".join(text)
    if draw(st.booleans()):
        lines = out.split("\n")
        out = "\n".join(draw(st.permutations(lines)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gbk", "latin-1"]))
    return out.encode(encoding, errors="replace")


subtitle_bytes = st.one_of(st.binary(max_size=4000), mutated(SRT), mutated(ASS),
                           st.text(max_size=2000).map(lambda t: t.encode("utf-8", errors="replace")))


def check_events(events) -> None:
    for start, end, text in events:
        assert math.isfinite(start) and math.isfinite(end) and end > start and isinstance(text, str) and text


@given(data=subtitle_bytes, suffix=st.sampled_from([".srt", ".ass", ".ssa", ".vtt", ".sub"]))
def test_subtitle_reader_raises_only_its_own_errors(tmp_path, data, suffix):
    path = tmp_path / f"clip{suffix}"
    path.write_bytes(data)
    try:
        events = read_subtitle_file(path)
    except AutoscoreError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc).strip()
        return
    check_events(events)
    _features(str(path), events, [])  # sentiment over whatever text came out (VADER, the Chinese lexicon)


@pytest.fixture(scope="module")
def valid_plan(tmp_path_factory, calm_clip) -> dict:
    folder = tmp_path_factory.mktemp("plan")
    out = folder / "calm.plan.json"
    result = run_cli("plan", str(calm_clip.path), "--output", str(out))
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


def paths_of(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths_of(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from paths_of(child, (*prefix, i))


@st.composite
def mutated_plan(draw, plan: dict):
    data = json.loads(json.dumps(plan))
    locations = [p for p in paths_of(data) if p]
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(locations))
        parent = data
        try:
            for key in where[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(where[-1], None)
            else:
                parent[where[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    return data


def _load(tmp_path: Path, text: str):
    path = tmp_path / "edited.plan.json"
    path.write_text(text, encoding="utf-8")
    try:
        return load_plan(path)
    except AutoscoreError as exc:
        assert "\n" not in str(exc).strip()
        return None


@given(data=st.data())
def test_plan_loader_raises_only_its_own_errors_on_edited_plans(tmp_path, valid_plan, data):
    _load(tmp_path, json.dumps(data.draw(mutated_plan(valid_plan))))


@given(text=st.one_of(st.text(max_size=500), json_values.map(json.dumps)))
def test_plan_loader_raises_only_its_own_errors_on_any_text(tmp_path, text):
    _load(tmp_path, text)


def test_the_unedited_plan_loads(tmp_path, valid_plan):
    assert _load(tmp_path, json.dumps(valid_plan)) is not None
