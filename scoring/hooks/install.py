"""`autoscore hook FILE`: the command editors run after an export, and the scripts that call it.

The file is scored once it is complete (common.files: its size and mtime stop changing); the scored video's
path is printed. `autoscore hooks install resolve|obs` copies the ready scripts in scoring/hooks/scripts/ into
the folder each application reads them from.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from autoscore_video.common.errors import InputError, ResourceError

HOOKS = Path(__file__).parent / "scripts"
SCRIPTS = {"resolve": "resolve_autoscore.py", "resolve-lua": "resolve_autoscore.lua", "obs": "obs_autoscore.py",
           "compressor": "compressor_autoscore.sh"}


def install_folder(app: str) -> Path:
    """Where each application looks for scripts, per operating system."""
    home = Path.home()
    if app.startswith("resolve"):
        if sys.platform == "darwin":
            return home / "Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Deliver"
        if os.name == "nt":
            appdata = Path(os.environ.get("APPDATA", home))
            return appdata / "Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts/Deliver"
        return home / ".local/share/DaVinciResolve/Fusion/Scripts/Deliver"
    if app == "obs":
        if sys.platform == "darwin":
            return home / "Library/Application Support/obs-studio/scripts"
        if os.name == "nt":
            return Path(os.environ.get("APPDATA", home)) / "obs-studio/scripts"
        return home / ".config/obs-studio/scripts"
    raise InputError(f"unknown application {app!r} (resolve, resolve-lua, obs)")


def install(app: str, folder: Path | None = None) -> Path:
    if app not in SCRIPTS or app == "compressor":
        raise InputError(f"unknown application {app!r} (resolve, resolve-lua, obs)")
    target_dir = folder or install_folder(app)
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(HOOKS / SCRIPTS[app], target_dir / SCRIPTS[app]))
    except OSError as exc:
        raise ResourceError(f"cannot install into {target_dir}: {exc.strerror or exc}") from exc


NEXT_STEP = {
    "resolve": "in Resolve: Deliver > Render Settings > Advanced Settings > Trigger script at: End of render job",
    "resolve-lua": "in Resolve: Deliver > Render Settings > Advanced Settings > Trigger script at: End of render job",
    "obs": "in OBS: Tools > Scripts > + and pick the script",
}
