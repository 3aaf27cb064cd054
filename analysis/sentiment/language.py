"""The language of a line, told by the script of its letters: Han → zh, kana → ja, Hangul → ko,
Cyrillic → ru, Latin → en."""
from __future__ import annotations

import unicodedata


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
    top = max(counts, key=lambda script: counts[script])
    return {"latin": "en", "cyrillic": "ru"}.get(top, "und")
