"""`autoscore score --plan P --regenerate N`: section N is made again (a new seed; ACE-Step repaints it, MusicGen
continues the piece into it) and everything outside it stays as the earlier run made it, sample for sample, apart
from the crossfades at its edges. Measured on the outputs the users keep: the music stem and the MIDI."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile

from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint, render
from autoscore_video.generation.sections import SPLICE_FADE_S, splice
from autoscore_video.mixing.loudness import limiter_context
from autoscore_video.scoring.planning import load_plan
from autoscore_video.scoring.planning.regenerate import regenerate_section
from samples.make_samples import espeak_available, happy_then_sad_spec, make_clip
from tests.conftest import Clip, run_cli, sha256

RATE = 48000


@pytest.fixture(scope="module")
def two_moods(tmp_path_factory) -> Clip:
    """24 s of voice-over whose mood turns at 12 s: a plan of two sections, dialogue under both."""
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    spec = happy_then_sad_spec("en")
    return Clip(make_clip(tmp_path_factory.mktemp("two-moods") / "turn.mp4", spec), spec)


@pytest.fixture(scope="module")
def first_run(two_moods, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("regenerate")
    clip = folder / two_moods.path.name
    shutil.copyfile(two_moods.path, clip)
    shutil.copyfile(two_moods.path.with_suffix(".srt"), clip.with_suffix(".srt"))
    scored = run_cli("score", str(clip), "--json")
    assert scored.returncode == 0, scored.stderr
    return clip


def _keep(clip: Path, into: Path, names: tuple[str, ...] = ("music.wav", "music.mid", "plan.json", "report.json")
          ) -> dict[str, Path]:
    """A copy of the run's stem, MIDI, plan and report, before the next run replaces them."""
    into.mkdir()
    kept = {}
    for name in names:
        kept[name] = into / name
        shutil.copyfile(clip.with_name(f"{clip.stem}.{name}"), kept[name])
    return kept


def _notes(midi: Path, start: float, end: float) -> set[tuple[str, int, float]]:
    """(track, pitch, onset to the millisecond) of the notes starting in [start, end) of the video's time."""
    song = pretty_midi.PrettyMIDI(str(midi))
    origin = -_video_start(midi)
    return {(i.name, n.pitch, round(n.start + origin, 3)) for i in song.instruments for n in i.notes
            if start <= n.start + origin < end}


def _video_start(midi: Path) -> float:
    """Where the video starts in the file's seconds (its "video start" marker)."""
    import mido

    song = mido.MidiFile(str(midi))
    song_pm = pretty_midi.PrettyMIDI(str(midi))
    tick = 0
    for message in song.tracks[0]:
        tick += message.time
        if message.type == "marker" and message.text == "video start":
            return song_pm.tick_to_time(tick)
    raise AssertionError("no video start marker")


def test_a_section_is_made_again_and_the_music_outside_it_stays_sample_for_sample(first_run, tmp_path):
    clip = first_run
    before = _keep(clip, tmp_path / "before")
    plan = json.loads(before["plan.json"].read_text())
    sections = plan["brief"]["sections"]
    assert len(sections) == 2, sections
    turn = sections[1]["start"]

    again = run_cli("score", str(clip), "--plan", str(before["plan.json"]), "--regenerate", "1", "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    regenerated = report["regenerated"]
    assert regenerated["section"] == 1 and regenerated["outside_identical"] is True
    assert regenerated["levels_from"] == str(clip.with_name(f"{clip.stem}.report.json"))
    assert report["mix"]["levels"] == json.loads(before["report.json"].read_text())["mix"]["levels"]

    old, rate = soundfile.read(before["music.wav"], dtype="float64")
    new, _ = soundfile.read(report["outputs"]["music_wav"], dtype="float64")
    assert rate == RATE and old.shape == new.shape
    end = int(round(turn * rate)) + limiter_context(rate)  # the delivery limiter looks this far around a change
    np.testing.assert_array_equal(new[end:], old[end:])  # after section 1: the earlier run's, sample for sample
    inside = slice(int(0.5 * rate), int((turn - SPLICE_FADE_S) * rate))
    difference = new[inside] - old[inside]
    assert np.sqrt(np.mean(difference ** 2)) > 0.3 * np.sqrt(np.mean(old[inside] ** 2))  # section 1 is new music

    new_midi = Path(report["outputs"]["midi"])
    assert _notes(new_midi, turn, 1e9) == _notes(before["music.mid"], turn, 1e9)
    old_notes, new_notes = _notes(before["music.mid"], -10.0, turn), _notes(new_midi, -10.0, turn)
    assert len(old_notes & new_notes) <= 0.5 * len(old_notes), (len(old_notes & new_notes), len(old_notes))

    written = json.loads(clip.with_name(f"{clip.stem}.plan.json").read_text())
    seed = written["brief"]["sections"][0]["seed"]
    assert seed == regenerated["seed"] and seed not in (None, plan["brief"]["seed"])
    assert written["brief"]["sections"][1]["seed"] is None


def test_the_plan_a_regeneration_writes_makes_the_same_music_and_the_next_regeneration_differs(first_run, tmp_path):
    clip = first_run
    before = _keep(clip, tmp_path / "first")
    made = run_cli("score", str(clip), "--plan", str(before["plan.json"]), "--regenerate", "2", "--json")
    assert made.returncode == 0, made.stderr
    after = _keep(clip, tmp_path / "regenerated")
    assert json.loads(made.stdout)["regenerated"]["outside_identical"] is True

    replayed = run_cli("score", str(clip), "--plan", str(after["plan.json"]), "--json")
    assert replayed.returncode == 0, replayed.stderr
    assert sha256(clip.with_name(f"{clip.stem}.music.mid")) == sha256(after["music.mid"])
    old, _ = soundfile.read(after["music.wav"], dtype="float64")
    new, _ = soundfile.read(clip.with_name(f"{clip.stem}.music.wav"), dtype="float64")
    gains = [json.loads(run.stdout)["mix"]["music_gain_db"] for run in (replayed, made)]
    residual = new - old * 10 ** ((gains[0] - gains[1]) / 20)  # the same music, at the gains solved again
    assert np.sqrt(np.mean(residual ** 2)) < 0.01 * np.sqrt(np.mean(old ** 2))

    regenerated = load_plan(after["plan.json"])
    assert regenerate_section(regenerated, 2).brief.sections[1].seed not in (regenerated.brief.sections[1].seed, None)


def test_a_section_the_plan_does_not_have_or_no_plan_is_one_line_and_nothing_is_touched(first_run, tmp_path):
    clip = first_run
    plan = clip.with_name(f"{clip.stem}.plan.json")
    outputs = sorted(clip.parent.glob(f"{clip.stem}.*"))
    stamps = {p: (p.stat().st_mtime_ns, sha256(p)) for p in outputs}
    for args, expected in (((str(clip), "--plan", str(plan), "--regenerate", "3"), "the plan has 2 sections (1 to 2)"),
                           ((str(clip), "--regenerate", "1"), "--regenerate needs --plan")):
        failed = run_cli("score", *args)
        assert failed.returncode != 0
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], failed.stderr
    assert {p: (p.stat().st_mtime_ns, sha256(p)) for p in outputs} == stamps
    zero = run_cli("score", str(clip), "--plan", str(plan), "--regenerate", "0")
    assert zero.returncode == 2 and "Traceback" not in zero.stderr


def test_the_splice_is_the_piece_outside_the_section_and_the_crossfades_sum_to_one(tmp_path):
    seconds = 3.0
    t = np.arange(int(seconds * RATE)) / RATE
    piece = np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1).astype(np.float32)
    other = np.stack([np.sin(2 * np.pi * 330 * t)] * 2, axis=1).astype(np.float32)
    soundfile.write(tmp_path / "piece.wav", piece, RATE, subtype="FLOAT")
    soundfile.write(tmp_path / "other.wav", other, RATE, subtype="FLOAT")
    made = splice(tmp_path / "piece.wav", tmp_path / "other.wav", 1, (1.0, 2.0), tmp_path / "out.wav", 5)
    out, _ = soundfile.read(tmp_path / "out.wav", dtype="float32")
    fade = int(SPLICE_FADE_S * RATE)
    assert (made.section, made.seed, made.start, made.end) == (2, 5, 1.0, 2.0)
    assert made.fade_from == pytest.approx(1.0 - SPLICE_FADE_S)
    np.testing.assert_array_equal(out[:RATE - fade], piece[:RATE - fade])
    np.testing.assert_array_equal(out[2 * RATE:], piece[2 * RATE:])
    np.testing.assert_array_equal(out[RATE:2 * RATE - fade], other[RATE:2 * RATE - fade])
    for a, b in ((RATE - fade, RATE), (2 * RATE - fade, 2 * RATE)):  # each crossfade: a share of each, summing to 1
        share = (out[a:b, 0] - piece[a:b, 0]) / np.where(np.abs(other[a:b, 0] - piece[a:b, 0]) > 1e-3,
                                                          other[a:b, 0] - piece[a:b, 0], np.nan)
        share = share[np.isfinite(share)]
        assert share.min() >= -1e-4 and share.max() <= 1 + 1e-4
        assert np.all(np.diff(share) >= -1e-3) if a < RATE else np.all(np.diff(share) <= 1e-3)


def _brief(seconds: float = 12.0) -> MusicBrief:
    half = seconds / 2
    sections = [BriefSection(0.0, half, 100.0, "D", "minor", 0.6, "tense", ["piano", "strings", "acoustic bass"],
                             prompt="tense cinematic strings"),
                BriefSection(half, seconds, 100.0, "D", "minor", 0.8, "driving",
                             ["piano", "strings", "acoustic bass", "drums"], prompt="driving cinematic drums")]
    return MusicBrief(sections=sections, tempo_map=[TempoPoint(0.0, 100.0, True)], key="D", mode="minor",
                      energy=0.7, genre="cinematic", prompt="tense cinematic", seed=11, target_duration=seconds,
                      cuts_to_hit=[2.4, 8.4])


def _seeded(brief: MusicBrief, index: int, seed: int) -> MusicBrief:
    from autoscore_video.generation.sections import with_own_seed

    return with_own_seed(brief, index, seed)


def _outside_kept(plain: str, again: str, start: float, end: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(the two renders' audio, as read), asserting they are identical outside [start - fade, end)."""
    a, rate = soundfile.read(plain, dtype="float32", always_2d=True)
    b, _ = soundfile.read(again, dtype="float32", always_2d=True)
    assert a.shape == b.shape
    first = max(0, int(round((start - SPLICE_FADE_S) * rate)))
    np.testing.assert_array_equal(b[:first], a[:first])
    if end is not None:
        np.testing.assert_array_equal(b[int(round(end * rate)):], a[int(round(end * rate)):])
    return a, b


@pytest.mark.parametrize("engine", ["musicgen", "acestep"])
def test_the_neural_engines_make_a_section_again_and_keep_the_rest(engine, tmp_path, monkeypatch):
    """MusicGen continues the piece's encoded audio into the section; ACE-Step repaints the section's range of
    the piece. Either way the render outside it is the plain render's, bit for bit."""
    pytest.importorskip("diffusers" if engine == "acestep" else "transformers")
    if engine == "musicgen":
        from autoscore_video.generation.musicgen import random_model
        from autoscore_video.generation.musicgen.options import MusicGenOptions

        model = random_model.save(tmp_path / "tiny-musicgen")
        options = MusicGenOptions(model=str(model), device="cpu")
        brief = _brief()
    else:
        from autoscore_video.generation.acestep import loader, random_model
        from autoscore_video.generation.acestep.options import AceStepOptions

        model = random_model.save(tmp_path / "tiny-acestep")
        options = AceStepOptions(model=str(model), device="cpu")
        brief = _brief()
        loaded = loader.load(str(model), "cpu", "off")
        calls: list[dict] = []
        pipe = loaded.pipe

        def recorded(**given):
            calls.append(given)
            return pipe(**given)

        monkeypatch.setattr(loaded, "pipe", recorded)
    plain = render(brief, tmp_path / "plain", engine=engine, options=options)
    again = render(_seeded(brief, 0, 77), tmp_path / "again", engine=engine, options=options)
    a, b = _outside_kept(plain.audio_path, again.audio_path, 0.0, brief.sections[0].end)
    rate = plain.sample_rate
    section = slice(int(0.5 * rate), int((brief.sections[0].end - SPLICE_FADE_S) * rate))
    assert np.abs(b[section] - a[section]).max() > 1e-3  # the section is new
    assert again.beats == plain.beats or engine == "musicgen"
    if engine == "acestep":
        repaint = [c for c in calls if c.get("task_type") == "repaint"]
        assert len(repaint) == 1
        assert (repaint[0]["repainting_start"], repaint[0]["repainting_end"]) == (0.0, brief.sections[0].end)
        assert repaint[0]["prompt"] == ["tense cinematic strings"]
        piece, _ = soundfile.read(plain.audio_path, dtype="float32")
        np.testing.assert_array_equal(repaint[0]["src_audio"].numpy().T, piece)


def test_regenerate_2_with_acestep_changes_only_section_2_of_the_stem(first_run, tmp_path):
    """The CLI end to end with the tiny ACE-Step pipeline: scored, then section 2 repainted; the stem outside
    section 2 (and the limiter's reach) is the earlier run's, sample for sample."""
    pytest.importorskip("diffusers")
    from autoscore_video.generation.acestep import random_model

    model = random_model.save(tmp_path / "tiny-acestep")
    out = tmp_path / "turn.scored.mp4"
    first = run_cli("score", str(first_run), "-o", str(out), "--engine", "acestep", "--model", str(model), "--json")
    assert first.returncode == 0, first.stderr
    before = _keep(tmp_path / "turn.mp4", tmp_path / "before", names=("music.wav", "plan.json"))  # its sidecars
    again = run_cli("score", str(first_run), "-o", str(out), "--plan", str(before["plan.json"]), "--regenerate", "2",
                    "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["engine"]["name"] == "acestep" and report["regenerated"]["outside_identical"] is True
    old, rate = soundfile.read(before["music.wav"], dtype="float64")
    new, _ = soundfile.read(report["outputs"]["music_wav"], dtype="float64")
    turn = json.loads(before["plan.json"].read_text())["brief"]["sections"][1]["start"]
    kept = int(round((turn - SPLICE_FADE_S) * rate)) - limiter_context(rate)
    np.testing.assert_array_equal(new[:kept], old[:kept])
    assert np.abs(new[kept + rate:] - old[kept + rate:]).max() > 1e-3
