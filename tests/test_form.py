"""Music with form, measured from the MIDI the symbolic engine writes for planned clips (musical_form.py): it
develops, changes harmony, layers its parts, keeps a steady tempo, marks every cut, sounds like its genre,
ends, and opens in a DAW as written. Clips are analysed and planned for real; most pieces are composed without
being rendered, the two-minute calm piece is rendered for its loudness range."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest

from autoscore_video.common.sound_profile import loudness_range
from autoscore_video.generation import render
from autoscore_video.generation.symbolic import midi_file
from autoscore_video.generation.symbolic.composer import FINAL_CHORD_MIN_S, FINAL_HIT_MIN_S, compose
from autoscore_video.generation.symbolic.instruments import Drum, lookup
from autoscore_video.generation.tempo import beat_grid
from autoscore_video.scoring.job import musical_form as form
from autoscore_video.scoring.job.pipeline import ScoreOptions, make_plan
from autoscore_video.scoring.planning import rules
from samples.make_samples import fast_irregular_spec, ladder_specs, long_calm_spec, make_clip
from tests.conftest import shared_clip

CLIPS = {**{name: spec for name, spec in ladder_specs().items() if name in ("every-2s", "every-1s", "irregular",
                                                                            "calm-then-frantic")},
         "fast-irregular": fast_irregular_spec(), "calm-2min": long_calm_spec()}
REAL = ("testvideo.mp4", "goldeneye-vfr-drop3.mp4")


def written(plan, folder: Path, name: str) -> form.Piece:
    """The plan composed and written as the engine writes it, read back for measuring."""
    midi, grid, markers = compose(plan.brief)
    path = folder / f"{name}.mid"
    midi_file.write(midi, path, midi_file.origin(grid), markers)
    return form.load_piece(path, plan)


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """name → (clip, plan) for the generated clips and the real footage."""
    folder = tmp_path_factory.mktemp("form")
    plans = {}
    for name, spec in CLIPS.items():
        clip = make_clip(folder / f"{name}.mp4", spec)
        plans[name] = (clip, make_plan(clip, ScoreOptions())[1])
    for name in REAL:
        clip = folder / name
        clip.write_bytes(shared_clip(name).read_bytes())
        plans[name] = (clip, make_plan(clip, ScoreOptions())[1])
    return plans


@pytest.fixture(scope="module")
def pieces(planned, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pieces")
    return {name: written(plan, folder, name.replace(".", "-")) for name, (_, plan) in planned.items()}


@pytest.mark.parametrize("name", [*CLIPS, *REAL])
def test_the_piece_develops_layers_and_changes_harmony(pieces, name):
    piece = pieces[name]
    assert form.bar_similarity(piece, lag=4) <= 0.8
    assert form.progressions_per_minute(piece) >= 2.0
    playing = [count for count in form.active_tracks(piece) if count]
    assert len(set(playing)) >= 3, playing


@pytest.mark.parametrize("name", [*CLIPS, *REAL])
def test_the_tempo_is_steady_and_every_cut_is_marked(pieces, name):
    piece = pieces[name]
    assert form.max_tempo_step(piece.plan) <= 0.03 + 1e-6
    _, with_accents = form.cut_hits(piece)
    assert with_accents >= 0.9


def test_fast_irregular_cutting_is_hit_by_accents_where_beats_cannot(pieces):
    on_beats, with_accents = form.cut_hits(pieces["fast-irregular"])
    assert on_beats < 0.8  # a steady tempo cannot put these cuts on beats ...
    assert with_accents >= 0.9  # ... so the music hits them where they fall


def test_a_long_calm_piece_has_sections_a_melody_and_a_loudness_range(planned, pieces, tmp_path):
    piece = pieces["calm-2min"]
    lead = [n for n in piece.notes if n.role == "lead"]
    assert len(lead) >= 40
    assert form.progressions_per_minute(piece) >= 2.0
    _, plan = planned["calm-2min"]
    track = render(plan.brief, tmp_path / "music", engine="symbolic")
    assert loudness_range(Path(track.audio_path))[0] >= 4.0


def test_a_speech_free_ladder_clip_has_a_loudness_range(planned, tmp_path):
    _, plan = planned["every-2s"]
    track = render(plan.brief, tmp_path / "music", engine="symbolic")
    assert loudness_range(Path(track.audio_path))[0] >= 4.0


def _with_genre(plan, genre):
    brief = replace(plan.brief, genre=genre,
                    sections=[replace(s, instrumentation=list(rules.GENRES[genre])) for s in plan.brief.sections])
    return replace(plan, brief=brief)


def test_genres_differ_in_rhythm_not_only_in_patches(planned, tmp_path):
    _, plan = planned["every-1s"]
    rock, lofi = (written(_with_genre(plan, g), tmp_path, g) for g in ("rock", "lofi"))
    assert form.onset_overlap(rock, lofi, drums=True) < 0.6
    assert form.onset_overlap(rock, lofi, drums=False) < 0.6
    # lofi swings: its off-beat hats fall late, rock's on the half beat
    def offbeat_positions(piece):
        steps = [piece.position(n.start)[1] % form.STEPS_PER_BEAT for n in piece.notes
                 if n.drum and n.pitch in (Drum.CLOSED_HAT, Drum.RIDE)]  # rock rides in a B phrase
        return [s for s in steps if 4 <= s <= 9]
    assert np.median(offbeat_positions(lofi)) >= 7 and np.median(offbeat_positions(rock)) == 6


def test_orchestral_has_no_kit_groove_and_ambient_no_kit(planned, tmp_path):
    _, plan = planned["every-1s"]
    orchestral, ambient = (written(_with_genre(plan, g), tmp_path, g) for g in ("orchestral", "ambient"))
    assert form.kit_share(orchestral) <= 0.15
    assert any(n.role == "timpani" for n in orchestral.notes)
    assert form.kit_share(ambient) == 0.0


def test_every_genre_is_reachable_by_the_rules():
    reached = set()
    for energy in np.linspace(0, 1, 11):
        for mood in rules.MOODS:
            for saturation in np.linspace(0, 1, 6):
                for brightness in np.linspace(0, 1, 6):
                    reached.add(rules.genre_for(float(energy), mood, float(saturation), float(brightness)))
    assert reached == set(rules.GENRES)


def test_unrelated_clips_get_different_pieces(pieces):
    signatures = {name: (p.plan.brief.key, p.plan.brief.mode, p.plan.brief.genre, tuple(form.bar_chords(p)[:8]))
                  for name, p in pieces.items()}
    assert len(set(signatures.values())) == len(signatures), signatures


def test_a_strong_change_of_section_changes_key(planned):
    _, plan = planned["calm-then-frantic"]
    calm, frantic = plan.brief.sections
    assert frantic.energy - calm.energy >= rules.KEY_CHANGE_ENERGY
    assert (calm.key, calm.mode) != (frantic.key, frantic.mode)
    assert any("key change" in line for line in plan.rationale)


def test_a_build_leads_into_each_cut_that_matters(pieces):
    piece = pieces["calm-2min"]
    assert piece.plan.brief.key_cuts
    for cut in piece.plan.brief.key_cuts:
        bar = piece.bar_of(cut)
        before = [n for n in piece.notes if piece.bar_of(n.start) == bar - 1]
        riser = [n for n in before if n.role == "fx"]
        fill = [n for n in before if n.drum and n.pitch in (Drum.SNARE, Drum.HIGH_TOM, Drum.MID_TOM, Drum.LOW_TOM)]
        assert riser or fill, f"nothing builds into the cut at {cut:.2f} s"


def test_the_piece_ends_on_a_final_hit_that_rings(pieces):
    """On the last downbeat at least 2 s before the end, or on a cut later in that bar at least 1.5 s before
    it; every part strikes the tonic chord and rings past the end; nothing plays after it (no fade over a
    running groove)."""
    for name in ("every-2s", "fast-irregular", "calm-2min", "irregular"):
        piece = pieces[name]
        duration = piece.plan.duration
        last_downbeat = max(t for t in piece.grid.downbeats if t <= duration - FINAL_CHORD_MIN_S)
        next_downbeat = min(t for t in piece.grid.downbeats if t > last_downbeat)
        late_cuts = [c for c in piece.plan.brief.cuts_to_hit
                     if last_downbeat + 0.1 < c <= min(next_downbeat, duration - FINAL_HIT_MIN_S)]
        final_hit = max(n.start for n in piece.notes)
        assert final_hit == pytest.approx(late_cuts[-1] if late_cuts else last_downbeat, abs=0.01), name
        final = [n for n in piece.notes if abs(n.start - final_hit) < 0.01 and not n.drum]
        assert len(final) >= 4 and all(n.end > duration for n in final)
        tonic = {n.pitch % 12 for n in final if n.role == "bass"}
        assert tonic and all(n.pitch % 12 in tonic or n.role in ("pad", "keys", "lead", "counter") for n in final)


def test_the_midi_file_opens_in_a_daw_as_written(planned, tmp_path):
    piece = written(planned["calm-then-frantic"][1], tmp_path, "daw")
    midi = piece.midi
    grid = beat_grid(piece.plan.brief.tempo_map, piece.plan.duration, piece.plan.brief.beats_per_bar)
    # the full tempo map: the file's beats are the plan's, from bar 1 on the grid's first bar line
    file_beats = midi.get_beats() + grid.beats[0]
    inside = grid.beats[grid.beats < piece.plan.duration]
    assert len(midi.get_tempo_changes()[0]) >= len({round(p.bpm, 3) for p in piece.plan.brief.tempo_map})
    assert np.allclose(file_beats[:len(inside)], inside, atol=1e-3)
    downbeats = midi.get_downbeats() + grid.beats[0]
    assert np.allclose(downbeats[:3], grid.downbeats[:3], atol=1e-3)
    assert midi.time_signature_changes and midi.time_signature_changes[0].time == 0.0
    assert midi.key_signature_changes
    # notes sit on the file's own grid (a few milliseconds of playing aside)
    assert form.on_file_grid(piece) >= 0.8
    # tracks named "role: instrument", playing the programs the render plays
    for track in midi.instruments:
        role, instrument = track.name.split(": ")
        assert lookup(instrument).role == role and (track.is_drum or lookup(instrument).program == track.program)
    # markers and the SMPTE offset of bar 1 against a picture starting at 01:00:00:00
    song = mido.MidiFile(str(tmp_path / "daw.mid"))
    meta = [m for m in song.tracks[0] if m.is_meta]
    assert any(m.type == "marker" and m.text == "video start" for m in meta)
    offset = next(m for m in meta if m.type == "smpte_offset")
    start = offset.hours * 3600 + offset.minutes * 60 + offset.seconds + (offset.frames + offset.sub_frames / 100) / 30
    assert start - 3600 == pytest.approx(grid.beats[0], abs=0.04)


def test_the_render_plays_the_file_it_delivers(planned, tmp_path):
    """The engine renders the DAW file itself: a note at video time t sounds at t in the stem."""
    _, plan = planned["every-2s"]
    track = render(plan.brief, tmp_path / "music", engine="symbolic")
    piece = form.load_piece(Path(track.midi_path), plan)
    first = min(n.start for n in piece.notes)
    import soundfile

    audio, rate = soundfile.read(track.audio_path)
    envelope = np.abs(audio).max(axis=1)
    sounding = np.flatnonzero(envelope > envelope.max() * 0.01)[0] / rate
    assert sounding == pytest.approx(first, abs=0.03)
    assert isinstance(pretty_midi.PrettyMIDI(track.midi_path), pretty_midi.PrettyMIDI)
    # the file says what it may be used for, as the report does: the bank that played it and its licence
    notice = [m.text for m in mido.MidiFile(track.midi_path).tracks[0] if m.type == "copyright"]
    assert notice == [track.licence] and "composed by autoscore" in track.licence


def test_an_unedited_plan_keeps_its_tempo_map_when_loaded(planned, tmp_path):
    """Each section's bpm agrees with what its tempo map plays, so loading a plan that nobody edited rewrites
    nothing (an edited section bpm does rewrite it: tests/test_edited_plans.py)."""
    from autoscore_video.common import jsonio
    from autoscore_video.scoring.planning.score_plan import load_plan

    assert any(len(plan.brief.sections) > 1 for _, plan in planned.values())
    for name, (_, plan) in planned.items():
        path = tmp_path / f"{name}.json"
        path.write_text(jsonio.dumps(plan), encoding="utf-8")
        loaded = load_plan(path)
        assert loaded.brief.tempo_map == plan.brief.tempo_map, name
        assert loaded.rationale == plan.rationale, name


def test_a_still_section_sheds_the_kit_and_a_lively_one_brings_it_back(planned, pieces):
    """Calm, then frantic: the calm section is played without the kit and the bright timbres (the rationale says
    so), the frantic one with them, in one production; what the plan says each section plays is what sounds."""
    _, plan = planned["calm-then-frantic"]
    still, lively = plan.brief.sections
    assert rules.is_still(still.mood, still.energy) and not rules.is_still(lively.mood, lively.energy)
    assert any("played still" in line for line in plan.rationale)
    one, two = set(still.instrumentation), set(lively.instrumentation)
    assert len(one & two) / len(one | two) <= 0.6
    piece = pieces["calm-then-frantic"]
    kit = [n for n in piece.notes if n.drum]
    assert kit and all(n.start >= lively.start - 0.05 for n in kit)  # no kit before the turn, a whole groove after
    for section in (still, lively):
        playing = {lookup(name).role for name in section.instrumentation}
        heard = {n.role for n in piece.notes if section.start <= n.start < section.end - 0.05}
        assert heard - {"fx", "sub"} <= playing, (section.start, heard, playing)  # the sub doubles the bass


def test_keys_are_named_as_the_midi_key_signature_spells_them(planned):
    """A plan's keys read as a DAW shows the MIDI's key signatures ("C# minor", never "Db minor")."""
    for number in range(24):
        mode = "minor" if number >= 12 else "major"
        tonic, name = pretty_midi.key_number_to_key_name(number).split()
        assert rules.spelled(number % 12, mode) == tonic
    for key in rules.MAJOR_SPELLING:
        for mode in ("major", "minor"):
            for change in (-0.5, 0.0, 0.5):
                moved = rules.section_key(mode, key, "major", change)
                assert moved == rules.spelled(rules.tonic_pitch_class(moved), mode)
    for name, (_, plan) in planned.items():
        midi, _, _ = compose(plan.brief)
        signed = [pretty_midi.key_number_to_key_name(k.key_number) for k in midi.key_signature_changes]
        written = [f"{s.key} {'Major' if s.mode == 'major' else 'minor'}" for s in plan.brief.sections]
        assert set(signed) == set(written), name
