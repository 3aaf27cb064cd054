"""The mix's gains, worked out from measurements instead of trial mixes.

K-weighting is linear, so the loudness of `music_gain * stem + trim * original` follows, per 100 ms step,
from three sums measured once: the stem's power, the original's and their cross term. Every gain the mix
needs (the music against the dialogue or ambience, the room tone's trim, the one static gain to the target)
is solved on those sums. What the true-peak limiter takes off is predicted from one look at the mix's peaks
(`LimiterModel`), so the gains can be solved with it included, before anything is encoded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from autoscore_video.common.errors import InputError
from autoscore_video.mixing.meter import STEPS_PER_BLOCK, block_powers, gate_mask, gated_loudness, integrated_from_steps
from autoscore_video.mixing.settings import MixSettings

# A static gain guessed this far under the original's cap cannot reach it, however hard the limiter works.
LIMITER_HEADROOM_DB = 6.0
TRIM_MARGIN_DB = 0.2  # the original is trimmed to this much under its cap, so the gain that follows stays under
TRIM_ITERATIONS = 20
TRIM_TOLERANCE_DB = 0.01


@dataclass
class PartSums:
    """Per-step sums (steps, channels) of the K-weighted signals, from the mixing stage's measuring pass."""
    rate: int
    samples: int
    step: int  # samples per step
    music: np.ndarray  # the fitted music, before the duck: squared
    stem: np.ndarray  # the ducked music at unit gain: squared
    original: np.ndarray | None  # the original audio: squared
    cross: np.ndarray | None  # stem x original
    outside: np.ndarray | None  # (steps,) mean share of each step away from speech: where the trim applies
    speech: np.ndarray | None  # (steps,) bool: the step's middle lies in a speech region


@dataclass
class Levels:
    music_gain_db: float  # on the ducked music, before the static gain
    trim_db: float  # on the original away from speech (0 or negative), before the static gain
    static_db: float  # the one gain on the whole mix
    predicted_lufs: float  # the mix's loudness at these gains before the limiter


def lufs(sums: PartSums, steps: np.ndarray) -> float:
    return integrated_from_steps(steps, sums.samples, sums.rate)


def mix_steps(sums: PartSums, music_gain_db: float, trim_db: float) -> np.ndarray:
    """Per-step power (summed over channels) of the mix at these gains, before the static gain."""
    a = 10.0 ** (music_gain_db / 20.0)
    power = a * a * sums.stem.sum(axis=1)
    if sums.original is not None and sums.cross is not None and sums.outside is not None:
        t = 10.0 ** (trim_db * sums.outside / 20.0)
        power = power + 2.0 * a * t * sums.cross.sum(axis=1) + t * t * sums.original.sum(axis=1)
    return power


def music_gain_db(sums: PartSums, settings: MixSettings, notes: list[str]) -> float:
    """Level the music against what it will sit under: the dialogue, or the ambience, or nothing."""
    music = lufs(sums, sums.music)
    if not math.isfinite(music):
        raise InputError("the rendered music is silent")
    if sums.original is None:
        return 0.0
    if sums.speech is not None and sums.speech.any():
        dialogue = _concatenated_lufs(sums.original[sums.speech], sums.step)
        if math.isfinite(dialogue):
            notes.append(f"music set {settings.music_vs_dialogue_lu:+.1f} LU against dialogue at {dialogue:.1f} LUFS")
            return dialogue + settings.music_vs_dialogue_lu - music
    ambience = lufs(sums, sums.original)
    if math.isfinite(ambience):
        notes.append(f"music set {settings.music_vs_ambience_lu:+.1f} LU against original audio at {ambience:.1f} LUFS")
        return ambience + settings.music_vs_ambience_lu - music
    notes.append("original audio is silent; music alone sets the level")
    return 0.0


def plan_levels(sums: PartSums, music_db: float, settings: MixSettings, *, target_lufs: float | None = None,
                has_speech: bool = False, notes: list[str] | None = None) -> Levels:
    """The trim on the original away from speech and the static gain that bring the mix to `target_lufs`
    (the settings' target, or that target plus what the limiter takes off), raising the room tone by at most
    `max_original_gain_db`: the music, and the dialogue where there is some, carry the mix the rest of the way."""
    target = settings.target_lufs if target_lufs is None else target_lufs
    untrimmed = lufs(sums, mix_steps(sums, music_db, 0.0))
    if not math.isfinite(untrimmed):
        raise InputError("the mix is silent; nothing to normalise")
    trim, static, loudness = 0.0, target - untrimmed, untrimmed
    cap = settings.max_original_gain_db
    if sums.original is not None and target - untrimmed > cap - LIMITER_HEADROOM_DB:
        for _ in range(TRIM_ITERATIONS):
            if static + trim <= cap:
                break
            trim = min(0.0, cap - TRIM_MARGIN_DB - static)
            loudness = lufs(sums, mix_steps(sums, music_db, trim))
            if not math.isfinite(loudness):
                raise InputError("the mix is silent; nothing to normalise")
            previous, static = static, target - loudness
            if abs(static - previous) <= TRIM_TOLERANCE_DB:
                break
    if trim < 0.0 and notes is not None:
        where = "between the lines" if has_speech else "(no speech in it)"
        notes.append(f"original audio {where} raised at most {cap:.0f} dB: the music"
                     f"{' and dialogue' if has_speech else ''} reach the loudness target")
    return Levels(music_gain_db=music_db, trim_db=trim, static_db=static, predicted_lufs=loudness + static)


def _concatenated_lufs(steps: np.ndarray, step: int) -> float:
    """Loudness of the chosen steps played one after another (the dialogue: every step inside speech)."""
    if len(steps) < STEPS_PER_BLOCK:
        return float("-inf")
    per_step = steps.sum(axis=1)
    window = np.cumsum(np.concatenate([[0.0], per_step]))
    power = (window[STEPS_PER_BLOCK:] - window[:-STEPS_PER_BLOCK]) / (STEPS_PER_BLOCK * step)
    return gated_loudness(power)


class LimiterModel:
    """How much loudness the limiter takes off the mix at a static gain `offset_db` above the one it was
    measured at. The limiter's gain at a sample is about min(1, ceiling / the highest true peak within its
    reach: its hold and smoothing before, its lookahead after): per sample, that peak (relative to the
    ceiling, in 0.1 dB bins) is counted with the sample's K-weighted power, over the steps the loudness gate
    keeps. It reads 0.1-0.2 LU short of the limiter on peaky speech (a first encode that misses the target
    by more than `mixdown.RETRY_MISS_LU` is encoded again, aimed by the miss)."""

    BIN_DB = 0.1
    LOWEST_DB = -40.0  # peaks further under the ceiling than this are never limited at any gain tried
    BINS = 800

    def __init__(self):
        self.power = np.zeros(self.BINS)

    def add(self, held_peak_db: np.ndarray, weighted_power: np.ndarray) -> None:
        """`held_peak_db`: per sample, the held peak relative to the ceiling; `weighted_power`: per sample,
        the K-weighted power summed over channels, times the sample's share in the gated loudness."""
        index = np.clip(((held_peak_db - self.LOWEST_DB) / self.BIN_DB).astype(np.int64), 0, self.BINS - 1)
        self.power += np.bincount(index, weights=weighted_power, minlength=self.BINS)

    def loss_db(self, offset_db: float) -> float:
        total = self.power.sum()
        if total <= 0.0:
            return 0.0
        over = self.LOWEST_DB + (np.arange(self.BINS) + 0.5) * self.BIN_DB + offset_db  # dB over the ceiling
        kept = np.minimum(1.0, 10.0 ** (-np.maximum(over, 0.0) / 10.0))  # power the limiter leaves
        return float(-10.0 * np.log10(np.sum(self.power * kept) / total))


def gated_step_weights(sums: PartSums, levels: Levels) -> np.ndarray:
    """Per step, its share in the gated loudness of the mix at `levels` (0..1: the fraction of the 400 ms
    blocks containing it that pass both gates)."""
    steps = mix_steps(sums, levels.music_gain_db, levels.trim_db) * 10.0 ** (levels.static_db / 10.0)
    kept = gate_mask(block_powers(steps, sums.samples, sums.rate)).astype(float)
    share = np.zeros(len(steps) + 2 * STEPS_PER_BLOCK)
    for offset in range(STEPS_PER_BLOCK):  # block j holds steps j .. j + 3
        share[offset:offset + len(kept)] += kept
    return share[:len(steps)] / STEPS_PER_BLOCK


def solve_with_limiter(sums: PartSums, music_db: float, settings: MixSettings, model: LimiterModel,
                       base: Levels, *, has_speech: bool, aim_lufs: float | None = None, lowered_db: float = 0.0,
                       notes: list[str] | None = None) -> tuple[Levels, float]:
    """The levels whose loudness after the limiter (as `model` predicts it, measured at `base`, with the
    ceiling `lowered_db` under the one measured against) is `aim_lufs` (the target unless a first encode showed
    where to aim instead); and the loss predicted at them."""
    aim = settings.target_lufs if aim_lufs is None else aim_lufs
    loss = model.loss_db(lowered_db)
    for _ in range(TRIM_ITERATIONS):
        levels = plan_levels(sums, music_db, settings, target_lufs=aim + loss, has_speech=has_speech)
        new_loss = model.loss_db(levels.static_db - base.static_db + lowered_db)
        if abs(new_loss - loss) <= TRIM_TOLERANCE_DB or new_loss > MAX_LIMITING_LU:
            break
        loss = new_loss
    if max(loss, new_loss) > MAX_LIMITING_LU:
        # Past this, each dB of gain is mostly taken back by the limiter (it ran away: +150 dB for -8 LUFS on
        # a clip whose dialogue sat at -22): the gain stops where the limiter takes MAX_LIMITING_LU off.
        raised = _offset_for_loss(model, MAX_LIMITING_LU) - lowered_db
        levels = plan_levels(sums, music_db, settings, target_lufs=base.predicted_lufs + raised,
                             has_speech=has_speech, notes=notes)
        if notes is not None:
            notes.append(f"the {aim:.1f} LUFS target is out of reach under the {settings.true_peak_db:.1f} dBTP "
                         f"ceiling: the limiter would take more than {MAX_LIMITING_LU:.0f} LU off; aimed at "
                         f"{levels.predicted_lufs - MAX_LIMITING_LU:.1f} LUFS")
        return levels, MAX_LIMITING_LU
    levels = plan_levels(sums, music_db, settings, target_lufs=aim + loss, has_speech=has_speech, notes=notes)
    return levels, loss


MAX_LIMITING_LU = 6.0  # the most loudness the limiter may take off to reach a target


def _offset_for_loss(model: LimiterModel, loss_db: float) -> float:
    """The gain offset at which `model` predicts the limiter takes `loss_db` off (the loss grows with it)."""
    low, high = 0.0, 80.0
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if model.loss_db(middle) < loss_db else (low, middle)
    return low
