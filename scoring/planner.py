"""`plan(features, prefs)`: apply the rules in scoring.rules to one video's features."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

from analysis import VideoFeatures
from common.errors import InputError
from generation import BriefSection, MusicBrief, TempoPoint, engine_names
from mixing import LOUDNESS_PRESETS, MixSettings, settings_for_preset
from scoring import rules
from scoring.plan import EngineChoice, ScorePlan


@dataclass
class Preferences:
    """What the user asked for. Every field set here wins over the rules."""

    bpm: float | None = None
    mood: str | None = None
    genre: str | None = None
    prompt: str | None = None
    seed: int | None = None
    engine: str | None = None
    preset: str | None = None
    lufs: float | None = None
    replace_audio: bool | None = None
    model: str | None = None
    device: str | None = None
    candidates: int | None = None
    fallback: str | None = None

    def validate(self) -> Preferences:
        if self.bpm is not None:
            rules.check_bpm(self.bpm)
        if self.mood is not None:
            rules.check_mood(self.mood)
        if self.genre is not None:
            rules.check_genre(self.genre)
        if self.engine is not None and self.engine not in engine_names():
            raise InputError(f"unknown engine {self.engine!r} (available: {', '.join(engine_names())})")
        if self.preset is not None and self.preset not in LOUDNESS_PRESETS:
            raise InputError(f"unknown loudness preset {self.preset!r} (choose {', '.join(LOUDNESS_PRESETS)})")
        if self.lufs is not None:
            MixSettings(target_lufs=self.lufs).validate()
        if self.fallback is not None and self.fallback not in ("none", *engine_names()):
            raise InputError(f"unknown fallback {self.fallback!r} (none or {', '.join(engine_names())})")
        if self.candidates is not None and not 1 <= self.candidates <= 32:
            raise InputError(f"--candidates {self.candidates} is outside 1..32")
        if self.device is not None and self.device not in ("auto", "cuda", "mps", "cpu") \
                and not self.device.startswith("cuda:"):
            raise InputError(f"unknown device {self.device!r} (auto, cuda, mps or cpu)")
        return self

    def engine_choice(self, base: EngineChoice | None = None) -> EngineChoice:
        choice = base or EngineChoice()
        for name in ("model", "device", "candidates"):
            if getattr(self, name) is not None:
                setattr(choice.musicgen, name, getattr(self, name))
        if self.engine is not None:
            choice.name = self.engine
        if self.fallback is not None:
            choice.fallback = None if self.fallback == "none" else self.fallback
        return choice


def default_seed(features: VideoFeatures) -> int:
    """Stable per clip: the same video plans the same music unless a seed is given."""
    identity = f"{features.info.duration:.3f}|{features.info.width}x{features.info.height}|{features.cuts.times}"
    return zlib.crc32(identity.encode()) % 100_000


def plan(features: VideoFeatures, prefs: Preferences | None = None) -> ScorePlan:
    prefs = (prefs or Preferences()).validate()
    why: list[str] = []
    cut_rate = features.cuts.mean_rate_per_minute
    base_energy = rules.energy_for(features.saturation.mean, cut_rate)
    why.append(f"energy {base_energy:.2f} from saturation {features.saturation.mean:.2f} "
               f"and {cut_rate:.1f} cuts/min")
    sentiment = features.subtitles.mean_sentiment
    mood = prefs.mood or rules.mood_for(sentiment, base_energy)
    why.append(f"mood {mood} " + ("(override)" if prefs.mood else
                                  f"from sentiment {sentiment if sentiment is not None else 'n/a'} and energy"))
    energy = rules.shifted_energy(base_energy, mood)
    mode = rules.mode_for(mood)
    bpm = prefs.bpm or rules.bpm_for(cut_rate, mood)
    why.append(f"{bpm:.0f} BPM " + ("(override)" if prefs.bpm else f"from {cut_rate:.1f} cuts/min, {mood} band"))
    density = rules.density_for(features.speech.speech_ratio)
    why.append(f"arrangement density {density:.2f} for speech in {features.speech.speech_ratio:.0%} of the clip")
    genre = prefs.genre or rules.genre_for(energy, mood)
    seed = prefs.seed if prefs.seed is not None else default_seed(features)
    key = rules.key_for(mode, seed)
    instruments = list(rules.GENRES[genre])
    prompt = prefs.prompt or rules.prompt_for(mood, genre, bpm, key, mode, instruments, energy)
    duration = features.duration

    section = BriefSection(start=0.0, end=duration, bpm=bpm, key=key, mode=mode, energy=energy, mood=mood,
                           instrumentation=instruments, density=density, prompt=prompt)
    brief = MusicBrief(sections=[section], tempo_map=[TempoPoint(time=0.0, bpm=bpm)], key=key, mode=mode,
                       energy=energy, genre=genre, prompt=prompt, seed=seed, target_duration=duration,
                       cuts_to_hit=list(features.cuts.times))
    mix = settings_for_preset(prefs.preset or "default")
    if prefs.lufs is not None:
        mix = replace(mix, target_lufs=prefs.lufs).validate()
    if prefs.replace_audio is not None:
        mix.replace_audio = prefs.replace_audio
    return ScorePlan(source=features.info.path, duration=duration, engine=prefs.engine_choice(),
                     brief=brief, mix=mix, rationale=why)


def apply_overrides(score_plan: ScorePlan, prefs: Preferences) -> ScorePlan:
    """Flags on top of a loaded (possibly hand-edited) plan: each given flag wins; the rest stays as edited."""
    prefs.validate()
    brief = score_plan.brief
    if prefs.bpm is not None:
        brief.tempo_map = [TempoPoint(time=0.0, bpm=prefs.bpm)]
        for section in brief.sections:
            section.bpm = prefs.bpm
    if prefs.mood is not None:
        for section in brief.sections:
            section.mood = prefs.mood
            section.mode = rules.mode_for(prefs.mood)
        brief.mode = rules.mode_for(prefs.mood)
    if prefs.genre is not None:
        brief.genre = prefs.genre
        for section in brief.sections:
            section.instrumentation = list(rules.GENRES[prefs.genre])
    if prefs.prompt is not None:
        brief.prompt = prefs.prompt
        for section in brief.sections:
            section.prompt = prefs.prompt
    if prefs.seed is not None:
        brief.seed = prefs.seed
    if prefs.prompt is None and (prefs.bpm is not None or prefs.mood is not None or prefs.genre is not None):
        for section in brief.sections:
            section.prompt = rules.prompt_for(section.mood, brief.genre, section.bpm, section.key, section.mode,
                                              section.instrumentation, section.energy)
        brief.prompt = brief.sections[0].prompt
    score_plan.engine = prefs.engine_choice(score_plan.engine)
    if prefs.preset is not None:
        replace_audio = score_plan.mix.replace_audio
        score_plan.mix = settings_for_preset(prefs.preset)
        score_plan.mix.replace_audio = replace_audio
    if prefs.lufs is not None:
        score_plan.mix = replace(score_plan.mix, target_lufs=prefs.lufs).validate()
    if prefs.replace_audio is not None:
        score_plan.mix.replace_audio = prefs.replace_audio
    return score_plan
