"""The MP3 stem's tags (mixing/id3.py), read back by two readers that are not ours: mutagen and ffmpeg."""
from __future__ import annotations

import subprocess

import pytest

from autoscore_video.mixing.id3 import head_tag_end, write_tags
from samples.make_samples import ffmpeg

TITLE, ARTIST, COMMENT = "Título ✓ 配乐", "autoscore symbolic engine", "engine=symbolic; seed=3; prompt=calm piano"


@pytest.fixture()
def mp3(tmp_path):
    path = tmp_path / "stem.mp3"
    ffmpeg("-f", "lavfi", "-t", "2", "-i", "sine=frequency=440:sample_rate=48000", "-c:a", "libmp3lame", "-b:a",
           "128k", "-write_xing", "1", "-metadata", "title=old", str(path))
    return path


def audio_frames(path) -> bytes:
    data = path.read_bytes()
    return data[head_tag_end(data[:10]):]


def test_tags_are_read_by_mutagen_and_ffmpeg_and_the_audio_is_untouched(mp3):
    from mutagen.mp3 import MP3

    audio = audio_frames(mp3)
    write_tags(mp3, title=TITLE, artist=ARTIST, comment=COMMENT, encoder="autoscore")
    write_tags(mp3, title=TITLE, artist=ARTIST, comment=COMMENT, encoder="autoscore")  # again: still one tag
    assert audio_frames(mp3) == audio
    read = MP3(str(mp3))
    assert read.tags.version == (2, 4, 0) and read.info.bitrate == 128000
    assert round(read.info.length) == 2
    assert str(read.tags["TIT2"]) == TITLE and str(read.tags["TPE1"]) == ARTIST
    assert [str(f) for k, f in read.tags.items() if k.startswith("COMM")] == [COMMENT]  # a COMM frame, not TXXX
    import imageio_ffmpeg

    probed = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(mp3), "-f", "null", "-"],
                            capture_output=True, text=True).stderr
    assert f"title           : {TITLE}" in probed and f"comment         : {COMMENT}" in probed
    assert mp3.read_bytes().count(b"ID3\x04") == 1 and not list(mp3.parent.glob(".*tagging*"))


def test_a_file_without_a_tag_gets_one_in_front_of_its_audio(tmp_path, mp3):
    bare = tmp_path / "bare.mp3"
    bare.write_bytes(audio_frames(mp3))
    write_tags(bare, title="t", artist="a", comment="c")
    assert head_tag_end(bare.read_bytes()[:10]) > 10 and audio_frames(bare) == audio_frames(mp3)
