"""`plan(features, prefs)`: apply the rules in scoring.rules to one video's features."""
from __future__ import annotations

import zlib
from dataclasses import dataclass

from autoscore_video.analysis import VideoFeatures
from autoscore_video.generation import BriefSection, MusicBrief, TempoPoint, engine_spec
from autoscore_video.generation.auto import AUTO, choose_engine
from autoscore_video.generation.symbolic.genres import genre as genre_record
from autoscore_video.generation.symbolic.theory import tonic_pitch_class
from autoscore_video.generation.tempo import beat_grid, mean_bpm
from autoscore_video.mixing import MixSettings
from autoscore_video.mixing.duck import held_regions
from autoscore_video.scoring.planning import rules
from autoscore_video.scoring.planning.preferences import Preferences
from autoscore_video.scoring.planning.score_plan import EngineChoice, EngineRun, ScorePlan
from autoscore_video.scoring.planning.sections import SectionSpan, find_sections
from autoscore_video.scoring.planning.tempo_map import MAX_DEVIATION, SectionTempo, fit_section, hits_on_grid
from autoscore_video.scoring.planning.word_mood import dark_words


def default_seed(features: VideoFeatures) -> int:
    """Stable per clip: the same video plans the same music unless a seed is given."""
    identity = f"{features.info.duration:.3f}|{features.info.width}x{features.info.height}|{features.cuts.times}"
    return zlib.crc32(identity.encode()) % 100_000


def plan(features: VideoFeatures, prefs: Preferences | None = None) -> ScorePlan:
    prefs = prefs or Preferences()
    duration = features.duration
    spans = find_sections(features)
    why: list[str] = [f"{len(spans)} section(s): " + ", ".join(f"{s.start:.1f}-{s.end:.1f} s" for s in spans)]
    choices = [_section_choices(span, features, prefs, why) for span in spans]
    longest = max(choices, key=lambda c: c.span.end - c.span.start)
    # the piece's genre: the section that weighs most, by length and energy (a frantic half outweighs a calm one)
    leading = max(choices, key=lambda c: (c.span.end - c.span.start) * (0.5 + c.energy))
    seed = prefs.seed if prefs.seed is not None else default_seed(features)
    key = rules.key_for(longest.mode, seed, longest.span.brightness)
    why.append(f"key {key} {longest.mode}: brightness {longest.span.brightness:.2f} of the longest section "
               f"({'sharper' if longest.span.brightness >= 0.5 else 'flatter'} keys), drawn by seed {seed}")
    keys = _section_keys(choices, choices.index(longest), key, why)
    if prefs.bpm is None:
        _feel_tempos(choices, leading.genre, why)
    bpb = 4
    fits = _fit_tempo(choices, features.cuts.times, duration, bpb, fixed=prefs.bpm)
    tempo_map = [point for i, fit in enumerate(fits)
                 for point in fit.points(bpb, lead_in=i == 0 and fit.first_downbeat > 0)]
    grid = beat_grid(tempo_map, duration, bpb)
    sections = []
    for choice, fit in zip(choices, fits):
        bpm = mean_bpm(grid, choice.span.start, choice.span.end) or round(fit.base_bpm, 2)
        # one genre and one production for the piece; its mood and energy decide who of the band plays a section
        instruments = rules.instruments_for(leading.genre, choice.mood, choice.energy)
        if rules.is_still(choice.mood, choice.energy):
            why.append(_still_reason(choice, leading.genre, instruments))
        underscore = choice.span.speech_ratio >= rules.UNDERSCORE_SPEECH
        prompt = prefs.prompt or rules.prompt_for(choice.mood, leading.genre, bpm, keys[len(sections)], choice.mode,
                                                  instruments, choice.energy, underscore)
        sections.append(BriefSection(start=choice.span.start, end=choice.span.end, bpm=bpm, key=keys[len(sections)],
                                     mode=choice.mode, energy=choice.energy, mood=choice.mood,
                                     instrumentation=instruments, density=choice.density,
                                     prompt=prompt, underscore=underscore))
        if underscore:
            why.append(f"{choice.span.start:.1f}-{choice.span.end:.1f} s is {choice.span.speech_ratio:.0%} speech: "
                       f"an underscore (pads, bass, light keys; no kit, no melody)")
    cuts = features.cuts.times
    hits, downbeat_hits = hits_on_grid(cuts, grid.beats, grid.downbeats)
    if cuts:
        why.append(f"tempo map puts {hits} of {len(cuts)} cuts on a beat, {downbeat_hits} on a downbeat "
                   f"(spans bent at most {MAX_DEVIATION:.0%})")
    energy = sum(s.energy * (s.end - s.start) for s in sections) / max(duration, 1e-9)
    strengths = list(features.cuts.strengths) if len(features.cuts.strengths) == len(cuts) else []
    builds = rules.key_cuts(list(cuts), strengths, [s.start for s in sections], 60.0 / longest.target_bpm * bpb,
                            duration)
    if builds:
        why.append("builds lead into " + ", ".join(f"{t:.1f}" for t in builds) + " s (section changes and the "
                   "strongest cuts)")
    mix = prefs.mix(MixSettings())
    # a conversation's lines are one stretch: the band does not fill each pause between them
    speech = [(round(a, 3), round(b, 3)) for a, b in
              held_regions([(r.start, r.end) for r in features.speech.regions],
                           mix.duck_conversation_gap_ms / 1000.0)]
    if speech:
        why.append(f"melody and busy parts rest over {len(speech)} spoken stretch(es), "
                   f"{sum(b - a for a, b in speech):.1f} s in all (lines under "
                   f"{mix.duck_conversation_gap_ms / 1000:.1f} s apart are one)")
    brief = MusicBrief(sections=sections, tempo_map=tempo_map, key=key, mode=longest.mode,
                       energy=round(energy, 3), genre=leading.genre, prompt=sections[0].prompt, seed=seed,
                       target_duration=duration, cuts_to_hit=list(cuts), cut_strengths=strengths, key_cuts=builds,
                       speech=speech, beats_per_bar=bpb)
    return ScorePlan(source=features.info.path, duration=duration, engine=engine_choice(prefs, why=why),
                     brief=brief, mix=mix, rationale=why)


def engine_choice(prefs: Preferences, base: EngineChoice | None = None,
                  why: list[str] | None = None) -> EngineChoice:
    """`base` (a loaded plan's choice, else `auto`) with the engine, fallback and options asked for: each
    engine takes the flags it declares, over its options in `base` where `base` has that engine. `auto` is
    settled here, and `why` gets the reason."""
    name = prefs.engine or (base.name if base is not None else AUTO)
    if name == AUTO:
        name, reason = choose_engine()
        if why is not None:
            why.append(reason)
    base = base or EngineChoice()
    chosen = _run(name, prefs, base)
    if prefs.fallback is None:
        fallback = None if base.fallback is None else _run(base.fallback.name, prefs, base.fallback)
    else:
        fallback = None if prefs.fallback == "none" else _run(prefs.fallback, prefs, base.fallback)
    return EngineChoice(name=chosen.name, options=chosen.options, fallback=fallback)


def _run(name: str, prefs: Preferences, base: EngineRun | None) -> EngineRun:
    kept = base.options if base is not None and base.name == name else None
    return EngineRun(name, engine_spec(name).with_flags(prefs.engine_options, kept))


@dataclass
class _SectionChoice:
    span: SectionSpan
    energy: float
    mood: str
    mode: str
    target_bpm: float
    density: float
    genre: str
    instruments: list[str]


def _section_choices(span: SectionSpan, features: VideoFeatures, prefs: Preferences, why: list[str]) -> _SectionChoice:
    where = f"{span.start:.1f}-{span.end:.1f} s"
    base_energy = rules.energy_for(span.saturation, span.cut_rate_per_min)
    sentiment = span.sentiment if span.sentiment is not None else features.subtitles.mean_sentiment
    mood, cue = rules.mood_for(sentiment, base_energy, span.brightness, span.warmth)
    heard = ""
    if cue == "words" and mood in rules.DARK_MOODS:  # what the words say: grief or threat, whatever the pace
        said = [c.text for c in features.subtitles.cues if c.end > span.start and c.start < span.end]
        kind = dark_words(said)
        if kind is not None and kind != mood:
            mood, heard = kind, f"; the words speak of {'grief' if kind == 'melancholic' else 'threat'}"
    mood = prefs.mood or mood
    energy = rules.shifted_energy(base_energy, mood)
    target = prefs.bpm or rules.bpm_for(span.cut_rate_per_min, mood)
    density = rules.density_for(span.speech_ratio)
    genre = prefs.genre or rules.genre_for(energy, mood, span.saturation, span.brightness)
    because = "override" if prefs.mood else _mood_cue(cue, span, sentiment, base_energy, features) + heard
    why.append(f"{where}: energy {energy:.2f} (saturation {span.saturation:.2f}, "
               f"{span.cut_rate_per_min:.1f} cuts/min), "
               f"mood {mood} ({because})"
               + f", {target:.0f} BPM asked" + (" (override)" if prefs.bpm else "")
               + f", density {density:.2f} for {span.speech_ratio:.0%} speech, {genre}"
               + (" (override)" if prefs.genre else f" (brightness {span.brightness:.2f})"))
    return _SectionChoice(span=span, energy=energy, mood=mood, mode=rules.mode_for(mood), target_bpm=target,
                          density=density, genre=genre, instruments=list(rules.GENRES[genre]))


def _feel_tempos(choices: list[_SectionChoice], genre: str, why: list[str]) -> None:
    """Each section's asked BPM in the piece's genre's range: halved or doubled where the cut pace lies outside
    it (the rationale names the feel), else kept; the search band (rules.tempo_band) keeps to the range where
    the asked BPM lies in it."""
    low, high = genre_record(genre).tempo
    for choice in choices:
        choice.genre = genre
        bpm, feel = rules.felt_tempo(choice.target_bpm, genre)
        where = f"{choice.span.start:.1f}-{choice.span.end:.1f} s"
        if feel:
            why.append(f"{where}: {genre} is played at {low:.0f}-{high:.0f} BPM; the cut pace's "
                       f"{choice.target_bpm:.0f} BPM is felt {feel}: {bpm:.0f} BPM")
        elif not low <= bpm <= high:
            why.append(f"{where}: {genre} is played at {low:.0f}-{high:.0f} BPM; the cut pace's {bpm:.0f} BPM is "
                       f"kept (half or double time would leave the range too)")
        choice.target_bpm = bpm


def _still_reason(choice: _SectionChoice, genre: str, instruments: list[str]) -> str:
    """The rationale's line for a section the kit and the bright timbres leave."""
    full = rules.GENRES[genre]
    leave = [name for name in full if name not in instruments]
    come = [name for name in instruments if name not in full]
    change = "; ".join([f"without {', '.join(leave)}"] * bool(leave) + [f"with {', '.join(come)}"] * bool(come))
    return (f"{choice.span.start:.1f}-{choice.span.end:.1f} s is {choice.mood} at energy {choice.energy:.2f}: "
            f"played still ({change or 'the band as it is'})")


def _mood_cue(cue: str, span: SectionSpan, sentiment: float | None, energy: float, features: VideoFeatures) -> str:
    """Which cue decided the section's mood, in words a person can check."""
    if cue == "words":
        lines = [c for c in features.subtitles.cues if c.sentiment is not None and c.end > span.start
                 and c.start < span.end]
        if lines:
            line = max(lines, key=lambda c: abs(c.sentiment or 0.0))
            text = line.text if len(line.text) <= 60 else line.text[:57] + "..."
            return (f"words: sentiment {sentiment:+.2f}, strongest line at {line.start:.1f} s "
                    f"\"{text}\" {line.sentiment:+.2f}")
        return f"words: sentiment {sentiment:+.2f} over the clip"
    if cue == "picture":
        return (f"picture: brightness {span.brightness:.2f}, warmth {span.warmth:+.2f}"
                + ("" if sentiment is None else f"; words {sentiment:+.2f}, not strong"))
    return (f"pace and colour: energy {energy:.2f}"
            + ("" if sentiment is None else f"; words {sentiment:+.2f}, not strong"))


def _section_keys(choices: list[_SectionChoice], home: int, key: str, why: list[str]) -> list[str]:
    """Each section's key: the home key in the longest section, the others moved from their neighbour toward it
    (rules.section_key), so a key change happens where the sections differ strongly."""
    keys = [key] * len(choices)
    for i in range(home + 1, len(choices)):
        keys[i] = rules.section_key(choices[i].mode, keys[i - 1], choices[i - 1].mode,
                                    choices[i].energy - choices[i - 1].energy)
    for i in range(home - 1, -1, -1):
        keys[i] = rules.section_key(choices[i].mode, keys[i + 1], choices[i + 1].mode,
                                    choices[i].energy - choices[i + 1].energy)
    for i in range(1, len(choices)):
        if keys[i] != keys[i - 1] or choices[i].mode != choices[i - 1].mode:
            why.append(f"key change at {choices[i].span.start:.1f} s: {keys[i - 1]} {choices[i - 1].mode} → "
                       f"{keys[i]} {choices[i].mode}")
    return keys


def _fit_tempo(choices: list[_SectionChoice], cuts: list[float], duration: float, bpb: int,
               fixed: float | None) -> list[SectionTempo]:
    """Each section's tempo fitted to its cuts; a tempo the user fixed runs unbent over the whole clip."""
    if fixed is not None:
        return [fit_section(0.0, duration, list(cuts), fixed, (fixed, fixed), bpb, first=True, last=True,
                            max_deviation=0.0)]
    fits = []
    for i, choice in enumerate(choices):
        span = choice.span
        inside = [c for c in cuts if span.start + 1e-6 < c < span.end - 1e-6]
        fits.append(fit_section(span.start, span.end, inside, choice.target_bpm,
                                rules.tempo_band(choice.target_bpm, choice.mood, choice.genre), bpb,
                                first=i == 0, last=i == len(choices) - 1))
    return fits


def apply_overrides(score_plan: ScorePlan, prefs: Preferences) -> ScorePlan:
    """Flags on top of a loaded (possibly hand-edited) plan: each given flag wins; the rest stays as edited."""
    brief = score_plan.brief
    if prefs.bpm is not None:
        brief.tempo_map = [TempoPoint(time=0.0, bpm=prefs.bpm, bar=True)]
        for section in brief.sections:
            section.bpm = prefs.bpm
    if prefs.mood is not None:
        for section in brief.sections:
            section.mood = prefs.mood
            section.mode = rules.mode_for(prefs.mood)
            section.key = rules.spelled(tonic_pitch_class(section.key), section.mode)
        brief.mode = rules.mode_for(prefs.mood)
        brief.key = rules.spelled(tonic_pitch_class(brief.key), brief.mode)
    if prefs.genre is not None:
        brief.genre = prefs.genre
    if prefs.genre is not None or prefs.mood is not None:  # who plays each section follows its genre and mood
        for section in brief.sections:
            section.instrumentation = rules.instruments_for(brief.genre, section.mood, section.energy)
    if prefs.prompt is not None:
        brief.prompt = prefs.prompt
        for section in brief.sections:
            section.prompt = prefs.prompt
    if prefs.seed is not None:
        brief.seed = prefs.seed
    if prefs.prompt is None and (prefs.bpm is not None or prefs.mood is not None or prefs.genre is not None):
        for section in brief.sections:
            section.prompt = rules.prompt_for(section.mood, brief.genre, section.bpm, section.key, section.mode,
                                              section.instrumentation, section.energy, section.underscore)
        brief.prompt = brief.sections[0].prompt
    score_plan.engine = engine_choice(prefs, score_plan.engine, why=score_plan.rationale)
    score_plan.mix = prefs.mix(score_plan.mix)
    score_plan.stamp_tempo_map()
    return score_plan
