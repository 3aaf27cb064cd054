"""The symbolic engine's options: what a plan's `engine.options` holds, valid by construction; the flag
`--soundfont` sets the bank (spec.py)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autoscore_video.common.errors import InputError, NotFoundError


@dataclass
class SymbolicOptions:
    soundfont: str | None = None  # a .sf2/.sf3 file; None: found as banks.py says
    console: bool = True  # the studio's mix (placement, EQ, room, bus compression); False: the bank's dry sum

    def __post_init__(self) -> None:
        if self.soundfont is None:
            return
        if not self.soundfont.lower().endswith((".sf2", ".sf3")):
            raise InputError(f"--soundfont {self.soundfont!r} is not a SoundFont (.sf2 or .sf3)")
        if not Path(self.soundfont).expanduser().is_file():
            raise NotFoundError(f"--soundfont {self.soundfont}: no such file")

