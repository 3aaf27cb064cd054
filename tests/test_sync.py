"""Streams on the picture's timeline: audio that starts after the picture (a camera's lead-in, an edit), a
picture that starts after the audio, both, and clips with two audio tracks. Sync is measured on the output as a
person would check it: a 3 kHz beep and a white frame that were together in the source are together in the
scored clip, within one frame."""
from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from samples.make_samples import ffmpeg
from tests.conftest import run_cli
from tests.measure import flash_time, tone_onsets

FPS = 25
FRAME_S = 1.0 / FPS


def _picture(path: Path, seconds: float, flash_at: float) -> Path:
    """Black, with one white frame at `flash_at` (the picture's own time)."""
    ffmpeg("-f", "lavfi", "-i", f"color=black:s=320x240:r={FPS}:d={seconds}",
           "-vf", f"drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,{flash_at},{flash_at + 0.039})'",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    return path


def _beep(path: Path, at: float, seconds: float) -> Path:
    """A 0.1 s 3 kHz beep at `at` (the WAV's own time) in a quiet bed of pink noise, `seconds` long."""
    ffmpeg("-f", "lavfi", "-i", f"sine=f=3000:d=0.1:sample_rate=48000,adelay={int(at * 1000)}|0,"
           f"apad=whole_dur={seconds}",
           "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.01:sample_rate=48000:d={seconds}",
           "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0", "-ac", "2", "-c:a", "pcm_s16le", str(path))
    return path


def _offset_clip(folder: Path, video_offset: float, audio_offset: float) -> Path:
    """An 8 s clip whose picture starts at `video_offset` and audio at `audio_offset` on the file's clock; the
    beep and the white frame are together at 2.2 s of the picture."""
    picture = _picture(folder / "picture.mp4", 8.0, 2.2)
    beep_at = 2.2 + video_offset - audio_offset
    sound = _beep(folder / "sound.wav", beep_at, beep_at + 6.0)
    clip = folder / "clip.mp4"
    ffmpeg("-itsoffset", str(video_offset), "-i", str(picture), "-itsoffset", str(audio_offset), "-i", str(sound),
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(clip))
    return clip


def _streams(path: Path) -> list[tuple[str, float, float]]:
    """(kind, start, end) of every stream, seconds on the file's clock."""
    with av.open(str(path)) as container:
        return [(s.type, float(s.start_time * s.time_base), float((s.start_time + s.duration) * s.time_base))
                for s in container.streams if s.type in ("video", "audio")]


@pytest.mark.parametrize("video_offset, audio_offset", [(0.0, 0.5), (0.0, 2.0), (1.0, 0.0), (1.0, 0.5)],
                         ids=["audio-0.5s-late", "audio-2s-late", "video-1s-late", "both-offset"])
def test_beep_stays_on_its_frame(tmp_path, video_offset, audio_offset):
    clip = _offset_clip(tmp_path, video_offset, audio_offset)
    [source_beep] = tone_onsets(clip)
    assert abs(source_beep - flash_time(clip)) < FRAME_S  # the source itself is in sync

    done = run_cli("score", str(clip), "--json")
    assert done.returncode == 0, done.stderr
    scored = tmp_path / "clip.scored.mp4"
    [beep] = tone_onsets(scored)
    assert abs(beep - flash_time(scored)) < FRAME_S
    # the streams start and end with the picture
    (_, v0, v1), (_, a0, a1) = _streams(scored)
    assert abs(a0 - v0) < FRAME_S and abs(a1 - v1) < FRAME_S + 0.03  # AAC ends on its own 21 ms frames
    report = json.loads(done.stdout)
    offset = audio_offset - video_offset
    assert report["audio_track"]["offset_s"] == pytest.approx(offset, abs=0.03)
    [note] = [n for n in report["notes"] if n.startswith("audio track 1 starts")]
    assert ("after the first frame: silence fills" if offset > 0
            else "before the first frame: that part is cut") in note


def _two_track_clip(folder: Path, *, first_silent: bool, default_second: bool) -> Path:
    """Track 1 silent or a beep at 0.5 s, track 2 a beep at 2.2 s with the white frame; which one is marked
    default as asked."""
    picture = _picture(folder / "picture.mp4", 8.0, 2.2)
    one = folder / "one.wav"
    if first_silent:
        ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo:d=8", "-c:a", "pcm_s16le", str(one))
    else:
        _beep(one, 0.5, 8.0)
    two = _beep(folder / "two.wav", 2.2, 8.0)
    clip = folder / "clip.mp4"
    marks = ["-disposition:a:0", "0", "-disposition:a:1", "default"] if default_second else []
    ffmpeg("-i", str(picture), "-i", str(one), "-itsoffset", "1.0", "-i", str(two), "-map", "0:v", "-map", "1:a",
           "-map", "2:a", "-c:v", "copy", "-c:a", "aac", *marks, "-metadata:s:a:1", "language=fra",
           "-metadata:s:a:1", "title=commentary", str(clip))
    # track 2 was laid 1 s late: its beep (2.2 s of the WAV) sits at 3.2 s of the picture; the white frame at 2.2
    return clip


@pytest.mark.parametrize("first_silent, default_second", [(True, False), (False, True)],
                         ids=["track-1-silent", "track-2-default"])
def test_two_tracks_both_kept_and_placed(tmp_path, first_silent, default_second):
    clip = _two_track_clip(tmp_path, first_silent=first_silent, default_second=default_second)
    done = run_cli("score", str(clip), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["audio_track"]["track"] == 2  # the mix is made on the track with the sound / marked default
    assert report["audio_track"]["why"] == ("the first that is not silent (track 1 silent)" if first_silent
                                            else "marked default")
    assert [t["track"] for t in report["mix"]["kept_tracks"]] == [1]

    scored = tmp_path / "clip.scored.mp4"
    with av.open(str(scored)) as container:
        audio = list(container.streams.audio)
        assert len(audio) == 2
        assert audio[0].disposition & av.stream.Disposition.default
        assert not audio[1].disposition & av.stream.Disposition.default
    mix_beep, kept_beep = tone_onsets(scored)
    assert abs(mix_beep - (flash_time(scored) + 1.0)) < FRAME_S  # track 2, 1 s late in the source, still is
    if first_silent:
        assert kept_beep is None
    else:
        assert abs(kept_beep - 0.5) < FRAME_S  # track 1 kept as it was, at its place on the picture


def test_audio_track_flag_chooses_and_bad_number_is_one_line(tmp_path):
    clip = _two_track_clip(tmp_path, first_silent=False, default_second=True)
    done = run_cli("score", str(clip), "--json", "--audio-track", "1")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["audio_track"]["track"] == 1 and report["audio_track"]["why"] == "--audio-track 1"
    scored = tmp_path / "clip.scored.mp4"
    mix_beep, kept_beep = tone_onsets(scored)
    assert abs(mix_beep - 0.5) < FRAME_S and abs(kept_beep - 3.2) < FRAME_S

    refused = run_cli("score", str(clip), "--audio-track", "3", "-o", str(tmp_path / "other.mp4"))
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [f"autoscore: error: --audio-track 3: {clip} has 2 audio tracks"]
    assert not (tmp_path / "other.mp4").exists()
