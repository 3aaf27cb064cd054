"""Measurements tests make on outputs, with the same tools a person would use (ffmpeg, pyloudnorm, librosa)."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from autoscore_video.common.media import read_audio, run_ffmpeg


def container_duration(path: Path) -> float:
    with av.open(str(path)) as container:
        return container.duration / 1_000_000


def video_stream_md5(path: Path) -> str:
    return run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "md5", "-"], what="md5").decode().strip()


def audio_of(path: Path, rate: int = 48000) -> np.ndarray:
    return read_audio(path, sample_rate=rate, channels=2, what=f"decoding {path}")


def lufs(audio: np.ndarray, rate: int = 48000) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64)))


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of a file's audio as ffmpeg's own EBU R128 meter reads them (its
    summary has one decimal): a meter that is not the one autoscore mixes with."""
    import re
    import subprocess

    import imageio_ffmpeg

    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats", "-i", str(path),
                           "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"],
                          capture_output=True, text=True, check=True)
    summary = done.stderr[done.stderr.rindex("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(float(np.mean(np.square(x, dtype=np.float64))) + 1e-20)


def measured_tempo(audio_path: Path, start_bpm: float) -> float:
    """Tempo from librosa's beat tracker: the least-squares period of the tracked beat times.

    librosa reports beats on its frame grid (hop 256 at 22.05 kHz: 11.6 ms), so single intervals
    alternate between neighbouring frames; the fitted slope over all beats is the tempo they imply.
    """
    import librosa

    y, sr = librosa.load(str(audio_path), sr=22050, mono=True)
    _, beats = librosa.beat.beat_track(y=y, sr=sr, start_bpm=start_bpm, units="time", hop_length=256)
    period = np.polyfit(np.arange(len(beats)), beats, 1)[0]
    return 60.0 / float(period)


def tempo_matches(measured: float, planned: float, tolerance: float = 0.02) -> bool:
    return any(abs(measured * factor - planned) / planned <= tolerance for factor in (1.0, 2.0, 0.5))


def pause_rises_db(audio: np.ndarray, rate: int, lines: list[tuple[float, float]], longest_pause_s: float
                   ) -> list[float]:
    """For each pause between two lines no longer than `longest_pause_s`: how far the music's level (RMS) over
    the pause rises above its level over the last second of the line before."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    rises = []
    for (_, end), (start, _) in zip(lines, lines[1:]):
        if start - end > longest_pause_s:
            continue
        before = mono[int((end - 1.0) * rate):int(end * rate)]
        gap = mono[int(end * rate):int(start * rate)]
        if before.size and gap.size:
            rises.append(rms_db(gap) - rms_db(before))
    return rises


def flash_time(path: Path) -> float:
    """Presentation time (s, on the file's clock) of the first frame of the picture that is mostly white."""
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            if frame.to_ndarray(format="gray").mean() > 128:
                return float(frame.pts * frame.time_base)
    raise AssertionError(f"{path}: no white frame")


def tone_onsets(path: Path, frequency: float = 3000.0) -> list[float]:
    """For each audio stream of `path`, the presentation time (s, on the file's clock) where a tone at
    `frequency` starts: the first 2.5 ms hop, going back from its loudest moment, within 6 dB of that moment's
    level; None where the stream carries no such tone. Read from the decoded frames' own timestamps."""
    onsets = []
    with av.open(str(path)) as container:
        indices = [s.index for s in container.streams.audio]
    for index in indices:
        with av.open(str(path)) as container:
            stream = container.streams[index]
            first, pieces, rate = None, [], stream.codec_context.sample_rate
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                if first is None:
                    first = float(frame.pts * frame.time_base)
                samples = frame.to_ndarray().astype(np.float64)
                pieces.append(samples.mean(axis=0) if samples.shape[0] <= 8 else samples.reshape(-1))
        mono = np.concatenate(pieces)
        window, hop = 256, max(1, rate // 400)
        taper = np.hanning(window)
        basis = np.exp(-2j * np.pi * frequency * np.arange(window) / rate) * taper
        starts = np.arange(0, len(mono) - window, hop)
        level = np.array([abs(np.dot(mono[i:i + window], basis)) ** 2 for i in starts])
        peak = int(np.argmax(level))
        if level[peak] < 1e-3 * window:
            onsets.append(None)
            continue
        at = peak
        while at > 0 and level[at - 1] >= level[peak] / 4:
            at -= 1
        onsets.append(first + (starts[at] + window / 2) / rate)
    return onsets
