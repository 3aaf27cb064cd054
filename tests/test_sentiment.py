"""Subtitle sentiment: negation, intensity and contrast in English and Chinese, on labelled sets of our own."""
from pathlib import Path

import pytest

from autoscore_video.analysis.sentiment import sentiment
from autoscore_video.analysis.sentiment.accuracy import accuracy, labelled_lines

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_polarity_accuracy_on_the_labelled_set(language):
    lines = labelled_lines(DATA / f"sentiment-{language}.tsv")
    assert len(lines) >= 60
    assert sum(line.positive for line in lines) >= 25 and sum(not line.positive for line in lines) >= 25
    measured = accuracy(lines, language)
    assert measured.share >= 0.90, [line.text for line, _ in measured.misread]


@pytest.mark.parametrize("text, language, positive", [
    ("Everything feels hopeless, and I cannot stop crying.", "en", False),  # VADER alone: +0.11
    ("I can't stop smiling today.", "en", True),
    ("I am not happy at all.", "en", False),
    ("I couldn't be prouder of my team.", "en", True),
    ("It started well, but the ending ruined it for me.", "en", False),
    ("It wasn't easy, but it was absolutely worth it.", "en", True),
    ("我每天晚上都在哭，真的很难过", "zh", False),  # snownlp: +0.83
    ("今天天气真好，我们太开心了！", "zh", True),  # snownlp: +0.02
    ("我一点也不开心。", "zh", False),
    ("我们的努力没有白费。", "zh", True),
    ("虽然很辛苦，但是非常值得。", "zh", True),
    ("本来以为会很顺利，结果却一塌糊涂。", "zh", False),
])
def test_negation_and_contrast(text, language, positive):
    score = sentiment(text, language)
    assert (score > 0.2) if positive else (score < -0.2), score


def test_intensifiers_strengthen():
    assert sentiment("I am very happy.", "en") > sentiment("I am happy.", "en") > 0
    assert sentiment("我非常开心", "zh") > sentiment("我开心", "zh") > 0
    assert sentiment("我非常难过", "zh") < sentiment("我难过", "zh") < 0


def test_unscored_languages():
    assert sentiment("Привет, как дела?", "ru") is None
