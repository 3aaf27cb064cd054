"""The mixing stage end to end: fit, duck, level, normalise, limit, write stems, mux."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from autoscore_video.common.audio import exact_length, load_audio
from autoscore_video.common.errors import InputError
from autoscore_video.common.media import read_audio
from autoscore_video.mixing.align import Warp, apply_warp, plan_warp
from autoscore_video.mixing.duck import duck_envelope, held_regions, level_inside_outside, region_gain
from autoscore_video.mixing.fit import fade_start, fit_to_length
from autoscore_video.mixing.loudness import Limited, integrated_lufs, limit_true_peak, sample_peaks, true_peak_db
from autoscore_video.mixing.mux import encode_mp3, mux
from autoscore_video.mixing.settings import MixSettings

ENCODE_ATTEMPTS = 3  # limit, encode, measure; lower the ceiling by the codec's overshoot and go again
PEAK_SLACK_DB = 0.05  # a retry aims this far under what the last encode overshot
CODEC_MARGIN_DB = 0.5  # AAC at 192 kb/s typically overshoots the limited peaks by 0.3-1 dB
TRIM_ATTEMPTS = 3  # static gains measured through the limiter, each trimming the original further
LIMITER_HEADROOM_DB = 6.0  # a static gain guessed this far under the cap cannot reach it, however hard it limits
TRIM_MARGIN_DB = 0.2  # the original is trimmed to this much under its cap, so the gain that follows stays under


@dataclass
class MixOutputs:
    video: Path
    stem_wav: Path
    stem_mp3: Path
    work_dir: Path  # for intermediates, removed by the caller


@dataclass
class StemTags:
    title: str
    artist: str
    comment: str


@dataclass
class MixReport:
    target_lufs: float
    integrated_lufs: float
    true_peak_db: float
    limiter_reduction_db: float
    music_gain_db: float
    original_audio: str  # "kept" | "replaced" | "none"
    duck_depth_db: float | None  # music stem: level outside speech minus level inside
    music_in_speech_db: float | None
    music_outside_speech_db: float | None
    # what the original audio was raised (lowered) by outside speech (room tone, ambience); None: not kept
    original_gain_db: float | None = None
    dialogue_gain_db: float | None = None  # ... and under speech; None without speech
    notes: list[str] = field(default_factory=list)
    warp: Warp | None = None  # how measured-beat music was bent onto the cuts, with its beats afterwards


def mix_and_mux(video: Path, music_wav: Path, *, duration: float, downbeats: list[float],
                speech_regions: list[tuple[float, float]], has_original_audio: bool, outputs: MixOutputs,
                tags: StemTags, settings: MixSettings, beats: list[float] | None = None,
                align_to_cuts: list[float] | None = None) -> MixReport:
    """`align_to_cuts`: cuts to bend the music onto (music whose `beats` were measured, not planned)."""
    rate = settings.sample_rate
    music = load_audio(music_wav, sample_rate=rate, what="music")
    warp = None
    if align_to_cuts and beats:
        planned = plan_warp(beats, align_to_cuts, max_stretch=settings.max_stretch,
                            tolerance_s=settings.beat_tolerance_s, available_s=len(music) / rate - duration)
        music, warp = apply_warp(music, rate, planned, beats, downbeats)
        downbeats = warp.downbeats
    fitted = fit_to_length(music, rate, downbeats, duration, settings.fade_out_s)
    samples = len(fitted)
    envelope = duck_envelope(samples, rate, speech_regions, settings.duck_depth_db,
                             settings.duck_attack_ms, settings.duck_release_ms, settings.duck_hold_ms)

    original = None
    if has_original_audio and not settings.replace_audio:
        original = exact_length(read_audio(video, sample_rate=rate, channels=2,
                                            what=f"decoding the audio of {video}"), samples)
    notes: list[str] = []
    music_gain_db = _music_gain_db(fitted, original, speech_regions, rate, settings, notes)
    stem = fitted * envelope[:, None] * np.float32(10.0 ** (music_gain_db / 20.0))
    original_trim_db, normalised = 0.0, None
    if original is not None:
        original_trim_db, trim, normalised = _original_trim(stem, original, speech_regions, rate, settings, notes)
        original = original * trim[:, None]
    mix = stem + original if original is not None else stem.copy()

    ceiling = settings.true_peak_db - CODEC_MARGIN_DB
    unlimited_mix, unlimited_stem = mix, stem
    for attempt in range(ENCODE_ATTEMPTS):
        if attempt == 0 and normalised is not None:  # the trim measured this very mix at this ceiling
            limited, stem, static_db, final_lufs = normalised
        else:
            limited, stem, static_db, final_lufs = normalise(unlimited_mix, unlimited_stem, rate, settings,
                                                             ceiling_db=ceiling)
        mix_wav = outputs.work_dir / "mix.wav"
        soundfile.write(str(mix_wav), limited.audio, rate, subtype="FLOAT")
        mux(video, mix_wav, outputs.video, bitrate=settings.audio_bitrate)
        # The lossy encoder overshoots the limited peaks; what counts is the peak of what was delivered.
        encoded = read_audio(outputs.video, sample_rate=rate, channels=2, what=f"decoding {outputs.video}")
        delivered_peak_db = true_peak_db(encoded)
        overshoot = delivered_peak_db - settings.true_peak_db
        if overshoot <= 0.0:
            break
        ceiling -= overshoot + PEAK_SLACK_DB
    fade_at = fade_start(downbeats, duration, settings.fade_out_s)
    inside, outside = level_inside_outside(stem, rate, held_regions(speech_regions, settings.duck_hold_ms / 1000.0),
                                           exclude_after=fade_at, guard=(settings.duck_attack_ms / 1000.0,
                                                                         settings.duck_release_ms / 1000.0))
    if overshoot > 0.0:
        notes.append(f"the encoded audio peaks at {delivered_peak_db:.1f} dBTP, above the "
                     f"{settings.true_peak_db:.1f} dBTP ceiling")
    report = MixReport(
        target_lufs=settings.target_lufs,
        integrated_lufs=round(integrated_lufs(encoded, rate), 3),
        true_peak_db=round(delivered_peak_db, 3),
        limiter_reduction_db=round(limited.reduction_db, 3),
        music_gain_db=round(float(music_gain_db + static_db), 3),
        original_gain_db=None if original is None else round(float(original_trim_db + static_db), 3),
        dialogue_gain_db=round(float(static_db), 3) if original is not None and speech_regions else None,
        original_audio="replaced" if has_original_audio and settings.replace_audio else (
            "kept" if original is not None else "none"),
        duck_depth_db=round(outside - inside, 2) if inside is not None and outside is not None else None,
        music_in_speech_db=None if inside is None else round(inside, 2),
        music_outside_speech_db=None if outside is None else round(outside, 2),
        notes=notes,
        warp=warp,
    )

    soundfile.write(str(outputs.stem_wav), stem, rate, subtype="PCM_24", format="WAV")
    encode_mp3(outputs.stem_wav, outputs.stem_mp3, bitrate=settings.mp3_bitrate,
               title=tags.title, artist=tags.artist, comment=tags.comment)
    return report


def normalise(mix: np.ndarray, stem: np.ndarray, rate: int, settings: MixSettings,
              tolerance_lu: float = 0.1, ceiling_db: float | None = None) -> tuple[Limited, np.ndarray, float, float]:
    """One static gain to the loudness target, then the true-peak limiter.

    The limiter takes some loudness off peaky material, so the static gain is chosen such that the
    limited result lands on the target (a few measurements, still a single static gain on the mix).
    Returns (the limited mix, the music stem at the same gain and limited alike, the static gain in dB,
    the limited mix's integrated loudness).
    """
    loudness = integrated_lufs(mix, rate)
    if not np.isfinite(loudness):
        raise InputError("the mix is silent; nothing to normalise")
    ceiling = settings.true_peak_db if ceiling_db is None else ceiling_db
    peaks = sample_peaks(mix)  # peaks scale with a static gain: measured once
    gain_db = settings.target_lufs - loudness
    for _ in range(4):
        gain = np.float32(10.0 ** (gain_db / 20.0))
        limited = limit_true_peak(mix * gain, rate, ceiling, peaks=peaks * gain)
        measured = integrated_lufs(limited.audio, rate)
        error = settings.target_lufs - measured
        if abs(error) <= tolerance_lu:
            break
        gain_db += error
    stem_limited = limit_true_peak(stem * gain, rate, ceiling)
    return limited, stem_limited.audio, gain_db, measured


def _original_trim(stem: np.ndarray, original: np.ndarray, regions: list[tuple[float, float]], rate: int,
                   settings: MixSettings, notes: list[str]) -> tuple[float, np.ndarray, tuple | None]:
    """(dB, the linear gain per sample) to take off the original outside speech before the one static gain of
    `normalise`, so that gain raises the room tone by at most `max_original_gain_db`: the music, and the dialogue
    where there is some, carry the mix to the target. Under speech the original is left as it is (the dialogue
    gets the full static gain), ramping between the two as the duck does. Third: `normalise`'s result for the
    mix with that trim, where it was measured (None where it was not)."""
    trim = 0.0
    gain = np.ones(len(original), dtype=np.float32)
    ceiling = settings.max_original_gain_db - TRIM_MARGIN_DB
    guess = settings.target_lufs - integrated_lufs(stem + original, rate)  # before the limiter
    if not np.isfinite(guess) or guess <= settings.max_original_gain_db - LIMITER_HEADROOM_DB:
        return trim, gain, None
    normalised = None
    for _ in range(TRIM_ATTEMPTS):
        # the limiter takes loudness off peaky speech (several dB): the static gain it then needs is measured
        mix = stem + original * gain[:, None]
        normalised = normalise(mix, stem, rate, settings, ceiling_db=settings.true_peak_db - CODEC_MARGIN_DB)
        static = normalised[2]
        if static + trim <= settings.max_original_gain_db:
            break
        normalised = None
        trim = ceiling - static
        gain = region_gain(len(original), rate, regions, 0.0, trim, settings.duck_attack_ms,
                           settings.duck_release_ms, settings.duck_hold_ms)
    if trim < 0.0:
        where = "between the lines" if regions else "(no speech in it)"
        notes.append(f"original audio {where} raised at most {settings.max_original_gain_db:.0f} dB: the music"
                     f"{' and dialogue' if regions else ''} reach the loudness target")
    return trim, gain, normalised


def _music_gain_db(music: np.ndarray, original: np.ndarray | None, regions: list[tuple[float, float]], rate: int,
                   settings: MixSettings, notes: list[str]) -> float:
    """Level the music against what it will sit under: the dialogue, or the ambience, or nothing."""
    music_lufs = integrated_lufs(music, rate)
    if not np.isfinite(music_lufs):
        raise InputError("the rendered music is silent")
    if original is None:
        return 0.0
    if regions:
        speech = np.concatenate([original[int(a * rate):int(b * rate)] for a, b in regions])
        dialogue = integrated_lufs(speech, rate)
        if np.isfinite(dialogue):
            notes.append(f"music set {settings.music_vs_dialogue_lu:+.1f} LU against dialogue at {dialogue:.1f} LUFS")
            return dialogue + settings.music_vs_dialogue_lu - music_lufs
    ambience = integrated_lufs(original, rate)
    if np.isfinite(ambience):
        notes.append(f"music set {settings.music_vs_ambience_lu:+.1f} LU against original audio at {ambience:.1f} LUFS")
        return ambience + settings.music_vs_ambience_lu - music_lufs
    notes.append("original audio is silent; music alone sets the level")
    return 0.0
