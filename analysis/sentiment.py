"""Language per cue (by script) and sentiment per cue: VADER for English, snownlp for Chinese.

Language is told by the script of the letters: Han → zh, kana → ja, Hangul → ko, Cyrillic → ru,
Latin → en. Only en and zh have a sentiment model; other cues are kept, unscored.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache


def detect_language(text: str) -> str:
    counts = {"han": 0, "kana": 0, "hangul": 0, "latin": 0, "cyrillic": 0, "other": 0}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("CJK UNIFIED") or name.startswith("CJK COMPATIBILITY IDEOGRAPH"):
            counts["han"] += 1
        elif name.startswith(("HIRAGANA", "KATAKANA")):
            counts["kana"] += 1
        elif name.startswith("HANGUL"):
            counts["hangul"] += 1
        elif name.startswith("LATIN"):
            counts["latin"] += 1
        elif name.startswith("CYRILLIC"):
            counts["cyrillic"] += 1
        else:
            counts["other"] += 1
    if sum(counts.values()) == 0:
        return "und"
    if counts["kana"]:
        return "ja"
    if counts["hangul"]:
        return "ko"
    if counts["han"]:
        return "zh"
    top = max(counts, key=counts.get)
    return {"latin": "en", "cyrillic": "ru"}.get(top, "und")


def sentiment(text: str, language: str) -> float | None:
    """-1 (negative) .. 1 (positive), or None where no model covers `language`."""
    if language == "en":
        return round(_vader().polarity_scores(text)["compound"], 4)
    if language == "zh":
        from snownlp import SnowNLP

        return round(2.0 * SnowNLP(text).sentiments - 1.0, 4)
    return None


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()
