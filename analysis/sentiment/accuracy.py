"""Polarity accuracy on a labelled set: lines of `pos|neg <tab> text`, `#` comments (tests/data/sentiment-*.tsv)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autoscore_video.analysis.sentiment import sentiment


@dataclass(frozen=True)
class LabelledLine:
    positive: bool
    text: str


@dataclass(frozen=True)
class Accuracy:
    language: str
    lines: int
    correct: int
    misread: list[tuple[LabelledLine, float]]

    @property
    def share(self) -> float:
        return self.correct / self.lines if self.lines else 0.0

    @property
    def wrong_sign(self) -> int:
        """Lines read with the opposite polarity (a line read as neutral is missed, not reversed)."""
        return sum(1 for _, score in self.misread if score != 0.0)


def labelled_lines(path: Path) -> list[LabelledLine]:
    lines = []
    for row in path.read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        label, text = row.split("\t", 1)
        if label not in ("pos", "neg"):
            raise ValueError(f"{path}: label {label!r} is neither pos nor neg")
        lines.append(LabelledLine(positive=label == "pos", text=text))
    return lines


def accuracy(lines: list[LabelledLine], language: str) -> Accuracy:
    """A line counts as read right when its score has the label's sign (0 is wrong either way)."""
    misread = []
    for line in lines:
        score = sentiment(line.text, language) or 0.0
        if score == 0.0 or (score > 0) != line.positive:
            misread.append((line, score))
    return Accuracy(language=language, lines=len(lines), correct=len(lines) - len(misread), misread=misread)
