"""The hostile-input corpus: files a user might point autoscore at, generated with the bundled ffmpeg.

Each case is a video (and maybe a sidecar) built in a folder of its own, with what must happen:
`scored` (a correct scored clip), `refused` (one clear line, exit 1) or `either` (both are acceptable,
e.g. a truncated file that still holds some frames). Whatever the outcome, nothing may be half-written
and the source must stay byte-identical. `slow` cases are excluded from the default run.
"""
from __future__ import annotations

import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    build: Callable[[Path], None]  # writes `filename` (and any sidecar) into the folder given
    expect: str  # scored | refused | either
    slow: bool = False


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True, capture_output=True, timeout=600)


def picture(seconds: float = 2.0, size: str = "320x180", rate: str = "25") -> list[str]:
    """A moving test card with a hard cut halfway (two sources concatenated)."""
    half = seconds / 2
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={half}",
            "-f", "lavfi", "-i", f"smptebars=size={size}:rate={rate}:duration={half}"]


def tone(seconds: float = 2.0, rate: int = 48000, layout: str = "stereo") -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate={rate}:duration={seconds},aformat=channel_layouts={layout}"]


CONCAT = ["-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]"]


def concat(post: str | None = None) -> list[str]:
    chain = "[0:v][1:v]concat=n=2:v=1:a=0" + (f",{post}" if post else "")
    return ["-filter_complex", chain + "[v]", "-map", "[v]"]


def video(out: Path, *, seconds: float = 2.0, size: str = "320x180", rate: str = "25", vcodec: list[str] | None = None,
          audio: list[str] | None = None, acodec: list[str] | None = None, extra: list[str] | None = None,
          post: str | None = None) -> None:
    args = [*picture(seconds, size, rate)]
    audio = tone(seconds) if audio is None else audio
    args += audio
    args += concat(post)
    if audio:
        args += ["-map", "2:a"]
    args += vcodec or ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += acodec or ["-c:a", "aac", "-b:a", "96k"]
    args += extra or []
    ffmpeg(*args, str(out))


def plain(name: str, **kwargs) -> Callable[[Path], None]:
    return lambda folder: video(folder / name, **kwargs)


def truncated(fraction: float) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        whole = folder / "whole.tmp.mp4"
        video(whole, seconds=4.0, extra=["-movflags", "+faststart"])
        data = whole.read_bytes()
        whole.unlink()
        (folder / f"truncated-{int(fraction * 100)}.mp4").write_bytes(data[: int(len(data) * fraction)])
    return build


def corrupt_middle(folder: Path) -> None:
    path = folder / "corrupt-frame.mp4"
    video(path, seconds=4.0, extra=["-movflags", "+faststart"])
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 4000] = random.Random(7).randbytes(4000)
    path.write_bytes(bytes(data))


def write(name: str, content: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(content)


def with_sidecar(name: str, text: str, encoding: str, sidecar_suffix: str = ".srt") -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        video(folder / name)
        (folder / name).with_suffix(sidecar_suffix).write_bytes(text.encode(encoding))
    return build


SRT_ZH = "1\n00:00:00,200 --> 00:00:01,500\n今天天气很好，我们非常开心。\n\n2\n00:00:01,600 --> 00:00:01,900\n太棒了！\n"
SRT_EN = "1\n00:00:00,200 --> 00:00:01,500\nWhat a wonderful, happy day!\n\n"
SRT_BROKEN = ("1\n00:00:0x,200 --> 00:00:01,500\nbroken start\n\n2\n00:00:01,900 --> 00:00:01,100\nends before it starts\n\n"
              "3\n99:99:99,999 --> 00:00:01,000\nnonsense\n\nno number at all\n--> -->\n")
ASS_TAGS = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.20,0:00:01.50,Default,,0,0,0,,{\\b1\\c&H00FF00&\\pos(10,10)}What a {\\i1}lovely{\\i0} day!\\NSo happy.
Dialogue: 0,0:00:01.50,0:00:01.90,Default,,0,0,0,,{\\fad(100,100)\\k20}Terrible {\\k40}awful{\\r} news
"""


def huge_srt(folder: Path) -> None:
    video(folder / "huge-srt.mp4")
    block = []
    for i in range(400_000):  # about 50 MB of cues, most of them long after the clip ends
        start = i * 0.5
        block.append(f"{i + 1}\n{_stamp(start)} --> {_stamp(start + 0.4)}\nA happy line of subtitle text number {i} "
                     f"repeated to make the file large.\n\n")
    (folder / "huge-srt.srt").write_text("".join(block), encoding="utf-8")


def _stamp(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def empty_subtitle_track(folder: Path) -> None:
    empty = folder / "empty.srt.tmp"
    empty.write_text("")
    path = folder / "empty-subtitle-track.mkv"
    args = [*picture(), *tone(), "-f", "srt", "-i", str(empty), *CONCAT, "-map", "2:a", "-map", "3:s?",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "srt"]
    try:
        ffmpeg(*args, str(path))
    except subprocess.CalledProcessError:  # ffmpeg refuses an empty input: declare a track with no events
        ffmpeg(*picture(), *tone(), "-f", "lavfi", "-i", "anullsrc", *CONCAT, "-map", "2:a",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    empty.unlink()


def vfr(folder: Path) -> None:
    video(folder / "vfr.mp4", seconds=4.0, rate="30", post="select='not(mod(n\\,3))+lt(n\\,30)'",
          extra=["-fps_mode", "vfr"])


def rotated(folder: Path) -> None:
    plain_file = folder / "rot.tmp.mp4"
    video(plain_file)
    ffmpeg("-display_rotation", "90", "-i", str(plain_file), "-c", "copy", str(folder / "rotated-90.mp4"))
    plain_file.unlink()


def one_frame(folder: Path) -> None:
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "1", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(folder / "one-frame.mp4"))


def two_audio_tracks(folder: Path) -> None:
    ffmpeg(*picture(), *tone(), "-f", "lavfi", "-i", "sine=frequency=550:duration=2", *CONCAT, "-map", "2:a",
           "-map", "3:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
           str(folder / "two-audio-tracks.mp4"))


def image_named_mp4(folder: Path) -> None:
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1", "-f", "image2", "-c:v", "png",
           str(folder / "picture.png"))
    (folder / "picture.png").rename(folder / "image-named.mp4")


def audio_only(folder: Path) -> None:
    ffmpeg(*tone(), "-c:a", "aac", str(folder / "audio-only.mp4"))


def long_clip(folder: Path) -> None:
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10:duration=1200", *tone(1200.0, 22050),
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "48k",
           str(folder / "twenty-minutes.mp4"))


def cover_art_first(folder: Path) -> None:
    """Matroska with cover art as its first video stream: ffmpeg keeps no attached-picture mark there, so
    only its length (one frame) tells it from the picture."""
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1", str(folder / "cover.png"))
    ffmpeg(*picture(3.0), *tone(3.0), "-i", str(folder / "cover.png"), "-filter_complex",
           "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "3:v", "-map", "[v]", "-map", "2:a",
           "-c:v:0", "png", "-c:v:1", "libx264", "-preset", "ultrafast", "-pix_fmt:v:1", "yuv420p", "-c:a", "flac",
           str(folder / "cover-art-first.mkv"))
    (folder / "cover.png").unlink()


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
LOSSLESS = ["-c:v", "ffv1"]  # any size, odd ones included

CASES: list[Case] = [
    Case("zero-byte", "zero.mp4", write("zero.mp4", b""), "refused"),
    Case("random-bytes", "random.mp4", write("random.mp4", random.Random(1).randbytes(300_000)), "refused"),
    Case("text-named-mp4", "page.mp4", write("page.mp4", b"<html><body>404 Not Found</body></html>\n" * 50), "refused"),
    Case("image-named-mp4", "image-named.mp4", image_named_mp4, "refused"),
    Case("truncated-10", "truncated-10.mp4", truncated(0.10), "either"),
    Case("truncated-50", "truncated-50.mp4", truncated(0.50), "either"),
    Case("truncated-99", "truncated-99.mp4", truncated(0.99), "either"),
    Case("corrupt-frame", "corrupt-frame.mp4", corrupt_middle, "either"),
    Case("audio-only", "audio-only.mp4", audio_only, "refused"),
    Case("video-only", "video-only.mp4", plain("video-only.mp4", audio=[]), "scored"),
    Case("one-frame", "one-frame.mp4", one_frame, "refused"),
    Case("two-seconds", "two-seconds.mp4", plain("two-seconds.mp4"), "scored"),
    Case("twenty-minutes", "twenty-minutes.mp4", long_clip, "scored", slow=True),
    Case("variable-frame-rate", "vfr.mp4", vfr, "scored"),
    Case("rotation-metadata", "rotated-90.mp4", rotated, "scored"),
    Case("non-square-pixels", "anamorphic.mp4", plain("anamorphic.mp4", post="setsar=4/3"), "scored"),
    Case("8k", "8k.mp4", plain("8k.mp4", seconds=1.0, size="7680x4320", rate="5"), "scored", slow=True),
    Case("1x1", "1x1.mkv", plain("1x1.mkv", post="scale=1:1", vcodec=LOSSLESS, acodec=["-c:a", "flac"]), "refused"),
    Case("3x5", "3x5.mkv", plain("3x5.mkv", post="scale=3:5,format=yuv444p", vcodec=LOSSLESS, acodec=["-c:a", "flac"]),
         "refused"),
    Case("odd-size", "odd-size.mkv", plain("odd-size.mkv", post="scale=33:17,format=yuv444p", vcodec=LOSSLESS,
                                           acodec=["-c:a", "flac"]), "scored"),
    Case("hevc", "hevc.mp4", plain("hevc.mp4", vcodec=["-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1",
                                                       "-x265-params", "log-level=error"]), "scored"),
    Case("vp9", "vp9.webm", plain("vp9.webm", vcodec=["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"],
                                  acodec=["-c:a", "libopus"]), "scored"),
    Case("av1", "av1.mkv", plain("av1.mkv", vcodec=["-c:v", "libsvtav1", "-preset", "12"]), "scored"),
    Case("prores", "prores.mov", plain("prores.mov", vcodec=["-c:v", "prores_ks", "-profile:v", "0"],
                                       acodec=["-c:a", "pcm_s16le"]), "scored"),
    Case("mjpeg", "mjpeg.avi", plain("mjpeg.avi", vcodec=["-c:v", "mjpeg", "-q:v", "5"],
                                     acodec=["-c:a", "pcm_s16le"]), "scored"),
    Case("audio-5.1", "surround-5.1.mp4", plain("surround-5.1.mp4", audio=tone(layout="5.1")), "scored"),
    Case("audio-8-channels", "eight-channels.mkv", plain("eight-channels.mkv", audio=tone(layout="7.1"),
                                                         acodec=["-c:a", "flac"]), "scored"),
    Case("audio-8khz", "eight-khz.mp4", plain("eight-khz.mp4", audio=tone(rate=8000, layout="mono")), "scored"),
    Case("audio-192khz", "hi-res-audio.mkv", plain("hi-res-audio.mkv", audio=tone(rate=192000),
                                                   acodec=["-c:a", "flac"]), "scored"),
    Case("two-audio-tracks", "two-audio-tracks.mp4", two_audio_tracks, "scored"),
    Case("silent-audio", "silent-audio.mp4", plain("silent-audio.mp4", audio=["-f", "lavfi", "-i",
                                                                            "anullsrc=r=48000:cl=stereo:d=2"]), "scored"),
    Case("embedded-subtitles-no-events", "empty-subtitle-track.mkv", empty_subtitle_track, "scored"),
    Case("srt-gbk", "srt-gbk.mp4", with_sidecar("srt-gbk.mp4", SRT_ZH, "gbk"), "scored"),
    Case("srt-utf16", "srt-utf16.mp4", with_sidecar("srt-utf16.mp4", SRT_EN, "utf-16"), "scored"),
    Case("srt-broken-timestamps", "srt-broken.mp4", with_sidecar("srt-broken.mp4", SRT_BROKEN, "utf-8"), "refused"),
    Case("srt-binary-garbage", "srt-garbage.mp4",
         lambda f: (video(f / "srt-garbage.mp4"), (f / "srt-garbage.srt").write_bytes(random.Random(3).randbytes(5000))),
         "refused"),
    Case("srt-50mb", "huge-srt.mp4", huge_srt, "scored", slow=True),
    Case("ass-override-tags", "ass-tags.mp4", with_sidecar("ass-tags.mp4", ASS_TAGS, "utf-8", ".ass"), "scored"),
    Case("unicode-name", "clip ünïcödé 中文 🎬.mp4", plain("clip ünïcödé 中文 🎬.mp4"), "scored"),
    Case("spaces-in-name", "my holiday clip.mp4", plain("my holiday clip.mp4"), "scored"),
    Case("quotes-in-name", "it's \"quoted\" $HOME `x`.mp4", plain("it's \"quoted\" $HOME `x`.mp4"), "scored"),
    Case("leading-dash-name", "-dash.mp4", plain("-dash.mp4"), "scored"),
    Case("dollar-signs-in-name", "clip_$1_$2.mp4", plain("clip_$1_$2.mp4"), "scored"),
    Case("cover-art-first-stream", "cover-art-first.mkv", cover_art_first, "scored"),
    Case("wrong-extension", "really-mp4.mov", plain("really-mp4.mov"), "scored"),
    Case("source-in-read-only-folder", "in-read-only-folder.mp4", plain("in-read-only-folder.mp4"),
         "scored"),
]


@dataclass(frozen=True)
class HostileRequest:
    """A submission to `POST /v1/jobs` that must be refused with `status`, a reason holding `needle`, and
    nothing left behind. `json` is the raw body ("{root}" stands for an allowed root); `parts` a multipart
    body as httpx takes it (name -> (filename or None, content))."""
    name: str
    status: int
    needle: str
    json: bytes | None = None
    parts: dict | None = None
    content_type: str | None = None


CLIP = ("clip.mp4", b"\x00\x00\x00\x18ftypmp42")  # the upload is refused before its bytes matter


def _options(text: str) -> bytes:
    return b'{"path": "{root}/clip.mp4", "options": ' + text.encode() + b"}"


REQUESTS: list[HostileRequest] = [
    HostileRequest("json-100k-deep", 422, "recursion limit", json=b"[" * 100_000 + b"]" * 100_000),
    HostileRequest("invalid-utf8", 422, "Invalid JSON", json=b'{"path": "\xff\xfe"}'),
    HostileRequest("nul-in-path", 422, "NUL", json=b'{"path": "{root}/a\\u0000b.mp4"}'),
    HostileRequest("name-too-long", 422, "too long", json=b'{"path": "{root}/' + b"a" * 300 + b'.mp4"}'),
    HostileRequest("json-array", 422, "body", json=b"[1, 2]"),
    HostileRequest("plain-text", 415, "JSON", json=b"clip.mp4", content_type="text/plain"),
    HostileRequest("model-traversal", 422, "options.model", json=_options('{"model": "../../../../etc"}')),
    HostileRequest("model-absolute", 422, "options.model", json=_options('{"model": "/etc"}')),
    HostileRequest("bpm-string", 422, "options.bpm", json=_options('{"bpm": "fast"}')),
    HostileRequest("candidates-string", 422, "options.candidates", json=_options('{"candidates": "3"}')),
    HostileRequest("device-number", 422, "options.device", json=_options('{"device": 5}')),
    HostileRequest("preset-list", 422, "options.preset", json=_options('{"preset": ["x"]}')),
    HostileRequest("lufs-string", 422, "options.lufs", json=_options('{"lufs": "loud"}')),
    HostileRequest("lufs-nan", 422, "options.lufs", json=_options('{"lufs": NaN}')),
    HostileRequest("seed-string", 422, "options.seed", json=_options('{"seed": "x"}')),
    HostileRequest("seed-negative", 422, "options.seed", json=_options('{"seed": -1}')),
    HostileRequest("options-as-file-part", 422, "form field",
                   parts={"file": CLIP, "options": ("options.json", b'{"seed": 1}')}),
    HostileRequest("callback-as-file-part", 422, "form field",
                   parts={"file": CLIP, "callback_url": ("url.txt", b"http://127.0.0.1/hook")}),
    HostileRequest("options-not-json", 422, "options", parts={"file": CLIP, "options": (None, b"[[[")}),
    HostileRequest("options-wrong-type", 422, "options.bpm", parts={"file": CLIP, "options": (None, b'{"bpm": "x"}')}),
    HostileRequest("no-file-part", 422, "file", parts={"options": (None, b"{}")}),
    HostileRequest("file-named-dot-dot", 422, "file name", parts={"file": ("..", CLIP[1])}),
    HostileRequest("file-named-300-Ns", 422, "file name", parts={"file": ("N" * 300, CLIP[1])}),
]


def build(case: Case, folder: Path) -> Path:
    """Build one case into `folder` (created); returns the video's path."""
    folder.mkdir(parents=True, exist_ok=True)
    case.build(folder)
    return folder / case.filename


def all_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def names(slow: bool) -> list[str]:
    return [c.name for c in CASES if slow or not c.slow]


if __name__ == "__main__":  # build the whole corpus into a folder, for a look by hand
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for case in CASES:
        build(case, target / case.name)
        print(case.name, os.listdir(target / case.name))
