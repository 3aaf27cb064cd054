"""Sections made again (`autoscore score --plan P --regenerate N`).

A plan's section may hold a seed of its own. The piece is then rendered as the plan has it with no section's
own seed (the piece the earlier run made), and each own-seeded section is made again against that piece alone:
by the engine's `render_section` where it has one (ACE-Step repaints the section's range of the piece, MusicGen
continues the piece into it), else by rendering the brief with that one section seeded (the symbolic engine
composes it with its seed; its `write_midi` gives the MIDI of the whole).

Each section's range goes into the piece with short crossfades that end at its edges, so outside
[start - SPLICE_FADE_S, end] the music is the piece sample for sample, one section's seed changes nothing
outside it, and scoring with the same plan again makes the same music.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autoscore_video.common.progress import Passes
from autoscore_video.generation.brief import MusicBrief, MusicTrack

SPLICE_FADE_S = 0.05  # each crossfade into and out of a section made again; it ends at the section's edge
BLOCK_FRAMES = 2 ** 17  # the splice reads and writes this many frames at a time


@dataclass(frozen=True)
class Splice:
    """Where a section made again went into the piece (seconds of the piece's audio, which starts with the
    video): the crossfade in runs from `fade_from` to `start`, the one out ends at `end`."""
    section: int  # 1-based, as users count them
    seed: int
    fade_from: float
    start: float
    end: float


def own_seeded(brief: MusicBrief) -> list[int]:
    """The (0-based) indices of the sections with a seed of their own."""
    return [i for i, section in enumerate(brief.sections) if section.seed is not None]


def without_own_seeds(brief: MusicBrief) -> MusicBrief:
    return dataclasses.replace(brief, sections=[dataclasses.replace(s, seed=None) for s in brief.sections])


def with_own_seed(brief: MusicBrief, index: int, seed: int) -> MusicBrief:
    """`brief` with section `index` (0-based) seeded `seed` and no other section seeded."""
    sections = [dataclasses.replace(s, seed=seed if i == index else None) for i, s in enumerate(brief.sections)]
    return dataclasses.replace(brief, sections=sections)


def section_range(brief: MusicBrief, index: int) -> tuple[float, float]:
    """Section `index`'s span in the music (seconds): the first starts with the music, the last runs to its end
    (the closing chord rings past the picture)."""
    section = brief.sections[index]
    start = 0.0 if index == 0 else section.start
    end = float("inf") if index == len(brief.sections) - 1 else section.end
    return start, end


def render_piece(engine: Any, brief: MusicBrief, work_dir: Path, *, options: Any = None,
                 progress=None) -> MusicTrack:
    """`brief` rendered by `engine`; its own-seeded sections made again and spliced into the piece, each made
    against the piece alone, so that one section's seed changes nothing outside it."""
    seeded = own_seeded(brief)
    if not seeded:
        return engine.render(brief, work_dir, options=options, progress=progress)
    passes = Passes(progress, 1 + len(seeded))
    base = without_own_seeds(brief)
    piece = engine.render(base, work_dir / "piece", options=options, progress=passes.at)
    passes.next_pass()
    again = getattr(engine, "render_section", None)
    audio, splices = Path(piece.audio_path), []
    for index in seeded:
        variant = with_own_seed(base, index, brief.sections[index].seed or 0)
        folder = work_dir / f"section-{index + 1}"
        if again is not None:
            made = again(variant, index, piece, folder, options=options, progress=passes.at)
        else:
            made = engine.render(variant, folder, options=options, progress=passes.at)
        spliced = folder / "music.spliced.wav"
        splices.append(splice(audio, Path(made.audio_path), index, section_range(brief, index), spliced,
                              variant.sections[index].seed or 0))
        audio = spliced
        passes.next_pass()
    passes.finished()
    notes = list(piece.notes) + [f"section {s.section} made again with seed {s.seed} and spliced in from "
                                 f"{s.start:.2f} s " + ("to the end" if s.end >= piece.duration - 1e-6 else
                                                        f"to {s.end:.2f} s") for s in splices]
    midi = None
    if piece.midi_path:
        write_midi = getattr(engine, "write_midi", None)
        if write_midi is not None:
            midi = str(work_dir / "music.mid")
            write_midi(brief, Path(midi), options=options)
        else:
            notes.append(f"the {engine.name} engine cannot write the MIDI of sections made again: no MIDI is written")
    return dataclasses.replace(piece, audio_path=str(audio), midi_path=midi, candidates=[], notes=notes)


def splice(piece: Path, section: Path, index: int, span: tuple[float, float], out: Path, seed: int) -> Splice:
    """`piece` with the `span` (seconds; the end may be infinite: to the music's end) of `section`, section
    `index` made again with `seed`, in its place, written to `out` (float WAV, under a temporary name until
    complete), a block at a time."""
    import soundfile

    partial = out.with_name(out.name + ".partial")
    with soundfile.SoundFile(str(piece)) as base, soundfile.SoundFile(str(section)) as other:
        rate, channels, frames = base.samplerate, base.channels, base.frames
        if other.samplerate != rate or other.channels != channels:
            raise RuntimeError(f"the section made again ({other.samplerate} Hz, {other.channels} channels) does not "
                               f"match the piece ({rate} Hz, {channels} channels)")
        fade = max(1, int(round(SPLICE_FADE_S * rate)))
        start = int(round(span[0] * rate))
        end = frames if span[1] == float("inf") else min(frames, int(round(span[1] * rate)))
        fade_from = max(0, start - fade)
        try:
            with soundfile.SoundFile(str(partial), "w", rate, channels, subtype="FLOAT", format="WAV") as wav:
                for at in range(0, frames, BLOCK_FRAMES):
                    n = min(BLOCK_FRAMES, frames - at)
                    audio = base.read(n, dtype="float32", always_2d=True)
                    if fade_from < at + n and at < end:  # the block touches the section: weigh the two
                        weight = _weights(fade_from, start, end, at, n, fade, frames)
                        other.seek(min(at, other.frames))
                        new = other.read(n, dtype="float32", always_2d=True)
                        if len(new) < n:
                            new = np.concatenate([new, np.zeros((n - len(new), channels), dtype=np.float32)])
                        audio = audio * (1.0 - weight[:, None]) + new * weight[:, None]  # exact at 0 and 1
                    wav.write(audio)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return Splice(section=index + 1, seed=seed, fade_from=fade_from / rate, start=start / rate, end=end / rate)


def _weights(fade_from: int, start: int, end: int, at: int, n: int, fade: int, frames: int) -> np.ndarray:
    """Per frame of [at, at + n): the section's share (0: the piece's), a raised-cosine ramp up over
    [fade_from, start) and down over the `fade` frames before its end (none at the music's end)."""
    positions = np.arange(at, at + n)
    share = ((positions >= start) & (positions < end)).astype(np.float32)
    if start > fade_from:
        rising = (positions >= fade_from) & (positions < start)
        share[rising] = _ramp((positions[rising] - fade_from + 0.5) / (start - fade_from))
    if end < frames:
        falling_from = max(start, end - fade)
        falling = (positions >= falling_from) & (positions < end)
        share[falling] = _ramp((end - positions[falling] - 0.5) / (end - falling_from))
    return share


def _ramp(x: np.ndarray) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))).astype(np.float32)
