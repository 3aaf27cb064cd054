"""Which General MIDI bank (SoundFont) the symbolic engine plays, found the way audio tools find one.

In order, the first that exists wins:
1. the bank asked for: `--soundfont PATH` (kept in the plan), else the environment's `AUTOSCORE_SOUNDFONT`;
2. a bank pulled once into the model cache (`autoscore models pull-bank musescore-general|URL|HUB_ID`);
3. a system bank in the usual folders (Debian/Ubuntu, Fedora, Arch, Homebrew, the user's own), best known first;
4. pretty_midi's TimGM6mb, with a note in the report: a small bank that sounds like it.

No bank is kept in this repository: banks are installed by the system's packages or pulled by the user.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from autoscore_video.common.errors import ModelError
from autoscore_video.common.hub import cache_dir

SOUNDFONT_ENV = "AUTOSCORE_SOUNDFONT"
SEARCH_ENV = "AUTOSCORE_SOUNDFONT_DIRS"  # folders searched instead of SYSTEM_DIRS (os.pathsep between them)
EXTENSIONS = (".sf2", ".sf3")

SYSTEM_DIRS = (
    "~/.local/share/soundfonts", "~/.local/share/sounds/sf2", "~/.local/share/sounds/sf3",
    "/usr/share/sounds/sf3", "/usr/share/sounds/sf2",  # Debian, Ubuntu
    "/usr/share/soundfonts",  # Fedora, Arch
    "/usr/local/share/soundfonts", "/usr/local/share/sounds/sf2", "/usr/local/share/sounds/sf3",
    "/opt/homebrew/share/soundfonts", "/opt/homebrew/share/sounds/sf2",  # Homebrew (Apple silicon)
    "~/Library/Audio/Sounds/Banks",  # macOS, where GarageBand and most players look
    "C:/soundfonts",
)

# Known General MIDI banks, best first: (file-name pattern, what the report calls it, licence).
KNOWN_BANKS = (
    (r"musescore_general(\.|-hq)", "MuseScore General", "MIT"),
    (r"musescore_general_lite", "MuseScore General Lite", "MIT"),
    (r"fluidr3_gm", "FluidR3 GM", "MIT"),
    (r"generaluser", "GeneralUser GS", "GeneralUser GS licence (free to use in music)"),
    (r"timgm6mb", "TimGM6mb", "GPL-2.0 (as Debian lists it)"),
)
UNKNOWN_RANK = len(KNOWN_BANKS) - 1.5  # an unknown bank ranks above TimGM6mb only

NO_BANK_NOTE = ("no General MIDI bank found, so the music was played with pretty_midi's small TimGM6mb (GPL-2.0): "
                "get MuseScore General (MIT) with `autoscore models pull-bank musescore-general`, install one "
                "(Debian/Ubuntu: apt install musescore-general-soundfont-small), or pass --soundfont PATH")


@dataclass(frozen=True)
class Bank:
    path: Path
    name: str  # what the report calls it
    licence: str  # "unknown" where the file's name does not say
    found_by: str  # "asked", "environment", "pulled", "system", "fallback"

    def describe(self) -> str:
        return f"{self.name} ({self.path.name}, licence {self.licence})"


def _known(path: Path) -> int | None:
    """The index in KNOWN_BANKS of the bank `path` names, if any."""
    stem = path.name.lower()
    return next((index for index, (pattern, _, _) in enumerate(KNOWN_BANKS) if re.search(pattern, stem)), None)


def identify(path: Path, found_by: str) -> Bank:
    index = _known(path)
    if index is None:
        return Bank(path, path.stem, "unknown", found_by)
    _, name, licence = KNOWN_BANKS[index]
    return Bank(path, name, licence, found_by)


def rank(path: Path) -> tuple[float, str]:
    index = _known(path)
    return (UNKNOWN_RANK if index is None else index), path.name.lower()


def bank_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autoscore" / "banks"


def search_dirs() -> list[Path]:
    given = os.environ.get(SEARCH_ENV)
    folders = given.split(os.pathsep) if given is not None else SYSTEM_DIRS
    return [Path(folder).expanduser() for folder in folders if folder]


def banks_in(folder: Path) -> list[Path]:
    """The banks in `folder` and one level below it, best known first (links followed, broken ones skipped)."""
    try:
        entries = [*folder.iterdir(), *(p for d in folder.iterdir() if d.is_dir() for p in d.iterdir())]
    except OSError:
        return []
    found = {p.resolve() for p in entries if p.suffix.lower() in EXTENSIONS and p.is_file()}
    return sorted(found, key=rank)


def pulled_banks() -> list[Path]:
    """Banks `autoscore models pull-bank` put in the autoscore cache, or fetched into the Hugging Face cache."""
    found = banks_in(bank_cache_dir())
    hub = Path(cache_dir())
    if hub.is_dir():
        found += sorted((p.resolve() for p in hub.glob("models--*/snapshots/*/*") if p.suffix.lower() in EXTENSIONS
                         and p.is_file()), key=rank)
    return found


def pretty_midi_bank() -> Path:
    import pretty_midi

    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise ModelError(f"no General MIDI bank found, and pretty_midi's own is missing ({path}): {NO_BANK_NOTE}")
    return path


def asked_bank(path: str, found_by: str) -> Bank:
    bank = Path(path).expanduser()
    if not bank.is_file():
        where = "--soundfont" if found_by == "asked" else SOUNDFONT_ENV
        raise ModelError(f"the SoundFont {bank} ({where}) does not exist")
    if bank.suffix.lower() not in EXTENSIONS:
        raise ModelError(f"{bank} is not a SoundFont (.sf2 or .sf3)")
    return identify(bank.resolve(), found_by)


def find_bank(asked: str | None = None) -> Bank:
    """The bank to play, by the order above. A bank that was asked for and is missing is an error, not a fallback."""
    if asked:
        return asked_bank(asked, "asked")
    if os.environ.get(SOUNDFONT_ENV):
        return asked_bank(os.environ[SOUNDFONT_ENV], "environment")
    return usable_banks()[0]


def usable_banks() -> list[Bank]:
    """Every bank this machine has that `find_bank` could choose, in its order (for `autoscore models`)."""
    pulled = [identify(p, "pulled") for p in pulled_banks()]
    system = sorted({p for folder in search_dirs() for p in banks_in(folder)}, key=rank)
    return pulled + [identify(p, "system") for p in system] + [identify(pretty_midi_bank(), "fallback")]
