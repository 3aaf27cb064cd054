"""Makes the sample clips: lavfi pictures with known hard cuts and saturation, speech or tones, and SRTs.

`python -m samples.make_samples` rebuilds samples/calm.mp4 and samples/energetic.mp4 (committed for the
README). The tests build their own clips with `make_clip`, so every cut time they assert is known.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg

# Pictures that differ strongly from their neighbours in the cycle, each moving a little within a shot.
SOURCES = (
    "testsrc2=size={w}x{h}:rate={fps}",
    "smptehdbars=size={w}x{h}:rate={fps}",
    "mandelbrot=size={w}x{h}:rate={fps}",
    "rgbtestsrc=size={w}x{h}:rate={fps}",
    # gradients draws its points (and without a seed its colours) at random: both fixed, clips repeat exactly
    "gradients=size={w}x{h}:rate={fps}:speed=0.02:c0=0x2040c0:c1=0xe0a020:x0=0:y0=0:x1={w}:y1={h}:seed=7",
    "cellauto=size={w}x{h}:rate={fps}:rule=18:random_seed=5",
)


@dataclass
class Line:
    start: float
    end: float
    text: str


@dataclass
class ClipSpec:
    shots: list[float]  # shot durations in seconds; hard cuts between them
    saturation: float = 1.0  # hue=s factor: 0 grey .. 1 as is .. 2 vivid
    shot_saturation: list[float] = field(default_factory=list)  # per shot, where it differs from `saturation`
    size: tuple[int, int] = (640, 360)
    fps: int = 30
    speech: list[Line] = field(default_factory=list)  # spoken with espeak-ng where installed, else a tone
    subtitles: list[Line] = field(default_factory=list)  # written as an .srt beside the clip
    audio: str = "ambience"  # "ambience" | "tone" | "none"
    voice: str = "en"  # espeak-ng's voice for the speech: "en", "cmn" (Mandarin) ...
    ambience_amplitude: float = 0.01  # the room tone's pink noise (0.01: about -56 LUFS; 0.018: about -50)

    @property
    def cuts(self) -> list[float]:
        times, t = [], 0.0
        for d in self.shots[:-1]:
            t += d
            times.append(round(t, 6))
        return times

    @property
    def duration(self) -> float:
        return sum(self.shots)


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def make_clip(path: Path, spec: ClipSpec) -> Path:
    """Write `path` (H.264 + AAC) and, when the spec has subtitles, `path` with .srt beside it."""
    w, h = spec.size
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        args: list[str] = []
        chains = []
        for i, d in enumerate(spec.shots):
            source = SOURCES[i % len(SOURCES)].format(w=w, h=h, fps=spec.fps)
            args += ["-f", "lavfi", "-t", f"{d:.6f}", "-i", source]
            saturation = spec.shot_saturation[i] if i < len(spec.shot_saturation) else spec.saturation
            chains.append(f"[{i}:v]format=yuv420p,hue=s={saturation},setsar=1[v{i}]")
        graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(len(spec.shots)))
        graph += f"concat=n={len(spec.shots)}:v=1:a=0[v]"
        maps = ["-map", "[v]"]
        if spec.audio != "none":
            audio_path = work_dir / "audio.wav"
            _make_audio(audio_path, spec, work_dir)
            args += ["-i", str(audio_path)]
            maps += ["-map", f"{len(spec.shots)}:a"]
        ffmpeg(*args, "-filter_complex", graph, *maps, "-c:v", "libx264", "-preset", "veryfast", "-crf", "30",
               "-g", str(spec.fps * 2), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k",
               "-t", f"{spec.duration:.6f}", "-movflags", "+faststart", str(path))
    if spec.subtitles:
        write_srt(path.with_suffix(".srt"), spec.subtitles)
    return path


def _make_audio(out: Path, spec: ClipSpec, work_dir: Path) -> None:
    """Room tone for the whole clip with speech (or 300 Hz tone bursts) placed at the spec's times."""
    duration = spec.duration
    room_tone = f"anoisesrc=color=pink:amplitude={spec.ambience_amplitude}:sample_rate=48000:seed=11"
    inputs = ["-f", "lavfi", "-t", f"{duration:.6f}", "-i", room_tone]
    if spec.audio == "tone":
        inputs = ["-f", "lavfi", "-t", f"{duration:.6f}", "-i", "sine=frequency=220:sample_rate=48000"]
    mix = ["[0:a]volume=1[bed]"]
    labels = ["[bed]"]
    for i, line in enumerate(spec.speech):
        clip = work_dir / f"line{i}.wav"
        if espeak_available():
            subprocess.run(["espeak-ng", "-v", spec.voice, "-s", "150", "-w", str(clip), line.text], check=True)
            inputs += ["-i", str(clip)]
            trim = f"atrim=0:{line.end - line.start:.3f},"
        else:
            inputs += ["-f", "lavfi", "-t", f"{line.end - line.start:.3f}",
                       "-i", "sine=frequency=300:sample_rate=48000"]
            trim = ""
        delay = int(line.start * 1000)
        mix.append(f"[{i + 1}:a]{trim}aresample=48000,volume=0.8,adelay={delay}:all=1[s{i}]")
        labels.append(f"[s{i}]")
    graph = ";".join(mix) + ";" + "".join(labels) + f"amix=inputs={len(labels)}:normalize=0:duration=first[a]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[a]", "-ac", "2", "-ar", "48000", str(out))


def write_srt(path: Path, lines: list[Line]) -> None:
    def stamp(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = [f"{i}\n{stamp(line.start)} --> {stamp(line.end)}\n{line.text}\n" for i, line in enumerate(lines, 1)]
    path.write_text("\n".join(blocks), encoding="utf-8")


CALM_LINES = [
    Line(2.0, 5.5, "I miss the old days, when everything was simple."),
    Line(9.0, 12.5, "Now the house feels so empty and sad."),
    Line(15.0, 18.0, "I am lonely, and I cry every night."),
]
ENERGETIC_LINES = [
    Line(3.0, 5.5, "This is amazing! Best day ever!"),
    Line(12.0, 14.5, "We won! I love this, so much fun!"),
]


def calm_spec() -> ClipSpec:
    """Few cuts, washed-out colour, slow sad dialogue."""
    return ClipSpec(shots=[7.0, 7.0, 6.0], saturation=0.2, speech=CALM_LINES, subtitles=CALM_LINES)


def energetic_spec() -> ClipSpec:
    """A cut every 0.8 s or so, saturated colour, happy exclamations."""
    shots = [0.8, 0.6, 0.8, 1.0, 0.6, 0.8, 0.8, 1.2, 0.6, 0.8, 1.0, 0.8, 0.6, 0.8, 1.0, 0.8, 0.6, 0.8, 1.2, 0.8, 1.0,
             0.8, 1.0, 0.8]
    return ClipSpec(shots=shots, saturation=1.8, speech=ENERGETIC_LINES, subtitles=ENERGETIC_LINES)


def long_calm_spec() -> ClipSpec:
    """Two minutes of slow, muted shots (6-10 s each) over room ambience, with no speech."""
    return ClipSpec(shots=irregular_shots(120.0, seed=7, shortest=6.0, longest=10.0), saturation=0.3,
                    audio="ambience")


def fast_irregular_spec() -> ClipSpec:
    """Twenty seconds of fast, irregular cutting (shots of 0.6-1.2 s), saturated colour, no speech: cuts no
    steady tempo can all put on a beat."""
    return ClipSpec(shots=irregular_shots(20.0, seed=11, shortest=0.6, longest=1.2), saturation=1.2)


HAPPY_THEN_SAD = {
    "en": ["What a wonderful morning, I love this place!", "We laughed and danced, it was the best day ever.",
           "Everyone was so happy and proud of us.",
           "Then the bad news came, and my heart broke.", "I am so sad and lonely, I cry every night.",
           "Nothing will ever be the same, it hurts so much."],
    "zh": ["今天天气真好，我们太开心了！", "大家一起唱歌跳舞，真是最美好的一天。", "我为我们感到非常骄傲和幸福。",
           "后来坏消息传来，一切都完了。", "我每天晚上都在哭，真的很难过。", "我很孤独，心里非常痛苦。"],
}
HAPPY_THEN_SAD_TIMES = [(0.5, 3.5), (4.0, 7.0), (7.5, 10.5), (12.0, 15.0), (15.5, 18.5), (19.0, 22.5)]


def happy_then_sad_spec(language: str = "en") -> ClipSpec:
    """24 s of voice-over, three happy lines then three sad ones from 12 s, spoken and subtitled. English cuts
    every 6 s (a cut where the mood turns); Chinese every 8 s (none near the turn)."""
    lines = [Line(a, b, text) for (a, b), text in zip(HAPPY_THEN_SAD_TIMES, HAPPY_THEN_SAD[language])]
    shots = [6.0] * 4 if language == "en" else [8.0] * 3
    return ClipSpec(shots=shots, saturation=0.8, speech=lines, subtitles=lines,
                    voice={"en": "en", "zh": "cmn"}[language])


def spoken_length(text: str, voice: str = "en") -> float:
    """Seconds espeak-ng takes to say `text` at the samples' rate."""
    import soundfile

    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "line.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
        info = soundfile.info(str(wav))
        return info.frames / info.samplerate


VOICE_OVER = ["The river starts high in the mountains.", "It runs through forests and small towns.",
              "Farmers have used its water for centuries.", "Today the valley is quiet again.",
              "Birds return to the wetlands every spring.", "And the river keeps on running to the sea."]


def voice_over_spec(pause_s: float = 0.3) -> ClipSpec:
    """A documentary voice-over: six sentences, each followed by a `pause_s` pause (measured from what espeak
    says, so the pauses are what the spec says), over slow cuts. Needs espeak-ng."""
    lines, t = [], 1.0
    for text in VOICE_OVER:
        length = spoken_length(text)
        lines.append(Line(round(t, 3), round(t + length, 3), text))
        t += length + pause_s
    total = round(t + 3.0)
    return ClipSpec(shots=[total / 4] * 4, saturation=0.6, speech=lines, subtitles=lines)


def room_tone_spec() -> ClipSpec:
    """20 s of quiet room tone (about -50 LUFS of pink noise), no speech, slow cuts."""
    return ClipSpec(shots=[5.0] * 4, saturation=0.5, ambience_amplitude=0.018)


def irregular_shots(total: float, seed: int = 3, shortest: float = 1.5, longest: float = 4.0) -> list[float]:
    """Shots of irregular length (an editor cutting by feel), rounded to whole frames at 30 fps."""
    import random

    rng, shots = random.Random(seed), []
    while sum(shots) < total - longest:
        shots.append(round(rng.uniform(shortest, longest) * 30) / 30)
    shots.append(round((total - sum(shots)) * 30) / 30)
    return shots


def ladder_specs() -> dict[str, ClipSpec]:
    """The musical-fit ladder: regular cutting from slow to frantic, irregular cutting, and a clip whose
    calm, grey first half turns into a frantic, saturated second half."""
    specs = {f"every-{gap:g}s": ClipSpec(shots=[gap] * int(24 / gap), saturation=0.9, audio="ambience")
             for gap in (4.0, 2.0, 1.0, 0.5)}
    specs["irregular"] = ClipSpec(shots=irregular_shots(36.0), saturation=0.9)
    calm, frantic = [4.0] * 4, [0.5] * 32
    specs["calm-then-frantic"] = ClipSpec(shots=calm + frantic,
                                          shot_saturation=[0.0] * len(calm) + [1.9] * len(frantic))
    return specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    out = parser.parse_args().out
    for name, spec in (("calm", calm_spec()), ("energetic", energetic_spec())):
        make_clip(out / f"{name}.mp4", spec)
        print(out / f"{name}.mp4", f"{spec.duration:.1f} s, cuts at {spec.cuts}")


if __name__ == "__main__":
    main()
