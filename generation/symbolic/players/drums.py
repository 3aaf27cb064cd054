"""The kit: the genre's groove (kick, snare, hats, open hats in a B phrase, a crash on a phrase's first bar),
its light patterns, and the fill at a phrase's end or into a cut that matters."""
from __future__ import annotations

import numpy as np

from autoscore_video.generation.symbolic.grooves import onsets, pick
from autoscore_video.generation.symbolic.instruments import Drum
from autoscore_video.generation.symbolic.performer import Performer
from autoscore_video.generation.symbolic.players import QUIET_LIGHT, Bar

FILL_ENERGY = 0.45  # under this a phrase ends on ghost notes instead of the genre's fill
CRASH_ENERGY = 0.35  # a phrase's first bar opens on a crash from this energy


def play(performer: Performer, bar: Bar, track: str) -> None:
    groove, plan, bpb, level = bar.parts.groove, bar.plan, performer.bar_beats, bar.level
    if groove is None:  # the genre has no kit groove
        return
    energy, light = bar.section.energy, bar.light
    fill = plan.build or (plan.phrase_bar == plan.phrase_length - 1 and plan.phrase_length >= 4
                          and not plan.last_in_section and energy >= QUIET_LIGHT)
    fill_from = bpb - (2 if plan.build else 1)

    def hit(note: int, pos: float, velocity: float, spread: float = 1.0, late_s: float = 0.0) -> None:
        if pos < bpb and not (fill and pos >= fill_from and note != Drum.KICK):
            performer.played(track, note, plan.bar, float(pos), 0.25, velocity, spread=spread, vary=False,
                             late_s=late_s)

    index = plan.phrase_bar
    kick = groove.light_kick if light else pick(groove.kick, index)
    snare = groove.light_snare if light else pick(groove.snare, index)
    hats = groove.light_hats if light else pick(groove.hats, index)
    snare_note = groove.light_snare_note if light else groove.snare_note
    hat_note = groove.full_hat_note if plan.phrase == "B" and not light else groove.hat_note
    for pos, _ in onsets(kick):
        hit(Drum.KICK, pos, level, spread=0.5)
    for pos, _ in onsets(snare):
        hit(snare_note, pos, level - 6, late_s=groove.laid_back_ms / 1000)
    for pos, _ in onsets(hats):
        hit(hat_note, pos, level - 24 + (4 if pos % 1 == 0 else 0))
    if not light and plan.phrase == "B":
        for pos, _ in onsets(pick(groove.open_hats, index)):
            hit(Drum.OPEN_HAT, pos, level - 20)
    if plan.phrase_bar == 0 and not light and energy >= CRASH_ENERGY:
        hit(Drum.CRASH, 0, level - 8, spread=0.5)
    if fill:
        play_fill(performer, bar, track, fill_from, groove.fill if energy >= FILL_ENERGY or plan.build else "ghost")


def play_fill(performer: Performer, bar: Bar, track: str, start: float, kind: str) -> None:
    """A fill from `start` (beats) to the bar's end: "ghost" notes, a snare "roll" that climbs, or "toms"."""
    bpb, level, index = performer.bar_beats, bar.level, bar.plan.bar
    if kind == "ghost":
        ghosts = ((bpb - 0.75, Drum.SNARE, -28), (bpb - 0.5, Drum.KICK, -10), (bpb - 0.25, Drum.SNARE, -22))
        for pos, note, added in ghosts:
            performer.played(track, note, index, pos, 0.25, level + added, vary=False)
        return
    steps = np.arange(start, bpb, 0.25)
    toms = (Drum.SNARE, Drum.HIGH_TOM, Drum.MID_TOM, Drum.LOW_TOM)
    for i, pos in enumerate(steps):
        note = Drum.SNARE if kind == "roll" else toms[min(3, i * 4 // len(steps))]
        performer.played(track, note, index, float(pos), 0.25, level - 14 + 16 * i / max(1, len(steps) - 1),
                         vary=False)


def cut(performer: Performer, track: str, at: float, velocity: float, loud: bool, stab: bool) -> None:
    """A cut's hit: a crash (a splash where the cut matters less) and the kick, after a snare stab where the cut
    falls off the beat."""
    if stab:
        performer.note(track, Drum.SNARE, at, at + 0.2, velocity - 6)
    performer.note(track, Drum.CRASH if loud else Drum.SPLASH, at, at + 0.3, velocity)
    performer.note(track, Drum.KICK, at, at + 0.2, velocity)


def cymbal(performer: Performer, track: str, at: float, velocity: float) -> None:
    """The orchestra's cymbal on a cut that matters."""
    performer.note(track, Drum.CRASH, at, at + 0.3, velocity - 10)


def final(performer: Performer, track: str, start: float, level: float) -> None:
    performer.note(track, Drum.KICK, start, start + 0.3, level)
    performer.note(track, Drum.CRASH, start, start + 0.3, level - 4)
