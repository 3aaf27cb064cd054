"""The music serves the words: the mood follows them over time, the arrangement makes room for speech, the duck
breathes with the sentences, and a quiet original stays quiet. Scored end to end on spoken, subtitled clips."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile

from autoscore_video.analysis import SubtitleCue
from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint
from autoscore_video.generation.symbolic import SymbolicEngine
from autoscore_video.generation.symbolic.composer import compose
from autoscore_video.mixing.duck import duck_envelope, held_regions, region_gain
from autoscore_video.scoring.job.musical_form import load_piece, notes_in_speech
from autoscore_video.scoring.planning import rules
from autoscore_video.scoring.planning.score_plan import load_plan
from autoscore_video.scoring.planning.word_mood import mood_boundaries, sentiment_stretches
from samples.make_samples import (
    espeak_available,
    happy_then_sad_spec,
    make_clip,
    room_tone_spec,
    voice_over_spec,
)
from tests.conftest import run_cli
from tests.measure import audio_of, lufs, pause_rises_db

RATE = 48000


def needs_espeak():
    if not espeak_available():
        pytest.skip("espeak-ng is not installed: no real speech (apt-get install espeak-ng)")


def scored(folder: Path, name: str, spec) -> tuple[Path, dict]:
    clip = make_clip(folder / f"{name}.mp4", spec)
    result = run_cli("score", str(clip), "-o", str(folder / f"{name}.scored.mp4"), "--json")
    assert result.returncode == 0, result.stderr
    return folder / name, json.loads(result.stdout)  # the companions: name.plan.json, name.music.wav ...


def speech_of(clip: Path) -> list[tuple[float, float]]:
    result = run_cli("analyze", str(clip), "--json")
    assert result.returncode == 0, result.stderr
    return [(r["start"], r["end"]) for r in json.loads(result.stdout)["speech"]["regions"]]


@pytest.fixture(scope="module", params=["en", "zh"])
def happy_then_sad(request, tmp_path_factory):
    needs_espeak()
    folder = tmp_path_factory.mktemp(f"happy-sad-{request.param}")
    out, report = scored(folder, "clip", happy_then_sad_spec(request.param))
    return request.param, folder / "clip.mp4", out, report


def test_happy_then_sad_voice_over_gets_a_major_then_a_minor_section(happy_then_sad):
    language, _, out, _ = happy_then_sad
    plan = load_plan(Path(f"{out}.plan.json"))
    sections = plan.brief.sections
    assert sections[0].mode == "major" and sections[-1].mode == "minor", [(s.start, s.mood) for s in sections]
    turn = next(s.start for s in sections if s.mode == "minor")
    # the sad lines start at 12 s: English turns on the cut there, Chinese (no cut near) in the pause before
    assert 11.0 <= turn <= 12.0, turn
    moods = [line for line in plan.rationale if "mood" in line and "words:" in line]
    assert len(moods) == len(sections), plan.rationale


def test_no_melody_note_starts_inside_speech(happy_then_sad):
    _, clip, out, _ = happy_then_sad
    piece = load_piece(Path(f"{out}.music.mid"), load_plan(Path(f"{out}.plan.json")))
    regions = speech_of(clip)
    assert regions
    assert notes_in_speech(piece, regions, ("lead", "counter")) == 0


def scored_voice_over(tmp_path_factory, name: str, pause_s: float):
    """(the spec, the clip, the outputs' stem, the report) of a documentary voice-over with `pause_s` pauses."""
    needs_espeak()
    folder = tmp_path_factory.mktemp(name)
    spec = voice_over_spec(pause_s=pause_s)
    out, report = scored(folder, "clip", spec)
    return spec, folder / "clip.mp4", out, report


@pytest.fixture(scope="module")
def voice_over(tmp_path_factory):
    return scored_voice_over(tmp_path_factory, "voice-over", 0.3)


def test_the_duck_holds_through_short_pauses_and_is_moderate(voice_over, tmp_path):
    """In 0.3 s pauses the mix does not lift the music at all (the stem over the engine's own render of the
    plan), and the stem rises 5 dB at most: what rises is the arrangement (a part entering on a bar line)."""
    spec, _, out, report = voice_over
    stem, raw, rate = stem_and_render(out, tmp_path)
    lines = [(line.start, line.end) for line in spec.speech]
    heard = pause_rises_db(stem, rate, lines, longest_pause_s=0.4)
    composed = pause_rises_db(raw, rate, lines, longest_pause_s=0.4)
    assert len(heard) == len(spec.speech) - 1
    assert max(h - c for h, c in zip(heard, composed)) <= 1.0, (heard, composed)
    assert max(heard) <= 5.0, heard
    # the duck's own depth: the stem over the render under the words against away from them (the report's
    # duck_depth_db compares the stem's levels, so a sparse intro and ending read as a shallower duck)
    assert 6.0 <= applied_duck_db(stem, raw, rate, report["mix"], lines) <= 15.0, report["mix"]
    assert report["mix"]["duck_depth_db"] is not None


def stem_and_render(out: Path, folder: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """(the music stem as mixed, the engine's own render of its plan cut to the stem's length, the rate): their
    ratio is what the mix did, whatever the arrangement does."""
    stem, rate = soundfile.read(f"{out}.music.wav", always_2d=True)
    raw, _ = soundfile.read(SymbolicEngine().render(load_plan(Path(f"{out}.plan.json")).brief, folder).audio_path,
                            always_2d=True)
    return stem, raw[:len(stem)], rate


def applied_duck_db(stem: np.ndarray, raw: np.ndarray, rate: int, mix: dict, lines: list[tuple[float, float]],
                    conversation_gap_s: float = 2.5) -> float:
    """The median gain (stem over render, 10 ms steps) away from speech (from 0.25 s before a line to 0.8 s after
    it the duck ramps; the closing fade aside; and outside a conversation, whose gaps it only lifts a little)
    less the median under it, the first 0.3 s of each line aside."""
    step = int(0.01 * rate)
    frames = min(len(stem), len(raw)) // step
    times = np.arange(frames) * step / rate

    def level(audio):
        return 10 * np.log10((audio[:frames * step] ** 2).mean(axis=1).reshape(frames, step).mean(axis=1) + 1e-12)

    rendered = level(raw)
    gain = level(stem) - rendered
    sounding = rendered > rendered.max() - 40
    under = np.array([any(a + 0.3 <= t <= b for a, b in lines) for t in times]) & sounding
    talk = held_regions(lines, conversation_gap_s)
    away = np.array([all(t < a - 0.25 or t > b + 0.8 for a, b in talk) for t in times]) & sounding & (
        times < mix["fade_from_s"])
    return float(np.median(gain[away]) - np.median(gain[under]))


@pytest.fixture(scope="module")
def conversation(tmp_path_factory):
    return scored_voice_over(tmp_path_factory, "conversation", 2.0)


def test_the_music_lifts_a_little_between_the_lines_of_a_conversation(conversation, tmp_path):
    """Lines 2 s apart: the mix lifts the music at most 4 dB between them (the stem over the engine's own render
    of the plan, so the arrangement's changes do not count), and the stem itself rises a few dB at most in a
    typical pause (before: 8.7-16.2 dB in every one, held a second, then down again). The report says how far;
    the duck itself stays 6-15 dB deep."""
    spec, _, out, report = conversation
    stem, raw, rate = stem_and_render(out, tmp_path)
    lines = [(line.start, line.end) for line in spec.speech]
    heard = pause_rises_db(stem, rate, lines, longest_pause_s=2.5)
    composed = pause_rises_db(raw, rate, lines, longest_pause_s=2.5)
    lifted = [h - c for h, c in zip(heard, composed)]
    assert len(lifted) == len(lines) - 1
    assert max(lifted) <= 4.3, lifted
    assert float(np.median(heard)) <= 5.0, heard
    mix = report["mix"]
    assert len(mix["gap_rises_db"]) == len(lines) - 1 and max(mix["gap_rises_db"]) <= 4.0 + 1e-6, mix
    assert 6.0 <= applied_duck_db(stem, raw, rate, mix, lines) <= 15.0, mix


def test_room_tone_between_the_lines_is_not_raised_with_the_dialogue(voice_over):
    mix = voice_over[3]["mix"]
    assert mix["dialogue_gain_db"] > 6.0, mix  # the quiet voice needs more than the cap to reach the target
    assert mix["original_gain_db"] <= 6.0, mix
    assert abs(mix["integrated_lufs"] - mix["target_lufs"]) <= 0.5


def test_region_gain_ramps_between_inside_and_outside():
    gain = 20 * np.log10(region_gain(10 * RATE, RATE, [(2.0, 4.0)], 0.0, -4.0, attack_ms=200, release_ms=700))
    assert gain[int(1.0 * RATE)] == pytest.approx(-4.0, abs=1e-3)
    assert gain[int(3.0 * RATE)] == pytest.approx(0.0, abs=1e-3)
    assert -4.0 < gain[int(4.3 * RATE)] < 0.0  # the release, eased
    assert gain[int(5.0 * RATE)] == pytest.approx(-4.0, abs=1e-3)


def test_mostly_spoken_clip_gets_an_underscore(voice_over):
    _, clip, out, _ = voice_over
    plan = load_plan(Path(f"{out}.plan.json"))
    assert all(section.underscore for section in plan.brief.sections)
    assert all("underscore" in section.prompt and "no melody" in section.prompt for section in plan.brief.sections)
    roles = {track.name.split(":")[0] for track in pretty_midi.PrettyMIDI(f"{out}.music.mid").instruments
             if track.notes}
    assert not roles & {"drums", "lead", "counter"}, roles
    assert {"pad", "bass"} <= roles


def test_quiet_room_tone_is_not_raised_to_the_target(tmp_path):
    spec = room_tone_spec()
    out, report = scored(tmp_path, "room", spec)
    source = lufs(audio_of(tmp_path / "room.mp4"))
    assert -53.0 <= source <= -47.0, source
    mix = report["mix"]
    assert mix["original_gain_db"] <= 6.0, mix
    assert abs(mix["integrated_lufs"] - mix["target_lufs"]) <= 0.5
    assert lufs(audio_of(tmp_path / "room.scored.mp4")) == pytest.approx(mix["target_lufs"], abs=0.5)


# --- the rules on their own -------------------------------------------------------------------------------
def cue(start, end, sentiment, text="line"):
    return SubtitleCue(start=start, end=end, text=text, language="en", sentiment=sentiment)


def test_a_long_strong_stretch_turns_the_mood_at_a_cut_or_in_the_pause():
    cues = [cue(0.5, 3.0, 0.7), cue(3.5, 6.0, 0.6), cue(6.5, 9.5, 0.8),
            cue(12.0, 15.0, -0.7), cue(15.5, 18.0, -0.1), cue(18.3, 21.0, -0.8)]
    stretches = sentiment_stretches(cues)
    assert [(s.start, s.end, s.sign) for s in stretches] == [(0.5, 9.5, 1), (12.0, 21.0, -1)]
    assert mood_boundaries(stretches, cues, [5.0, 11.2, 17.0], 24.0) == [11.2]  # the cut near 12 s
    assert mood_boundaries(stretches, cues, [5.0, 17.0], 24.0) == [11.5]  # no cut near: before the line


def test_a_short_or_broken_stretch_does_not():
    assert sentiment_stretches([cue(0.0, 2.0, -0.8), cue(2.5, 5.0, -0.8)]) == []  # 5 s
    assert sentiment_stretches([cue(0.0, 3.0, -0.8), cue(6.0, 9.0, -0.8)]) == []  # a 3 s gap
    assert sentiment_stretches([cue(0.0, 3.0, -0.8), cue(3.5, 6.0, 0.8), cue(6.5, 9.0, -0.8)]) == []


def test_picture_mood_counts_without_strong_words():
    assert rules.mood_for(None, 0.4, brightness=0.25, warmth=-0.1) == ("melancholic", "picture")
    assert rules.mood_for(0.1, 0.4, brightness=0.7, warmth=0.15) == ("uplifting", "picture")
    assert rules.mood_for(-0.6, 0.4, brightness=0.7, warmth=0.15) == ("melancholic", "words")
    assert rules.mood_for(None, 0.7, brightness=0.5, warmth=0.0) == ("driving", "pace")


def test_hold_bridges_short_pauses_only():
    assert held_regions([(1.0, 3.0), (3.3, 5.0), (6.0, 8.0)], 0.6) == [(1.0, 5.0), (6.0, 8.0)]
    env = duck_envelope(10 * RATE, RATE, [(1.0, 3.0), (3.3, 5.0)], depth_db=10.0, attack_ms=200,
                        release_ms=700, hold_ms=600)
    assert env[int(3.15 * RATE)] == pytest.approx(10 ** (-10 / 20), rel=1e-3)  # down through the 0.3 s pause


def test_composer_rests_the_melody_under_speech_and_keeps_pads():
    duration = 24.0
    section = BriefSection(start=0.0, end=duration, bpm=100.0, key="C", mode="major", energy=0.8, mood="joyful",
                           instrumentation=list(rules.GENRES["pop"]))
    speech = [(4.0, 9.0), (13.0, 18.0)]
    brief = MusicBrief(sections=[section], tempo_map=[TempoPoint(0.0, 100.0, bar=True)], key="C", mode="major",
                       energy=0.8, genre="pop", prompt="", seed=3, target_duration=duration, speech=speech)
    midi, _, _ = compose(brief)
    melody = [n for track in midi.instruments if track.name.split(":")[0] in ("lead", "counter")
              for n in track.notes]
    assert melody, "the melody plays outside speech"
    assert not [n.start for n in melody if any(a - 0.15 <= n.start < b for a, b in speech)]
    pads = [n for track in midi.instruments if track.name.startswith("pad") for n in track.notes]
    assert any(4.0 <= n.start < 9.0 or n.start < 4.0 < n.end for n in pads)


def test_hand_edited_speech_regions_of_any_shape_are_read_safely():
    """A plan's speech list is data a person may edit: unsorted, overlapping, out of range, NaN, 100k long."""
    section = BriefSection(start=0.0, end=30.0, bpm=100.0, key="C", mode="major", energy=0.8, mood="joyful",
                           instrumentation=list(rules.GENRES["pop"]))
    speech = [(i * 0.05, i * 0.05 + 0.02) for i in range(100_000)][::-1]
    speech += [(float("nan"), 3.0), (-5.0, 1.0), (20.0, 1e12), (9.0, 8.0)]
    brief = MusicBrief(sections=[section], tempo_map=[TempoPoint(0.0, 100.0, bar=True)], key="C", mode="major",
                       energy=0.8, genre="pop", prompt="", seed=3, target_duration=30.0, speech=speech)
    midi, _, _ = compose(brief)
    melody = [n for track in midi.instruments if track.name.split(":")[0] in ("lead", "counter") for n in track.notes]
    assert not [n for n in melody if n.start >= 20.0 - 0.15]  # everything from 20 s on is speech
