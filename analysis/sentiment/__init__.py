"""Sentiment of a subtitle cue, -1 (negative) .. 1 (positive), in the languages a lexicon covers.

English is VADER with the phrases it misreads rewritten first (`english.py`); Chinese is the BosonNLP valence
lexicon with HowNet-style negation, degree adverbs and contrast (`chinese.py`). Both report VADER's compound
scale, so one threshold (`scoring.planning.rules.mood_for`) reads either. The language is told by the script of
the letters (`language.py`); other languages are kept, unscored.
"""
from __future__ import annotations

from autoscore_video.analysis.sentiment.language import detect_language

SCORED_LANGUAGES = ("en", "zh")


def sentiment(text: str, language: str) -> float | None:
    """-1 (negative) .. 1 (positive), or None where no lexicon covers `language`."""
    if language == "en":
        from autoscore_video.analysis.sentiment.english import polarity

        return round(polarity(text), 4)
    if language == "zh":
        from autoscore_video.analysis.sentiment.chinese import polarity

        return round(polarity(text), 4)
    return None


__all__ = ["SCORED_LANGUAGES", "detect_language", "sentiment"]
