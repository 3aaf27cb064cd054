"""`autoscore models pull-bank`: fetch a General MIDI bank once, by name (a permissively licensed bank this
catalogue knows), URL or Hugging Face hub id, into the cache that banks.py searches, with the same offline rule
as MusicGen (HF_HUB_OFFLINE refuses)."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from autoscore_video.common.errors import ModelError, UsageError
from autoscore_video.common.hub import hub_offline
from autoscore_video.generation.symbolic.banks import EXTENSIONS, bank_cache_dir
from autoscore_video.generation.symbolic.soundfont import is_soundfont

HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
DOWNLOAD_TIMEOUT_S = 60

# Banks a pip-only install can get by name: permissive licences only (the fallback, TimGM6mb, is GPL).
# name: (where MuseScore publishes it, what it is, its licence)
NAMED_BANKS = {
    "musescore-general": ("https://ftp.osuosl.org/pub/musescore/soundfont/MuseScore_General/MuseScore_General.sf3",
                          "MuseScore General (SF3, 38 MB)", "MIT"),
}


def pull_bank(source: str) -> Path:
    """The path of the pulled bank. A URL must name a .sf2/.sf3 file; a hub id, a repository holding one."""
    if hub_offline():
        raise ModelError("HF_HUB_OFFLINE is set: unset it on a machine that reaches the network to pull a bank")
    if source in NAMED_BANKS:
        return _pull_url(NAMED_BANKS[source][0])
    if source.startswith("https://"):
        return _pull_url(source)
    if HUB_ID.match(source):
        return _pull_hub(source)
    raise UsageError(f"{source!r} is neither a bank's name ({', '.join(NAMED_BANKS)}), an https URL nor a hub id "
                     "(owner/name)")


def _pull_url(url: str) -> Path:
    name = Path(urllib.parse.urlparse(url).path).name
    if Path(name).suffix.lower() not in EXTENSIONS:
        raise UsageError(f"{url} does not name a SoundFont (.sf2 or .sf3)")
    folder = bank_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkstemp(dir=folder, prefix=name, suffix=".partial")[1])
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out)
        with open(partial, "rb") as file:
            header = file.read(12)
        if not is_soundfont(header):
            raise ModelError(f"{url} is not a SoundFont (no RIFF sfbk header)")
        os.replace(partial, folder / name)
    except OSError as exc:
        raise ModelError(f"cannot download {url}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return folder / name


def _pull_hub(repo_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise ModelError("pulling from the hub needs huggingface_hub: pip install 'autoscore-video[musicgen]'") from exc
    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=[f"*{ext}" for ext in EXTENSIONS]))
    except Exception as exc:  # network and hub errors come in many types; all mean "not pulled"
        raise ModelError(f"cannot download {repo_id}: {type(exc).__name__}: {exc}") from exc
    banks = [p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS]
    if not banks:
        raise ModelError(f"{repo_id} holds no .sf2 or .sf3 file at its top level")
    return banks[0]
