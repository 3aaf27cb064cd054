"""The form of a piece: each section laid out in phrases (intro, A, B, breakdown, build, outro as its length
allows), and for every bar the phrase it belongs to, the parts that play and how loud the arc is there.

Layers enter and leave every four bars: in A the counter-line carries the first half and the lead the second;
in B the lead sings throughout and the counter-line joins it; a breakdown strips to the pad and the
counter-line; a build brings the rhythm back in a crescendo. Pure: bars in, bar plans out.
"""
from __future__ import annotations

from dataclasses import dataclass

PHRASE_BARS = 8
HALF = 4  # layers change every half phrase
# Labels of a section's body in order, cycled: a long section gets A B, a breakdown and build, then A and B again.
BODY = ("A", "B", "breakdown", "build", "A", "B")
# Parts playing in each half of a phrase of each kind ("drums": the kit's groove; "timpani": the orchestra's).
LAYERS = {
    "pickup": ({"pad", "keys"}, {"pad", "keys"}),
    "intro": ({"pad", "keys"}, {"pad", "keys", "counter", "bass"}),
    "A": ({"pad", "keys", "bass", "drums", "counter"},
          {"pad", "keys", "bass", "drums", "lead", "timpani"}),
    "B": ({"pad", "keys", "bass", "drums", "lead", "timpani"}, {"pad", "keys", "bass", "drums", "lead", "counter",
                                                                "timpani"}),
    "breakdown": ({"pad", "counter"}, {"pad", "keys", "counter"}),
    "build": ({"pad", "keys", "bass", "drums", "timpani"}, {"pad", "keys", "bass", "drums", "timpani"}),
    "outro": ({"pad", "keys", "bass", "counter"}, {"pad", "keys"}),
}
# The dynamic arc: dB added to every part's level in each half of a phrase of each kind.
ARC_DB = {"pickup": (-14.0, -14.0), "intro": (-14.0, -10.0), "A": (-14.0, -2.0), "B": (-1.0, 1.0),
          "breakdown": (-15.0, -12.0), "build": (-11.0, 0.0), "outro": (-5.0, -13.0)}


# How the intro brings the band in (its two halves' parts), one way per seed: the harmony is there from the first
# bar (an entry of the keys halfway would be heard in the first pause of a voice-over), bass and counter-line
# come in at the start or halfway.
INTRO_ENTRIES = (LAYERS["intro"], ({"pad", "keys"}, {"pad", "keys", "bass"}),
                 ({"pad", "keys", "bass"}, {"pad", "keys", "bass", "counter"}),
                 ({"pad", "keys", "counter"}, {"pad", "keys", "counter", "bass"}))
# The order of a section's body, one per seed: where the breakdown falls (a body states its A first: a section
# that opened on B would start at full strength and lose its arc).
BODIES = (BODY, ("A", "breakdown", "build", "B", "A", "B"), ("A", "B", "A", "breakdown", "build", "B"))


@dataclass(frozen=True)
class FormVariant:
    """The choices a seed makes in the layout: the intro's length (bars, in a first section of 16 bars or more, at
    most a quarter of it; a shorter section's intro is two bars), how the intro brings the band in, where the
    breakdown falls, and which part states the motif first in an A phrase (the counter-line, then the lead; or
    the lead, then the counter-line)."""
    intro_bars: int = 4
    intro: tuple[set[str], set[str]] = LAYERS["intro"]
    body: tuple[str, ...] = BODY
    lead_first: bool = False


def form_variant(seed: int) -> FormVariant:
    """The seed's layout, each choice from its own digits so neighbouring seeds differ in several."""
    return FormVariant(intro=INTRO_ENTRIES[seed % 4], lead_first=(seed // 4) % 2 == 1,
                       intro_bars=(4, 2, 8)[(seed // 8) % 3], body=BODIES[(seed // 24) % len(BODIES)])


@dataclass(frozen=True)
class BarPlan:
    bar: int  # on the grid
    section: int  # index into the brief's sections
    phrase: str  # pickup | intro | A | B | breakdown | build | outro
    phrase_bar: int  # bar within the phrase
    phrase_length: int
    occurrence: int  # how many phrases of this kind came before in the piece (motifs develop with it)
    layers: frozenset[str]
    arc_db: float
    section_start: bool
    last_in_section: bool
    build: bool  # the bar before a cut that matters: fill, riser, crescendo


def phrases(bars: int, first: bool, last: bool, start: int = 0, variant: FormVariant = FormVariant()
            ) -> list[tuple[str, int]]:
    """A section of `bars` bars as (label, length) phrases, in order; its body starts at the variant's
    body[start]."""
    intro = (2 if bars < 16 else min(variant.intro_bars, bars // 4)) if first and bars >= 4 else 0
    outro = (2 if bars < 24 else 4) if last and bars - intro >= 8 else 0
    body = bars - intro - outro
    laid: list[tuple[str, int]] = [("intro", intro)] if intro else []
    index = start
    order = variant.body
    while body > 0:
        label = order[index % len(order)]
        length = HALF if label in ("breakdown", "build") else PHRASE_BARS
        if label in ("breakdown", "build") and body < 2 * HALF + HALF:
            index += 1  # no room for a breakdown and its build with a phrase after them
            continue
        if body - length < HALF:
            length = body  # a short remainder joins the phrase
        laid.append((label, length))
        body -= length
        index += 1
    if outro:
        laid.append(("outro", outro))
    return laid


def _layers(label: str, half: int, variant: FormVariant) -> frozenset[str]:
    if label == "intro":
        return frozenset(variant.intro[half])
    layers = set(LAYERS[label][half])
    if label == "A" and variant.lead_first:  # the lead states the motif, the counter-line answers
        layers ^= {"lead", "counter"}
    return frozenset(layers)


def plan_form(section_of_bar: list[int], build_bars: set[int], pickup: bool = False,
              variant: FormVariant = FormVariant()) -> list[BarPlan]:
    """A plan per bar; `section_of_bar[b]` is the brief section bar b lies in, `build_bars` the bars just before
    a cut that matters. With `pickup`, bar 0 is mostly before the video starts: it is a pickup (the intro's
    first layers), and the phrases start at bar 1."""
    plans: list[BarPlan] = []
    seen: dict[str, int] = {}
    sections = _runs(section_of_bar)
    if pickup and sections and sections[0][2] > 1:
        section = sections[0][0]
        plans.append(BarPlan(bar=0, section=section, phrase="pickup", phrase_bar=0, phrase_length=1, occurrence=0,
                             layers=frozenset(variant.intro[0]), arc_db=ARC_DB["pickup"][0], section_start=True,
                             last_in_section=False, build=False))
        sections[0] = (section, 1, sections[0][2] - 1)
    for number, (section, first_bar, count) in enumerate(sections):
        bar = first_bar
        # a later section opens with the other kind of phrase than the one before it did
        for label, length in phrases(count, number == 0, number == len(sections) - 1, start=number % 2,
                                     variant=variant):
            occurrence = seen.get(label, 0)
            seen[label] = occurrence + 1
            split = min(HALF, max(1, length // 2))  # a short phrase changes halfway through
            for within in range(length):
                half = 0 if within < split else 1
                arc = ARC_DB[label][half]
                if label == "build":
                    arc = ARC_DB[label][0] + (ARC_DB[label][1] - ARC_DB[label][0]) * within / max(1, length - 1)
                plans.append(BarPlan(bar=bar, section=section, phrase=label, phrase_bar=within, phrase_length=length,
                                     occurrence=occurrence, layers=_layers(label, half, variant), arc_db=arc,
                                     section_start=bar == first_bar and not (pickup and number == 0),
                                     last_in_section=bar == first_bar + count - 1,
                                     build=bar in build_bars or (label == "build" and within == length - 1)))
                bar += 1
    return plans


def _runs(values: list[int]) -> list[tuple[int, int, int]]:
    """(value, first index, length) of each run of equal values."""
    runs: list[tuple[int, int, int]] = []
    for i, value in enumerate(values):
        if runs and runs[-1][0] == value:
            runs[-1] = (value, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((value, i, 1))
    return runs
