"""The mixing stage end to end, a block at a time, so its memory does not grow with the clip:

1. measure: the fitted music, the ducked music and the original audio go by once, K-weighted and summed per
   100 ms step (`levels.PartSums`); every gain is solved on those sums (`levels.plan_levels`); the original
   is decoded this once and kept as raw samples in the work folder for the passes after;
2. the mix at those gains goes by once more for its true peaks against the ceiling (`levels.LimiterModel`),
   which predicts the loudness the limiter will take off; the gains are solved again with it;
3. the mix and the music stem go through the true-peak limiter, the mix into the encoder (a pipe), the stem
   into its WAV; the encoded audio is decoded once to measure what is delivered, while the stem's MP3 is
   encoded. Where the codec overshot the ceiling, or the loudness missed the target, this pass runs again,
   the ceiling lowered around the spots that came near it, the gain aimed by the miss: a clip is encoded
   once, three times at most;
4. the encoded audio is copied beside the picture.
"""
from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autoscore_video.common.audio import load_audio
from autoscore_video.common.errors import InputError
from autoscore_video.common.media import AudioStream, FfmpegPipe, FfmpegSink, MediaInfo, Placement, stream_audio
from autoscore_video.common.progress import Fraction, Passes
from autoscore_video.mixing.align import Warp, apply_warp, plan_warp
from autoscore_video.mixing.blocks import block_samples, fixed_blocks, with_context
from autoscore_video.mixing.duck import LevelInsideOutside, duck_amount, gain_from_amount, gap_rises_db, held_regions
from autoscore_video.mixing.fit import FitPlan, plan_fit, read_fitted
from autoscore_video.mixing.levels import (
    MAX_LIMITING_LU,
    Levels,
    LimiterModel,
    PartSums,
    gated_step_weights,
    music_gain_db,
    plan_levels,
    solve_with_limiter,
)
from autoscore_video.mixing.loudness import (
    CeilingDips,
    TruePeakMeter,
    limit_true_peak,
    limiter_context,
    limiter_reach,
    sample_peaks,
)
from autoscore_video.mixing.meter import KWeighting, LoudnessMeter, StepSums
from autoscore_video.mixing.mux import KeptTrack, audio_encoder, mp3_encoder_args, mux, tag_mp3
from autoscore_video.mixing.settings import MixSettings
from autoscore_video.mixing.tracks import encode_kept_tracks

CHANNELS = 2
ENCODE_ATTEMPTS = 3  # each after the first lowers the ceiling around the spots where the codec overshot
ENCODE_PASSES = 2  # an encode is a pass through the limiter into the encoder, then one decoding it to measure
MIX_PASSES = 2 + ENCODE_PASSES  # measuring, the limiter's model, one encode
PEAK_SLACK_DB = 0.1  # ... and this much more around the spots that came near it
SPOT_MARGIN_DB = 0.5  # where a first encode peaks within this of the ceiling, a second is limited harder there
RAISE_SEEN_DB = 1.5  # spots are noted this much further down, for a second encode made louder by up to this
# AAC at 192 kb/s (mux.ENCODER_OPTIONS) overshoots the limited peaks by 0.05-0.6 dB: the ceiling the limiter
# aims at leaves this much
CODEC_MARGIN_DB = 0.8
RETRY_MISS_LU = 0.3  # a first encode this far off the loudness target is encoded again, aimed by the miss
DRY_RUN_LOSS_LU = 1.5  # where the limiter is predicted to take this much off, it is run once before encoding
DRY_RUN_TOLERANCE_LU = 0.1  # ... and the gains aimed again where it missed the target by more than this


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
class CutHitReduction:
    at_s: float  # the cut (video time)
    reduction_db: float  # the delivery limiter's largest gain reduction over the hit (CUT_HIT_SPAN_S around it)


CUT_HIT_SPAN_S = (0.01, 0.1)  # a hit's attack and body: from this long before the cut to this long after it


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
    encodes: int = 1  # times the mix was encoded (2: the first overshot the peak ceiling)
    kept_tracks: list[KeptTrack] = field(default_factory=list)  # the source's other audio tracks, in the output
    fade_from_s: float | None = None  # where the closing fade starts
    gap_rises_db: list[float] = field(default_factory=list)  # how far the music lifts in each conversation pause
    limiter_at_cuts: list[CutHitReduction] = field(default_factory=list)  # at each cut the music hits
    # the gains the mix was made at, unrounded: a run that makes a section again (`--regenerate`) mixes at the
    # earlier run's, so the music stem stays that run's wherever the music is the same
    levels: Levels | None = None


class _Music:
    """The rendered music at the mix's rate, read by sample range: from its file where it is already at that
    rate, else decoded whole (and bent onto the cuts where asked)."""

    def __init__(self, path: Path, rate: int):
        import soundfile

        self.file = None
        self.audio = None
        try:
            handle = soundfile.SoundFile(str(path))
        except (RuntimeError, soundfile.LibsndfileError):
            handle = None
        if handle is not None and handle.samplerate == rate:
            self.file, self.samples = handle, handle.frames
        else:
            if handle is not None:
                handle.close()
            self.audio = load_audio(path, sample_rate=rate, what="music")
            self.samples = len(self.audio)

    def warp(self, warp_plan: Warp, rate: int, beats: list[float], downbeats: list[float]) -> Warp:
        audio = self.whole()
        self.close()
        self.audio, warp = apply_warp(audio, rate, warp_plan, beats, downbeats)
        self.samples = len(self.audio)
        return warp

    def whole(self) -> np.ndarray:
        return self.audio if self.audio is not None else self.read(0, self.samples)

    def read(self, start: int, stop: int) -> np.ndarray:
        if self.audio is not None:
            return self.audio[start:stop]
        if self.file is None:
            raise RuntimeError("the music was read after it was closed")
        self.file.seek(start)
        block = self.file.read(stop - start, dtype="float32", always_2d=True)
        if block.shape[1] == 1:
            block = np.repeat(block, CHANNELS, axis=1)
        return block[:, :CHANNELS]

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


@dataclass
class _Mix:
    """What every pass reads: the fitted music, the duck, the original audio, block by block."""
    video: Path
    music: _Music
    fit: FitPlan
    rate: int
    regions: list[tuple[float, float]]  # speech
    held: list[tuple[float, float]]  # speech with short pauses bridged: where the music stays down
    conversation: list[tuple[float, float]]  # speech with the gaps of a conversation bridged: it lifts a little
    cut_hits: list[float]  # the cuts the music hits (video time), where the limiter's reduction is reported
    keep_original: bool
    settings: MixSettings
    work_dir: Path
    source: MediaInfo | None = None  # the picture and the original's track on it (None: stream 0, audio as it comes)
    original_cached: bool = False  # the first pass decoded the original into work_dir: later ones read that
    passes: Passes = field(default_factory=lambda: Passes(None, 1))  # the stage's progress, pass by pass

    @property
    def original_path(self) -> Path:
        return self.work_dir / "original.f32"

    @property
    def samples(self) -> int:
        return self.fit.target

    def blocks(self) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """(start, fitted music, duck gain, original audio or None, share away from speech or None)."""
        size = block_samples(self.rate)
        s = self.settings
        original = self._original(size) if self.keep_original else None
        try:
            for start in range(0, self.samples, size):
                n = min(size, self.samples - start)
                fitted = read_fitted(self.music.read, self.fit, start, start + n, CHANNELS)
                amount = duck_amount(n, self.rate, self.held, self.conversation, s.duck_depth_db, s.duck_gap_rise_db,
                                     s.duck_attack_ms, s.duck_release_ms, start)
                duck = gain_from_amount(amount, -s.duck_depth_db, 0.0)  # duck_envelope's, computed once
                if original is None:
                    yield start, fitted, duck, None, None
                else:
                    yield start, fitted, duck, next(original), 1.0 - amount
                self.passes.at((start + n) / self.samples)
            self.passes.next_pass()
        finally:
            if original is not None:
                original.close()

    def _original(self, size: int) -> Generator[np.ndarray, None, None]:
        """The original audio in blocks of `size`: decoded (and kept as raw samples) on the first pass, read
        back on the others (decoding costs more than reading)."""
        if self.original_cached:
            return _raw_blocks(self.original_path, self.samples, size)
        placement = Placement.of(self.source) if self.source is not None else None
        decoded = stream_audio(self.video, sample_rate=self.rate, channels=CHANNELS, placement=placement,
                               what=f"decoding the audio of {self.video}")
        return _cached(fixed_blocks(decoded, self.samples, size, CHANNELS), self)

    def mixed(self, levels: Levels) -> Iterator[np.ndarray]:
        """(samples, 4) blocks: the mix (channels 0-1) and the music stem (2-3) at `levels`, before limiting."""
        static = 10.0 ** (levels.static_db / 20.0)
        music_gain = np.float32(static * 10.0 ** (levels.music_gain_db / 20.0))
        for _, fitted, duck, original, away in self.blocks():
            stem = fitted * (duck[:, None] * music_gain)
            if original is None or away is None:
                yield np.concatenate([stem, stem], axis=1)
                continue
            trim = (static * 10.0 ** (levels.trim_db * away / 20.0)).astype(np.float32)
            yield np.concatenate([stem + original * trim[:, None], stem], axis=1)

    def limited(self, levels: Levels, ceiling_db: float, dips: CeilingDips | None = None, *, stem: bool = True
                ) -> Iterator[tuple[np.ndarray, np.ndarray | None, float, np.ndarray | None]]:
        """(mix, stem, the largest reduction in this block, the mix's gain per sample or None where it was not
        touched) through the true-peak limiter, a block at a time
        with enough of its neighbours for it to come out as limiting the whole would. `dips`: where the mix's
        ceiling is lower (not the stem's); `stem` False: the mix alone (the stem comes back None)."""
        context = limiter_context(self.rate)
        at = 0
        for extended, core in with_context(self.mixed(levels), context):
            curve = dips.curve(ceiling_db, at - core.start, len(extended)) if dips is not None else None
            mix = limit_true_peak(extended[:, :CHANNELS], self.rate, ceiling_db, ceiling=curve,
                                  keep_gain=bool(self.cut_hits))
            # the stem's ceiling is the first encode's wherever the mix's went down: the stem is the same
            # music however many encodes the mix took
            limited_stem = (limit_true_peak(extended[:, CHANNELS:], self.rate,
                                            self.settings.true_peak_db - CODEC_MARGIN_DB) if stem else None)
            gain = None
            if mix.gain is not None:  # shorter than the block where the last samples were not touched
                gain = np.ones(core.stop - core.start, dtype=np.float32)
                kept = mix.gain[core.start:core.stop]
                gain[:len(kept)] = kept
            yield mix.audio[core], None if limited_stem is None else limited_stem.audio[core], mix.reduction_db, gain
            at += core.stop - core.start


def _cached(blocks: Iterator[np.ndarray], mix: _Mix) -> Generator[np.ndarray, None, None]:
    with open(mix.original_path, "wb") as raw:
        for block in blocks:
            raw.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
            yield block
    mix.original_cached = True


def _raw_blocks(path: Path, samples: int, size: int) -> Generator[np.ndarray, None, None]:
    with open(path, "rb") as raw:
        for start in range(0, samples, size):
            n = min(size, samples - start)
            yield np.frombuffer(raw.read(n * 4 * CHANNELS), dtype="<f4").reshape(n, CHANNELS)


def mix_and_mux(video: Path, music_wav: Path, *, duration: float, downbeats: list[float],
                speech_regions: list[tuple[float, float]], has_original_audio: bool, outputs: MixOutputs,
                tags: StemTags, settings: MixSettings, beats: list[float] | None = None,
                align_to_cuts: list[float] | None = None, source: MediaInfo | None = None,
                keep_tracks: tuple[AudioStream, ...] = (), final_hit: float | None = None,
                cut_hits: list[float] | None = None, levels: Levels | None = None,
                progress: Fraction | None = None) -> MixReport:
    """`align_to_cuts`: cuts to bend the music onto (music whose `beats` were measured, not planned);
    `source`: `video`'s probe with the mix's track chosen (its picture, where the picture starts, the original's
    track), without which the first streams are taken as they come; `keep_tracks`: the source's other audio
    tracks, placed on the picture and carried into the output after the mix; `final_hit`: when the music's
    closing chord is struck (video time), which the closing fade waits for; `cut_hits`: the cuts the music
    hits, where the report gives the limiter's reduction; `levels`: the gains to mix at (an earlier run's
    report's), instead of solving them for the loudness target; `progress`: called with the stage's fraction
    done."""
    rate = settings.sample_rate
    music = _Music(Path(music_wav), rate)
    try:
        warp = None
        if align_to_cuts and beats:
            planned = plan_warp(beats, align_to_cuts, max_stretch=settings.max_stretch,
                                tolerance_s=settings.beat_tolerance_s, available_s=music.samples / rate - duration)
            warp = music.warp(planned, rate, beats, downbeats)
            downbeats = warp.downbeats
        fit = plan_fit(music.samples, rate, downbeats, duration, settings.fade_out_s, final_hit)
        held = held_regions(speech_regions, settings.duck_hold_ms / 1000.0)
        conversation = held_regions(speech_regions, settings.duck_conversation_gap_ms / 1000.0)
        mix = _Mix(video=video, music=music, fit=fit, rate=rate, regions=speech_regions, held=held,
                   conversation=conversation, cut_hits=sorted(cut_hits or []),
                   keep_original=has_original_audio and not settings.replace_audio, settings=settings,
                   work_dir=outputs.work_dir, source=source,
                   passes=Passes(progress, MIX_PASSES))
        mix.passes.at(0.0)
        report = _mix(mix, has_original_audio, outputs, tags, warp, keep_tracks, levels)
        mix.passes.finished()
        return report
    finally:
        music.close()


def _mix(mix: _Mix, has_original_audio: bool, outputs: MixOutputs, tags: StemTags, warp: Warp | None,
         keep_tracks: tuple[AudioStream, ...], pinned: Levels | None = None) -> MixReport:
    settings, rate = mix.settings, mix.rate
    notes: list[str] = []
    kept = encode_kept_tracks(mix.video, mix.source, keep_tracks, outputs.video, settings, mix.work_dir, notes)
    has_speech = bool(mix.regions)
    ceiling = settings.true_peak_db - CODEC_MARGIN_DB
    aim = settings.target_lufs
    aimed: Callable[[float, float], Levels] | None = None  # the levels aimed at a loudness, a ceiling lowered by
    if pinned is None:
        sums = _measure(mix)
        music_db = music_gain_db(sums, settings, notes)
        base = plan_levels(sums, music_db, settings, has_speech=has_speech)
        model = _limiter_model(mix, sums, base, ceiling)
        levels, loss = solve_with_limiter(sums, music_db, settings, model, base, has_speech=has_speech, notes=notes)
        out_of_reach = loss >= MAX_LIMITING_LU  # as near the target as it may be: no encode chases it

        def aimed_at(aim_lufs: float, lowered_db: float) -> Levels:
            return solve_with_limiter(sums, music_db, settings, model, base, has_speech=has_speech,
                                      aim_lufs=aim_lufs, lowered_db=lowered_db)[0]

        aimed = aimed_at
        if DRY_RUN_LOSS_LU <= loss < MAX_LIMITING_LU:
            # the model reads short where the limiter works hard (0.3 LU at 3 LU of limiting): the limiter is
            # run once at these levels, unencoded, and the gains aimed by what it left
            missed = _limited_lufs(mix, levels, ceiling) - settings.target_lufs
            if abs(missed) > DRY_RUN_TOLERANCE_LU:
                aim -= missed
                levels = aimed_at(aim, 0.0)
    else:  # the gains are given: nothing to measure, and an encode is made again only for the peaks
        levels, out_of_reach = pinned, True
        mix.passes.next_pass()
        mix.passes.next_pass()
        notes.append(f"mixed at the earlier run's gains (music {pinned.music_gain_db + pinned.static_db:+.2f} dB)")

    encoder_args, encoded_suffix = audio_encoder(outputs.video, bitrate=settings.audio_bitrate)
    encoded = outputs.work_dir / f"mix{encoded_suffix}"
    fade_at = mix.fit.fade_from / rate
    dips = None
    worst = 0.0  # the most an encode overshot the ceiling
    mp3_args = ["-y", "-i", str(outputs.stem_wav), *mp3_encoder_args(settings.mp3_bitrate), str(outputs.stem_mp3)]
    for attempt in range(1, ENCODE_ATTEMPTS + 1):
        reduction, level, at_cuts = _encode(mix, levels, ceiling, dips, encoder_args, encoded, outputs, fade_at)
        # the stem's MP3 is encoded beside the measuring and the mux (stopped on leaving, where it is redone)
        with FfmpegPipe(mp3_args, what=f"writing {outputs.stem_mp3}") as mp3:
            delivered_lufs, delivered_peak, spots = _measure_encoded(
                encoded, rate, settings.true_peak_db - SPOT_MARGIN_DB - RAISE_SEEN_DB, mix.passes, mix.samples)
            overshoot = delivered_peak - settings.true_peak_db
            missed = delivered_lufs - settings.target_lufs
            if out_of_reach:
                missed = 0.0
            if (overshoot <= 0.0 and abs(missed) <= RETRY_MISS_LU) or attempt == ENCODE_ATTEMPTS:
                mux(mix.video, encoded, outputs.video, mix.source, kept)
                mp3.wait()
                break
        # Where the codec overshoots is local (bursts of a few milliseconds on dense bright music), and moves
        # from one encode to the next: the ceiling goes down around each spot that came near the ceiling, by how
        # near, and stays down there for any encode after. Lowered everywhere at once, the whole mix lost the
        # overshoot at every hit. An encode made louder (the last missed the target)
        # comes nearer at every spot by the raise, so the spots are judged as they will stand then.
        mix.passes.add_passes(ENCODE_PASSES)
        raise_db = max(0.0, -missed)
        mark = settings.true_peak_db - SPOT_MARGIN_DB
        near = [(first, peak + raise_db - mark + PEAK_SLACK_DB) for first, peak in spots
                if peak + raise_db > mark or overshoot > 0.0 and peak > mark]
        dips = CeilingDips(near + (dips.spots if dips is not None else []))
        worst = max(worst, overshoot)
        if attempt + 1 == ENCODE_ATTEMPTS and worst > 0.0:
            # the last encode: lowered everywhere too, by the most any encode overshot, for it must not
            ceiling = settings.true_peak_db - CODEC_MARGIN_DB - worst - PEAK_SLACK_DB
        aim -= missed
        if aimed is not None:
            levels = aimed(aim, settings.true_peak_db - CODEC_MARGIN_DB - ceiling)
    if overshoot > 0.0:
        notes.append(f"the encoded audio peaks at {delivered_peak:.1f} dBTP, above the "
                     f"{settings.true_peak_db:.1f} dBTP ceiling")
    tag_mp3(outputs.stem_mp3, title=tags.title, artist=tags.artist, comment=tags.comment)

    inside, outside = level.result()
    return MixReport(
        fade_from_s=round(fade_at, 3),
        limiter_at_cuts=at_cuts,
        gap_rises_db=gap_rises_db(mix.held, mix.conversation, settings.duck_depth_db, settings.duck_gap_rise_db,
                                  settings.duck_attack_ms, settings.duck_release_ms),
        target_lufs=settings.target_lufs,
        integrated_lufs=round(delivered_lufs, 3),
        true_peak_db=round(delivered_peak, 3),
        limiter_reduction_db=round(reduction, 3),
        music_gain_db=round(levels.music_gain_db + levels.static_db, 3),
        original_gain_db=round(levels.trim_db + levels.static_db, 3) if mix.keep_original else None,
        dialogue_gain_db=round(levels.static_db, 3) if mix.keep_original and has_speech else None,
        original_audio=("replaced" if has_original_audio and settings.replace_audio
                        else ("kept" if mix.keep_original else "none")),
        duck_depth_db=round(outside - inside, 2) if inside is not None and outside is not None else None,
        music_in_speech_db=None if inside is None else round(inside, 2),
        music_outside_speech_db=None if outside is None else round(outside, 2),
        notes=notes,
        warp=warp,
        encodes=attempt,
        kept_tracks=[track for track, _ in kept],
        levels=levels,
    )


def _measure(mix: _Mix) -> PartSums:
    """Pass 1: the K-weighted step sums every gain is solved on."""
    rate = mix.rate
    weigh_music, weigh_stem = KWeighting(rate, CHANNELS), KWeighting(rate, CHANNELS)
    weigh_original = KWeighting(rate, CHANNELS)
    music, stem, original, cross = (StepSums(rate, CHANNELS) for _ in range(4))
    away = StepSums(rate, 1)
    for _, fitted, duck, block, outside in mix.blocks():
        k_music = weigh_music(fitted)
        music.add(k_music * k_music)
        k_stem = weigh_stem(fitted * duck[:, None])
        stem.add(k_stem * k_stem)
        if block is not None and outside is not None:
            k_original = weigh_original(block)
            original.add(k_original * k_original)
            cross.add(k_stem * k_original)
            away.add(outside[None, :])
    step = music.step
    sums = PartSums(rate=rate, samples=mix.samples, step=step, music=music.result(), stem=stem.result(),
                    original=None, cross=None, outside=None, speech=None)
    if mix.keep_original:
        steps = len(sums.music)
        lengths = np.minimum(step, mix.samples - np.arange(steps) * step)
        middles = (np.arange(steps) * step + lengths / 2) / rate
        speech = np.zeros(steps, dtype=bool)
        for start, end in mix.regions:
            speech |= (middles >= start) & (middles < end)
        sums.original, sums.cross = original.result(), cross.result()
        sums.outside, sums.speech = away.result()[:, 0] / lengths, speech
    return sums


def _limited_lufs(mix: _Mix, levels: Levels, ceiling_db: float) -> float:
    """The integrated loudness of the mix at `levels` through the true-peak limiter (a pass, nothing encoded)."""
    mix.passes.add_passes(1)
    meter = LoudnessMeter(mix.rate, CHANNELS)
    for mixed, _, _, _ in mix.limited(levels, ceiling_db, stem=False):
        meter.add(mixed)
    return meter.integrated()


def _limiter_model(mix: _Mix, sums: PartSums, levels: Levels, ceiling_db: float) -> LimiterModel:
    """Pass 2: the mix at `levels` once more, to see how its peaks stand against the ceiling (`LimiterModel`)."""
    from scipy.ndimage import maximum_filter1d

    rate = mix.rate
    look, hold = limiter_reach(rate)
    before = hold + look  # the gain at a sample answers peaks this far after it (the hold, then the smoothing)
    span = before + look + 1
    weights = gated_step_weights(sums, levels)
    weighting = KWeighting(rate, CHANNELS)
    model = LimiterModel()
    at = 0
    for extended, core in with_context(mix.mixed(levels), limiter_context(rate)):
        audio = extended[:, :CHANNELS]
        held = maximum_filter1d(sample_peaks(audio), size=span, origin=before - span // 2, mode="nearest")[core]
        with np.errstate(divide="ignore"):
            held_db = 20.0 * np.log10(held) - ceiling_db
        k = weighting(audio[core])
        power = (k * k).sum(axis=0) * weights[np.minimum((at + np.arange(len(held))) // sums.step, len(weights) - 1)]
        model.add(held_db, power)
        at += len(held)
    return model


def _encode(mix: _Mix, levels: Levels, ceiling_db: float, dips: CeilingDips | None, encoder_args: list[str],
            encoded: Path, outputs: MixOutputs, fade_at: float
            ) -> tuple[float, LevelInsideOutside, list[CutHitReduction]]:
    """Pass 3: the limited mix into its encoder (which runs beside this process), the limited stem into its
    WAV; (the largest reduction, the stem's level inside and outside speech, the reduction at each cut hit)."""
    import soundfile

    s = mix.settings
    level = LevelInsideOutside(mix.rate, mix.held, exclude_after=fade_at,
                               guard=(s.duck_attack_ms / 1000.0, s.duck_release_ms / 1000.0))
    reduction, at = 0.0, 0
    with FfmpegSink(["-y", *encoder_args, str(encoded)], sample_rate=mix.rate, channels=CHANNELS,
                    what="encoding the mix") as encoder, \
            soundfile.SoundFile(str(outputs.stem_wav), "w", mix.rate, CHANNELS, subtype="PCM_24",
                                format="WAV") as stem_file:
        at_cuts = _CutHitMeter(mix.cut_hits, mix.rate)
        for mixed, stem, block_reduction, gain in mix.limited(levels, ceiling_db, dips):
            encoder.write(mixed)
            assert stem is not None  # limited() leaves it out only where asked
            stem_file.write(stem)
            level.add(stem, at)
            at_cuts.add(gain, at, len(mixed))
            reduction = max(reduction, block_reduction)
            at += len(mixed)
        encoder.finish()
    return reduction, level, at_cuts.result()


class _CutHitMeter:
    """The limiter's lowest gain over each cut hit's span, from the gain of consecutive blocks."""

    def __init__(self, cuts: list[float], rate: int):
        before, after = CUT_HIT_SPAN_S
        self.cuts = cuts
        self.spans = [(int((cut - before) * rate), int((cut + after) * rate)) for cut in cuts]
        self.lowest = [1.0] * len(cuts)

    def add(self, gain: np.ndarray | None, at: int, samples: int) -> None:
        if gain is None:
            return
        for index, (a, b) in enumerate(self.spans):
            lo, hi = max(a, at), min(b, at + samples)
            if lo < hi:
                self.lowest[index] = min(self.lowest[index], float(gain[lo - at:hi - at].min()))

    def result(self) -> list[CutHitReduction]:
        return [CutHitReduction(round(cut, 3), round(max(0.0, -20.0 * float(np.log10(max(gain, 1e-9)))), 2) + 0.0)
                for cut, gain in zip(self.cuts, self.lowest)]


def _measure_encoded(encoded: Path, rate: int, mark_db: float, passes: Passes | None = None, samples: int = 0
                     ) -> tuple[float, float, list[tuple[int, float]]]:
    """(integrated LUFS, true peak dBTP, the spots over `mark_db`) of the encoded mix, decoded a block at a
    time; `passes` is told how far through its `samples` the decoding is."""
    loudness, peak = LoudnessMeter(rate, CHANNELS), TruePeakMeter(CHANNELS, mark_db=mark_db)
    read = 0
    for block in stream_audio(encoded, sample_rate=rate, channels=CHANNELS, what=f"decoding {encoded}"):
        loudness.add(block)
        peak.add(block)
        read += len(block)
        if passes is not None and samples:
            passes.at(read / samples)
    if passes is not None:
        passes.next_pass()
    result = loudness.integrated()
    if not np.isfinite(result):
        raise InputError("the mix is silent")
    return result, peak.db(), peak.spots
