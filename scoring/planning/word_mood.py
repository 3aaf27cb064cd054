"""Where the words change the mood: stretches of strongly positive or negative subtitles, and the section
boundaries they call for.

A stretch is a run of subtitle cues whose sentiment is at least `rules.STRONG_SENTIMENT` in one direction,
with pauses of at most `MAX_PAUSE_S` between lines and no strong line of the other direction inside; weaker lines
ride along without extending it. A stretch of `MIN_STRETCH_S` or more whose direction differs from the stretch
before it (or that follows none, and starts well into the clip) starts a section: at the nearest cut within
`SNAP_TO_CUT_S`, else in the pause before its first line (the section then starts on a bar line there).
"""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.analysis import SubtitleCue
from autoscore_video.scoring.planning.rules import STRONG_SENTIMENT

MIN_STRETCH_S = 6.0
MAX_PAUSE_S = 2.0
SNAP_TO_CUT_S = 1.5
LEAD_S = 0.5  # without a cut, the music turns at most this long before the first line of the stretch
MIN_EDGE_S = 3.0  # no boundary this close to the clip's start or end


@dataclass(frozen=True)
class SentimentStretch:
    start: float
    end: float
    sign: int  # +1 positive, -1 negative
    mean: float  # duration-weighted sentiment of its strong lines
    strongest: str  # its strongest line, for the plan's rationale


@dataclass(frozen=True)
class _Line:
    """A subtitle cue that has a sentiment."""
    start: float
    end: float
    sentiment: float
    text: str


def sentiment_stretches(cues: list[SubtitleCue]) -> list[SentimentStretch]:
    scored = sorted((_Line(c.start, c.end, c.sentiment, c.text) for c in cues
                     if c.sentiment is not None and c.end > c.start), key=lambda line: line.start)
    stretches: list[SentimentStretch] = []
    run: list[_Line] = []
    last_end = 0.0

    def close():
        if run and run[-1].end - run[0].start >= MIN_STRETCH_S:
            weight = sum(c.end - c.start for c in run)
            mean = sum((c.end - c.start) * c.sentiment for c in run) / weight
            strongest = max(run, key=lambda c: abs(c.sentiment))
            stretches.append(SentimentStretch(start=run[0].start, end=run[-1].end, sign=1 if mean > 0 else -1,
                                              mean=round(mean, 3), strongest=strongest.text))
        run.clear()

    for cue in scored:
        strong = abs(cue.sentiment) >= STRONG_SENTIMENT
        sign = 1 if cue.sentiment > 0 else -1
        if run and (cue.start - last_end > MAX_PAUSE_S or (strong and sign != _sign(run))):
            close()
        if strong:
            run.append(cue)
            last_end = cue.end
        elif run:
            last_end = max(last_end, cue.end)  # a weaker line bridges the pause, but does not extend the stretch
    close()
    return stretches


def _sign(run: list[_Line]) -> int:
    return 1 if run[0].sentiment > 0 else -1


def mood_boundaries(stretches: list[SentimentStretch], cues: list[SubtitleCue], cuts: list[float],
                    duration: float) -> list[float]:
    """The times where a stretch turns the mood, snapped to a cut where one is near."""
    boundaries = []
    previous_sign = 0
    for stretch in stretches:
        if stretch.sign != previous_sign:
            at = _turn_time(stretch, cues, cuts)
            if MIN_EDGE_S <= at <= duration - MIN_EDGE_S:
                boundaries.append(round(at, 6))
        previous_sign = stretch.sign
    return sorted(set(boundaries))


def _turn_time(stretch: SentimentStretch, cues: list[SubtitleCue], cuts: list[float]) -> float:
    near = [c for c in cuts if abs(c - stretch.start) <= SNAP_TO_CUT_S]
    if near:
        return min(near, key=lambda c: abs(c - stretch.start))
    before = [c.end for c in cues if c.end <= stretch.start]
    pause_start = max(before) if before else 0.0
    return max(stretch.start - LEAD_S, (pause_start + stretch.start) / 2.0)


# Negative words alone do not tell grief from threat; these do. Lowercase; Chinese matched as substrings.
GRIEF_WORDS = frozenset({"sad", "sadness", "lonely", "alone", "cry", "cried", "crying", "cries", "tears", "grief",
                         "grieve", "mourn", "miss", "missed", "lost", "loss", "hurts", "hurt", "heartbroken",
                         "broke", "broken", "sorrow", "goodbye", "died", "dead", "death", "funeral", "empty"})
THREAT_WORDS = frozenset({"fear", "afraid", "scared", "danger", "dangerous", "run", "hide", "kill", "killed",
                          "attack", "enemy", "threat", "war", "fight", "escape", "chase", "panic", "terror",
                          "gun", "blood", "hunt", "warning", "alarm"})
GRIEF_ZH = ("难过", "孤独", "哭", "伤心", "痛苦", "失去", "想念", "悲伤", "离开")
THREAT_ZH = ("危险", "害怕", "恐惧", "逃", "杀", "敌人", "战争", "追")


def dark_words(texts: list[str]) -> str | None:
    """"melancholic" where grief words outnumber threat words in `texts`, "tense" where threat words do, None
    where neither (or as many of each) is said."""
    grief = threat = 0
    for text in texts:
        words = [w.strip(".,!?;:\"'()").lower() for w in text.split()]
        grief += sum(w in GRIEF_WORDS for w in words) + sum(text.count(w) for w in GRIEF_ZH)
        threat += sum(w in THREAT_WORDS for w in words) + sum(text.count(w) for w in THREAT_ZH)
    if grief == threat:
        return None
    return "melancholic" if grief > threat else "tense"
