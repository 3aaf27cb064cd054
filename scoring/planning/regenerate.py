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
    sections = plan.brief.sections
    if not 1 <= number <= len(sections):
        raise InputError(f"--regenerate {number}: the plan has {len(sections)} section"
                         f"{'' if len(sections) == 1 else 's'} (1 to {len(sections)})")
    section = sections[number - 1]
    seed = next_seed(plan.brief.seed if section.seed is None else section.seed, number)
    again = copy.deepcopy(plan)
    again.brief.sections[number - 1].seed = seed
    again.rationale.append(f"section {number} ({section.start:.1f}-{section.end:.1f} s, {section.mood}) made again "
                           f"with seed {seed} (--regenerate); the music outside it is kept")
    return again


def next_seed(previous: int, number: int) -> int:
    return zlib.crc32(f"{previous}:{number}".encode()) % (SEED_MAX + 1)
