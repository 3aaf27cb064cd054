"""English polarity: VADER (Hutto & Gilbert, 2014) after the phrases it misreads are rewritten.

VADER treats a negation as flipping the next three words, so "can't stop crying" reads as happy and "couldn't
be prouder" as sad; and its lexicon lacks words that voice-overs use ("passed away", "nightmare"). Both fixes
are data: `phrases-en.tsv` (a regular expression and its plain-English reading) and `lexicon-en.tsv` (words
added to VADER's lexicon, on its -4..4 scale).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


def polarity(text: str) -> float:
    """VADER's compound score, -1 .. 1, of `text` with the known misreadings rewritten."""
    analyzer, phrases = _model()
    for pattern, reading in phrases:
        text = pattern.sub(reading, text)
    return analyzer.polarity_scores(text)["compound"]


def _rows(name: str) -> list[list[str]]:
    text = resources.files("autoscore_video.analysis.sentiment").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def _model():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update({word: float(valence) for word, valence in _rows("lexicon-en.tsv")})
    phrases = [(re.compile(rf"\b{pattern}\b", re.IGNORECASE), reading) for pattern, reading in _rows("phrases-en.tsv")]
    return analyzer, phrases
