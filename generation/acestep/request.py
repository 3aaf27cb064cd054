"""What the plan tells ACE-Step: a caption, the form as tagged lines, the bpm from the tempo map, the key and the
time signature. Pure functions of the brief."""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.generation.brief import MusicBrief
from autoscore_video.generation.tempo import beat_grid, mean_bpm

INSTRUMENTAL = "[instrumental]"  # no words are sung: the clip's own speech is the voice


@dataclass(frozen=True)
class Request:
    prompt: str  # the caption: genre, mood, instruments, as the model was trained to read them
    lyrics: str  # one tagged line per section: its place in the form, mood and energy
    bpm: int
    keyscale: str  # "A minor"
    timesignature: str  # beats to a bar: "4"
    duration: float


def request_for(brief: MusicBrief) -> Request:
    grid = beat_grid(brief.tempo_map, brief.target_duration, brief.beats_per_bar)
    bpm = mean_bpm(grid, 0.0, brief.target_duration) or brief.tempo_map[0].bpm
    return Request(prompt=brief.prompt or f"{brief.genre} instrumental", lyrics=section_lines(brief),
                   bpm=int(round(bpm)), keyscale=f"{brief.key} {brief.mode}",
                   timesignature=str(brief.beats_per_bar), duration=brief.target_duration)


def section_lines(brief: MusicBrief) -> str:
    """`[intro]`, `[verse]`... one per section, each with its mood, energy and instruments, then the
    instrumental tag: the model lays out the form the plan decided."""
    lines = []
    last = len(brief.sections) - 1
    for index, section in enumerate(brief.sections):
        place = "intro" if index == 0 and last else "outro" if index == last and last else f"section {index + 1}"
        energy = "low" if section.energy < 0.35 else "high" if section.energy > 0.7 else "medium"
        texture = "underscore, sparse" if section.underscore else ", ".join(section.instrumentation[:4])
        lines.append(f"[{place} - {section.mood}, {energy} energy, {texture}]\n{INSTRUMENTAL}")
    return "\n\n".join(lines)
