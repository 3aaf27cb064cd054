"""The symbolic engine: on the planned grid, deterministic, and music (drums in time, chords per bar)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile

from autoscore_video.common.errors import InputError
from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint, render
from autoscore_video.generation.symbolic.banks import pretty_midi_bank, usable_banks
from autoscore_video.scoring.planning.rules import GENRES
from tests.measure import measured_tempo, tempo_matches

BANKS = usable_banks()  # what this machine has: TimGM6mb always, CI's system bank, any other installed


def brief(bpm=120.0, energy=0.7, mode="major", genre="pop", seed=1, duration=20.0, density=1.0) -> MusicBrief:
    section = BriefSection(start=0.0, end=duration, bpm=bpm, key="D", mode=mode, energy=energy, mood="uplifting",
                           instrumentation=list(GENRES[genre]), density=density, prompt="test")
    return MusicBrief(sections=[section], tempo_map=[TempoPoint(0.0, bpm)], key="D", mode=mode, energy=energy,
                      genre=genre, prompt="test", seed=seed, target_duration=duration, cuts_to_hit=[3.3, 9.1])


@pytest.mark.parametrize("bpm, energy, genre", [(76, 0.2, "ambient"), (100, 0.5, "lofi"), (128, 0.8, "electronic"),
                                                (140, 0.9, "rock")])
def test_rendered_tempo_matches_the_plan(tmp_path, bpm, energy, genre):
    track = render(brief(bpm=bpm, energy=energy, genre=genre), tmp_path)
    measured = measured_tempo(Path(track.audio_path), start_bpm=bpm)
    assert tempo_matches(measured, bpm, 0.02), f"librosa measured {measured:.2f} BPM for a {bpm} BPM plan"
    assert track.bpm == pytest.approx(bpm, rel=1e-6)
    assert np.allclose(np.diff(track.beats), 60.0 / bpm)
    assert track.downbeats == track.beats[::4]


def test_same_seed_same_audio_other_seed_other_audio(tmp_path):
    a = soundfile.read(render(brief(seed=5), tmp_path / "a").audio_path)[0]
    b = soundfile.read(render(brief(seed=5), tmp_path / "b").audio_path)[0]
    c = soundfile.read(render(brief(seed=6), tmp_path / "c").audio_path)[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_audio_is_stereo_48k_and_covers_the_target(tmp_path):
    track = render(brief(duration=12.5), tmp_path)
    info = soundfile.info(track.audio_path)
    assert info.samplerate == 48000 and info.channels == 2
    assert info.duration >= 12.5
    audio, _ = soundfile.read(track.audio_path)
    assert np.max(np.abs(audio)) <= 1.0 and np.sqrt(np.mean(audio ** 2)) > 0.02


def test_drums_on_the_grid_and_chords_change_with_the_bar(tmp_path):
    """Played, not quantised: kicks within a few ms of the planned sixteenths (the style's timing spread),
    chords of three or four notes (7ths, 9ths, sus) changing with the bar, and the tonic to close, on the beat."""
    bpm = 110.0
    track = render(brief(bpm=bpm), tmp_path)
    midi = pretty_midi.PrettyMIDI(track.midi_path)
    beat = 60.0 / bpm
    drums = next(i for i in midi.instruments if i.is_drum)
    kicks = np.array([n.start for n in drums.notes if n.pitch == 36])
    assert len(kicks) > 10
    sixteenth = beat / 4
    off_grid = kicks - np.round(kicks / sixteenth) * sixteenth
    # humanised, and only just: the style's timing spread, and pop's sixteenths swung by 1% of a beat
    assert np.max(np.abs(off_grid)) < 0.008 and np.std(off_grid) > 0.0002
    pad, keys = (next(i for i in midi.instruments if i.name == name) for name in ("pad: strings", "keys: piano"))
    chords = []
    for bar in range(6):
        t0, t1 = bar * 4 * beat, (bar + 1) * 4 * beat
        sounding = [n for n in pad.notes if n.start <= t0 + beat / 2 < n.end]
        sounding += [n for n in keys.notes if t0 - 0.02 <= n.start < t1 - 0.02]
        chords.append(frozenset(n.pitch % 12 for n in sounding))
    assert all(3 <= len(c) <= 5 for c in chords)
    assert sum(chords[i] != chords[i + 1] for i in range(5)) >= 3
    # the closing chord is the tonic (D major, maybe with its 9th) on a downbeat, rooted on D
    last_start = max(n.start for n in pad.notes)
    closing = [n.pitch for n in pad.notes + keys.notes if n.start == last_start]
    assert {2, 6, 9} <= {p % 12 for p in closing} <= {2, 4, 6, 9} and min(closing) % 12 == 2
    assert abs(last_start - round(last_start / (4 * beat)) * 4 * beat) < 1e-3  # MIDI ticks: sub-ms


def test_sparse_arrangement_drops_the_lead(tmp_path):
    full = pretty_midi.PrettyMIDI(render(brief(density=1.0), tmp_path / "full").midi_path)
    sparse = pretty_midi.PrettyMIDI(render(brief(density=0.3), tmp_path / "sparse").midi_path)
    lead = lambda m: sum(len(i.notes) for i in m.instruments if i.name == "lead: flute")  # noqa: E731
    assert lead(full) > 10 and lead(sparse) <= 1


@pytest.mark.parametrize("change, message", [
    (lambda b: setattr(b, "key", "H"), "key"),
    (lambda b: setattr(b.sections[0], "instrumentation", ["kazoo"]), "instrument"),
    (lambda b: setattr(b, "tempo_map", [TempoPoint(0.0, 5.0)]), "BPM"),
    (lambda b: setattr(b, "sections", []), "sections"),
])
def test_bad_briefs_are_input_errors(tmp_path, change, message):
    b = brief()
    change(b)
    with pytest.raises(InputError, match=message):
        render(b, tmp_path)


def _kick_midi(path: Path, tempos: dict[int, float], beats: int, channel: int = 9) -> list[float]:
    """A kick (note 36) on every beat but the first (an onset detector needs something before it) under a tempo
    map with changes ({beat: BPM}), on `channel` (9 is MIDI channel 10, drums); returns the kicks' times."""
    from mido import Message, MetaMessage, MidiFile, MidiTrack, bpm2tempo

    ticks = 480
    events = [(beat * ticks, 0, MetaMessage("set_tempo", tempo=bpm2tempo(bpm))) for beat, bpm in tempos.items()]
    for beat in range(1, beats):
        events.append((beat * ticks, 1, Message("note_on", channel=channel, note=36, velocity=110)))
        events.append((beat * ticks + ticks // 4, 2, Message("note_off", channel=channel, note=36, velocity=0)))
    file = MidiFile(ticks_per_beat=ticks)
    track = MidiTrack()
    file.tracks.append(track)
    last = 0
    for tick, _, message in sorted(events, key=lambda e: e[:2]):
        track.append(message.copy(time=tick - last))
        last = tick
    file.save(str(path))
    times, t, bpm = [], 0.0, tempos[0]
    for beat in range(beats):
        bpm = tempos.get(beat, bpm)
        times.append(t)
        t += 60.0 / bpm
    return times[1:]


def test_the_renderer_follows_tempo_changes_and_plays_channel_10_as_drums(tmp_path):
    """symusic renders the MIDI the composer writes: kicks at their times across two tempo changes, and a drum
    kit on channel 10, not the melodic program the same notes would otherwise play."""
    import librosa

    from autoscore_video.generation.symbolic.synth import render_midi

    rate = 48000
    path = tmp_path / "drums.mid"
    kicks = _kick_midi(path, {0: 90.0, 6: 120.0, 14: 150.0}, 23)
    on_file = sorted(n.start for n in pretty_midi.PrettyMIDI(str(path)).instruments[0].notes)
    assert on_file == pytest.approx(kicks, abs=0.002) and kicks[-1] < 11.5  # the file holds the tempo map
    audio = render_midi(path, 12.0, rate, pretty_midi_bank())
    assert audio.shape == (12 * rate, 2) and audio.dtype == np.float32
    envelope = librosa.onset.onset_strength(y=audio.mean(axis=1), sr=rate, hop_length=64)
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=rate, hop_length=64, units="time")
    offsets = np.array([onsets[np.argmin(np.abs(onsets - k))] - k for k in kicks])
    assert np.all(np.abs(offsets) < 0.02), offsets  # every kick sounds where the tempo map puts it
    assert len(onsets) == pytest.approx(len(kicks), abs=1)

    _kick_midi(tmp_path / "piano.mid", {0: 90.0, 6: 120.0, 14: 150.0}, 23, channel=0)
    piano = render_midi(tmp_path / "piano.mid", 12.0, rate, pretty_midi_bank())

    def spectrum(x):
        magnitude = np.abs(np.fft.rfft(x.mean(axis=1)))
        return magnitude / np.linalg.norm(magnitude)

    assert float(spectrum(audio) @ spectrum(piano)) < 0.5  # a kick drum, not a low piano C


def _single_note(path: Path, program: int, key: int, velocity: int = 100) -> Path:
    midi = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120)
    instrument = pretty_midi.Instrument(program=program)
    instrument.notes.append(pretty_midi.Note(velocity=velocity, pitch=key, start=0.0, end=1.0))
    midi.instruments.append(instrument)
    midi.write(str(path))
    return path


@pytest.mark.parametrize("bank", BANKS, ids=[b.name for b in BANKS])
@pytest.mark.parametrize("program, key", [(0, 60), (38, 36), (81, 72), (90, 60), (34, 40), (48, 55)])
def test_every_instrument_sounds_the_pitch_it_was_asked(tmp_path, program, key, bank):
    """In every bank this machine has: TimGM6mb keeps each zone's root key in the zone, which symusic alone
    ignores (unrewritten, its piano sounded 20 semitones sharp, its synth bass 20 flat, the saw lead an octave
    up: soundfont.py); MuseScore's .sf3 banks leave out RIFF's pad byte after an odd chunk."""
    import librosa

    from autoscore_video.generation.symbolic.synth import render_midi

    rate = 48000
    audio = render_midi(_single_note(tmp_path / "note.mid", program, key), 1.0, rate, bank.path).mean(axis=1)
    f0, voiced, _ = librosa.pyin(audio[int(0.1 * rate):int(0.9 * rate)], fmin=30, fmax=2000, sr=rate,
                                 frame_length=4096)
    heard = float(np.median(f0[voiced]))
    assert 12 * np.log2(heard / librosa.midi_to_hz(key)) == pytest.approx(0.0, abs=0.3)


@pytest.mark.parametrize("bank", BANKS, ids=[b.name for b in BANKS])
def test_velocity_sets_loudness_as_a_soundfont_player_does(tmp_path, bank):
    """Amplitude in proportion to velocity, on top of whatever the bank's own velocity layers do (symusic alone
    plays the sample a velocity picks, at the sample's level)."""
    import symusic

    from autoscore_video.generation.symbolic.soundfont import playable_copy
    from autoscore_video.generation.symbolic.synth import render_midi

    def level(audio):
        return 10 * np.log10(np.mean(np.asarray(audio, dtype=np.float64) ** 2))

    # symusic's synthesiser keeps the voice it first made for a key, whatever the velocity asked later (a
    # velocity-56 note after a velocity-100 one plays the louder layer, 1.2 dB up): measured from a fresh one.
    from autoscore_video.generation.symbolic.synth import _synthesizer
    _synthesizer.cache_clear()
    ours, samples = {}, {}
    synthesizer = symusic.Synthesizer(str(playable_copy(bank.path)), sample_rate=48000, quality=0)
    for velocity in (56, 120):  # VELOCITY_STEP rounds each within 0.6 dB above velocity 50
        midi = _single_note(tmp_path / f"v{velocity}.mid", 0, 60, velocity)
        ours[velocity] = level(render_midi(midi, 1.5, 48000, bank.path))
        samples[velocity] = level(synthesizer.render(symusic.Score(str(midi)), stereo=True)[:, :72000])
    layers = samples[120] - samples[56]  # 0 dB for a bank with one sample per key, more where it has layers
    assert ours[120] - ours[56] == pytest.approx(layers + 20 * np.log10(120 / 56), abs=0.7)


def test_the_rewritten_bank_keeps_everything_but_roots_and_levels(tmp_path):
    from autoscore_video.generation.symbolic.soundfont import linear_attenuation, playable_copy, rewrite

    original = pretty_midi_bank().read_bytes()
    rewritten = rewrite(original)
    assert rewritten[:4] == b"RIFF" and int.from_bytes(rewritten[4:8], "little") == len(rewritten) - 8
    def samples(bank: bytes) -> bytes:
        return bank[bank.index(b"sdta"):bank.index(b"pdta") - 8]  # up to the pdta list's header

    assert samples(original) == samples(rewritten)  # the samples are untouched
    assert rewrite(original) == rewritten  # the same bank makes the same copy
    assert playable_copy(pretty_midi_bank()).read_bytes() == rewritten
    assert [linear_attenuation(cb) for cb in (0, 60, 200, 960)] == [0, 499, 900, 1000]  # 0, 6, 20, 96 dB down


def test_a_bank_that_is_not_a_soundfont_is_one_model_error(tmp_path, monkeypatch):
    from autoscore_video.common.errors import ModelError
    from autoscore_video.generation.symbolic.soundfont import playable_copy

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, content in (("garbage.sf2", b"\x00" * 100), ("truncated.sf2", b"RIFF\x10\x00\x00\x00sfbkLIST")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ModelError, match=name):
            playable_copy(tmp_path / name)


def test_the_playable_copy_goes_to_the_temporary_folder_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    from autoscore_video.generation.symbolic import soundfont
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))  # mkdir fails: a file is in the way
    monkeypatch.setattr(soundfont.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    copy = soundfont.playable_copy(pretty_midi_bank())
    assert copy.parent == tmp_path / "tmp" / "autoscore-soundfonts" and copy.stat().st_size > 1_000_000
    assert not list(copy.parent.glob("*.partial"))
