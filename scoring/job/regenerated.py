"""What a run that made a section again (`--regenerate N`) kept: the earlier run's gains, read from its report,
and, measured after mixing, whether the music stem outside the section is the earlier run's sample for sample."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from autoscore_video.common import jsonio
from autoscore_video.generation.sections import BLOCK_FRAMES, SPLICE_FADE_S, section_range
from autoscore_video.mixing.levels import Levels
from autoscore_video.mixing.loudness import limiter_context
from autoscore_video.scoring.job.report import Regenerated
from autoscore_video.scoring.planning.score_plan import ScorePlan


def earlier_levels(report: Path) -> Levels | None:
    """The gains an earlier run's report says its mix was made at (None where it is missing, unreadable or
    older than the field)."""
    if not report.is_file():
        return None
    try:
        levels = jsonio.read_json(report)["mix"]["levels"]
        return jsonio.from_dict(Levels, levels, what=str(report))
    except Exception:  # noqa: BLE001 (any report that does not hold them: the gains are solved again)
        return None


def kept_outside(plan: ScorePlan, number: int, earlier: Path, stem: Path, levels_from: Path | None) -> Regenerated:
    """Compares `stem` with the `earlier` run's outside section `number` (and the limiter's reach around it)."""
    brief = plan.brief
    start, end = section_range(brief, number - 1)
    section = brief.sections[number - 1]
    result = Regenerated(section=number, seed=section.seed if section.seed is not None else brief.seed,
                         start_s=round(section.start, 3), end_s=round(section.end, 3),
                         levels_from=None if levels_from is None else str(levels_from), outside_identical=None)
    if not earlier.is_file():
        return result
    import soundfile

    with soundfile.SoundFile(str(earlier)) as old, soundfile.SoundFile(str(stem)) as new:
        if (old.samplerate, old.channels, old.frames) != (new.samplerate, new.channels, new.frames):
            result.outside_identical = False
            return result
        rate, reach = new.samplerate, limiter_context(new.samplerate)
        changed_from = max(0, int(round((start - SPLICE_FADE_S) * rate)) - reach) if start > 0 else 0
        changed_to = new.frames if end == float("inf") else min(new.frames, int(round(end * rate)) + reach)
        largest = 0.0
        for a, b in ((0, changed_from), (changed_to, new.frames)):
            for at in range(a, b, BLOCK_FRAMES):
                n = min(BLOCK_FRAMES, b - at)
                old.seek(at)
                new.seek(at)
                difference = np.abs(old.read(n, dtype="float64") - new.read(n, dtype="float64"))
                largest = max(largest, float(difference.max(initial=0.0)))
    result.outside_identical = largest == 0.0
    if largest > 0.0:
        result.outside_difference_db = round(20.0 * float(np.log10(largest)), 1)
    return result
