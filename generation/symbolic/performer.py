"""How the band's players put a note down: on the grid, swung and spread in time as the genre's style says,
accented by where it falls in the bar, held for a varied share of its length; expression (CC11) and the sustain
pedal; the MIDI tracks the notes go to. Every part writer (players/) plays through one Performer."""
from __future__ import annotations

import numpy as np
import pretty_midi

from autoscore_video.generation.symbolic.form import BarPlan
from autoscore_video.generation.symbolic.instruments import lookup
from autoscore_video.generation.symbolic.style import Style, accent
from autoscore_video.generation.tempo import Grid


class Performer:
    def __init__(self, grid: Grid, style: Style, kit: int, rng: np.random.Generator, beats_per_bar: int):
        self.grid, self.style, self.kit, self.rng = grid, style, kit, rng
        self.tracks: dict[str, pretty_midi.Instrument] = {}
        self.bar_beats, self.bar_end = beats_per_bar, float("inf")  # the bar being written

    def time(self, bar: int, position: float, *, spread: float = 1.0) -> float:
        """When a player plays `position` (beats into `bar`): swung where it is an off-beat of the swing unit,
        off the grid by the style's timing spread (times `spread`), never more than twice it."""
        unit = self.style.swing_unit
        within = position % (2 * unit)
        if abs(within - unit) < 1e-6:
            position += (self.style.swing - 0.5) * 2 * unit
        sigma = self.style.timing_ms / 1000 * spread
        jitter = float(np.clip(self.rng.normal(0.0, sigma), -2 * sigma, 2 * sigma)) if sigma else 0.0
        return self.grid.time(bar, position) + jitter

    def played(self, track: str, pitch: int, bar: int, position: float, length: float, velocity: float, *,
               spread: float = 1.0, legato: float = 1.0, vary: bool = True, late_s: float = 0.0) -> None:
        """A note at `position` for `length` beats, as played: timed by `time`, accented by position, held for
        a varied share of its length (`legato` the longest) where `vary`."""
        start = self.time(bar, position, spread=spread) + late_s
        held = length * legato * (float(self.rng.uniform(0.82, 1.0)) if vary else 1.0)
        end = max(start + 0.02, self.grid.time(bar, position + held))
        self.note(track, pitch, start, end, velocity + accent(position % self.bar_beats), jitter=2)

    def note(self, track: str, pitch: int, start: float, end: float, velocity: float, jitter: int = 0) -> None:
        """Adds a note (velocity spread by ±`jitter`); one that starts past a short bar's end, or sounds only
        before 0, is left out."""
        jitter = int(self.rng.integers(-jitter, jitter + 1)) if jitter else 0
        if start >= self.bar_end - 1e-9 or end <= 0.0:
            return
        start = max(start, 0.0)
        vel = int(np.clip(velocity + jitter, 1, 127))
        self.track(track).notes.append(pretty_midi.Note(velocity=vel, pitch=int(pitch), start=start, end=end))

    def expression(self, track: str, bar: int, plan: BarPlan, swell: bool) -> None:
        """CC11 over the bar: half the arc's dB (velocity carries the other half), a swell across each four-bar
        phrase where `swell`, and a crescendo through a build bar."""
        instrument = self.track(track)
        steps = max(1, int(self.bar_beats * 2)) if swell or plan.build else 1
        for step in range(steps):
            db = plan.arc_db / 2
            if swell:
                db += 2.5 * np.sin(np.pi * ((plan.phrase_bar % 4 + step / steps) / 4)) - 2.5
            if plan.build:
                db += -6 + 8 * step / steps
            value = int(np.clip(round(127 * 10 ** (db / 40)), 1, 127))
            instrument.control_changes.append(
                pretty_midi.ControlChange(11, value, max(0.0, self.grid.time(bar, step / 2 if steps > 1 else 0))))

    def pedal(self, track: str, bar: int) -> None:
        """Sustain down just after the bar line, up just before the next: one pedal per chord."""
        instrument = self.track(track)
        t0, t1 = self.grid.time(bar, 0), self.grid.time(bar + 1, 0)
        instrument.control_changes.append(pretty_midi.ControlChange(64, 127, max(0.0, t0 + 0.03)))
        instrument.control_changes.append(pretty_midi.ControlChange(64, 0, max(0.0, t1 - 0.04)))

    def track(self, name: str) -> pretty_midi.Instrument:
        """The MIDI track `name` ("role: instrument"), made on first use (the drum track on the genre's kit)."""
        if name not in self.tracks:
            instrument = lookup(name)
            drums = instrument.role == "drums"
            self.tracks[name] = pretty_midi.Instrument(program=self.kit if drums else instrument.program,
                                                       is_drum=drums, name=name)
        return self.tracks[name]
