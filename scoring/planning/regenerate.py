"""Making one section of a plan again (`autoscore score --plan P --regenerate N`): the plan with section N given
a seed of its own, drawn from the one it had, so each time it is made again it comes out different, and the
same command on the same plan comes out the same."""
from __future__ import annotations

import copy
import zlib

from autoscore_video.common.errors import InputError
from autoscore_video.scoring.planning.rules import SEED_MAX
from autoscore_video.scoring.planning.score_plan import ScorePlan


def regenerate_section(plan: ScorePlan, number: int) -> ScorePlan:
    """A copy of `plan` whose section `number` (counted from 1) has a new seed of its own."""
    check_section(plan, number)
    section = plan.brief.sections[number - 1]
    seed = next_seed(plan.brief.seed if section.seed is None else section.seed, number)
    again = copy.deepcopy(plan)
    again.brief.sections[number - 1].seed = seed
    again.rationale.append(f"section {number} ({section.start:.1f}-{section.end:.1f} s, {section.mood}) made again "
                           f"with seed {seed} (--regenerate); the music outside it is kept")
    return again


def check_section(plan: ScorePlan, number: int) -> None:
    """InputError where the plan has no section `number` (counted from 1)."""
    count = len(plan.brief.sections)
    if not 1 <= number <= count:
        raise InputError(f"--regenerate {number}: the plan has {count} section{'' if count == 1 else 's'} "
                         f"(1 to {count})")


def next_seed(previous: int, number: int) -> int:
    return zlib.crc32(f"{previous}:{number}".encode()) % (SEED_MAX + 1)
