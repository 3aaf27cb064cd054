"""Sentiment polarity accuracy on the labelled sets in tests/data (English and Chinese), beside the engines
it replaced where they are installed (plain VADER; snownlp). The held-out sets were written after the lexicon
corrections and not used to make them: their figures say how the reading generalises.

    python bench/sentiment.py [--json bench/results/sentiment.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from autoscore_video.analysis.sentiment.accuracy import accuracy, labelled_lines

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = {"en": DATA / "sentiment-en.tsv", "zh": DATA / "sentiment-zh.tsv",
        "en held-out": DATA / "sentiment-en-heldout.tsv", "zh held-out": DATA / "sentiment-zh-heldout.tsv"}


def _baseline(language: str, lines) -> float | None:
    try:
        if language == "en":
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            vader = SentimentIntensityAnalyzer()
            scores = [vader.polarity_scores(line.text)["compound"] for line in lines]
        else:
            from snownlp import SnowNLP

            scores = [2.0 * SnowNLP(line.text).sentiments - 1.0 for line in lines]
    except ImportError:
        return None
    right = sum(1 for line, score in zip(lines, scores) if score != 0 and (score > 0) == line.positive)
    return right / len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    results = {}
    for name, path in SETS.items():
        language = name.split()[0]
        lines = labelled_lines(path)
        measured = accuracy(lines, language)
        baseline = _baseline(language, lines)
        before = "n/a (not installed)" if baseline is None else f"{baseline:.1%}"
        print(f"{name}: {measured.correct}/{measured.lines} = {measured.share:.1%}, {measured.wrong_sign} read with "
              f"the opposite sign (before: {before})")
        for line, score in measured.misread:
            print(f"    misread {'pos' if line.positive else 'neg'} as {score:+.2f}: {line.text}")
        results[name] = {"lines": measured.lines, "correct": measured.correct, "accuracy": round(measured.share, 4),
                         "wrong_sign": measured.wrong_sign,
                             "before": None if baseline is None else round(baseline, 4),
                             "misread": [line.text for line, _ in measured.misread]}
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
