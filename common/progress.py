"""A stage's progress over several passes through its audio, as one fraction that never goes back.

A stage that reads its audio more than once (mixing: measure, model the limiter, encode, measure the encode)
reports each pass as its share of the whole. A pass that was not foreseen (an encode done again) widens the
whole, and the fraction holds still until the work catches up with it, so a bar never jumps back.
"""
from __future__ import annotations

from typing import Callable

Fraction = Callable[[float], None]


class Passes:
    """`passes` of equal cost, or with `first_share` the first one taking that share of the whole and the
    others the rest equally."""

    def __init__(self, report: Fraction | None, passes: int, first_share: float | None = None) -> None:
        self._report = report
        self._passes = max(1, passes)
        self._first_share = first_share
        self._done = 0
        self._shown = -1.0  # nothing shown yet: the first call shows even a 0

    def _whole(self, done: float) -> float:
        if self._first_share is None or self._passes == 1:
            return done / self._passes
        first = min(done, 1.0) * self._first_share
        return first + max(done - 1.0, 0.0) * (1.0 - self._first_share) / (self._passes - 1)

    def at(self, fraction_of_pass: float) -> None:
        """Where the current pass is, 0..1."""
        if self._report is None:
            return
        whole = self._whole(self._done + min(max(fraction_of_pass, 0.0), 1.0))
        if whole > self._shown:
            self._shown = whole
            self._report(min(whole, 1.0))

    def next_pass(self) -> None:
        self._done = min(self._done + 1, self._passes)

    def add_passes(self, count: int) -> None:
        """Passes not foreseen: the fraction shown stays until the work passes it."""
        self._passes += count

    def finished(self) -> None:
        if self._report is not None:
            self._shown = 1.0
            self._report(1.0)
