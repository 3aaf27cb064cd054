"""`autoscore hooks install APP`: a ready script from scoring/hooks/scripts/, with the full command of this
autoscore written in (editors started from the Dock, Finder or Explorer do not see a shell's PATH), into the
folder the application reads scripts from."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from autoscore_video.common.errors import InputError, ResourceError

HOOKS = Path(__file__).parent / "scripts"
SCRIPTS = {"resolve": "resolve_autoscore.py", "resolve-lua": "resolve_autoscore.lua", "obs": "obs_autoscore.lua",
           "obs-python": "obs_autoscore.py", "compressor": "compressor_autoscore.sh"}
# each script's line naming the command, as shipped: `install` writes the full command in its place
COMMAND_LINE = {".py": 'AUTOSCORE_COMMAND = ["autoscore"]', ".lua": 'local AUTOSCORE_COMMAND = { "autoscore" }',
                ".sh": 'autoscore_command() { autoscore "$@"; }'}
NEXT_STEP = {
    "resolve": "in Resolve: Deliver > Render Settings > Advanced Settings > Trigger script at: End of render job",
    "resolve-lua": "in Resolve: Deliver > Render Settings > Advanced Settings > Trigger script at: End of render job",
    "obs": "in OBS: Tools > Scripts > + and pick the script",
    "obs-python": "in OBS: Tools > Scripts > Python Settings (a Python OBS can load), then + and pick the script",
    "compressor": "in Automator: a Run Shell Script action (Shell /bin/sh, Pass input: as arguments) running "
                  "/bin/sh SCRIPT \"$@\"",
}


def next_step(app: str, installed: Path) -> str:
    return NEXT_STEP[app].replace("SCRIPT", _sh_word(str(installed)))


def _unknown(app: str) -> InputError:
    return InputError(f"unknown application {app!r} ({', '.join(SCRIPTS)})")


def install_folder(app: str) -> Path:
    """Where each application looks for scripts, per operating system (for Compressor: autoscore's own)."""
    home = Path.home()
    appdata = Path(os.environ.get("APPDATA", home))
    if app.startswith("resolve"):
        if sys.platform == "darwin":
            return home / "Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Deliver"
        if os.name == "nt":
            return appdata / "Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts/Deliver"
        return home / ".local/share/DaVinciResolve/Fusion/Scripts/Deliver"
    if app.startswith("obs"):
        if sys.platform == "darwin":
            return home / "Library/Application Support/obs-studio/scripts"
        if os.name == "nt":
            return appdata / "obs-studio/scripts"
        return home / ".config/obs-studio/scripts"
    if app == "compressor":
        if sys.platform == "darwin":
            return home / "Library/Application Support/autoscore/hooks"
        return home / ".local/share/autoscore/hooks"
    raise _unknown(app)


def this_command() -> list[str]:
    """The autoscore running now, as a full command: the executable beside this Python (or on PATH), else
    this Python running the package."""
    found = shutil.which("autoscore", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return [str(Path(found).absolute())] if found else [str(Path(sys.executable).absolute()), "-m", "autoscore_video"]


def _lua_string(text: str) -> str:
    level = "="
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def _sh_word(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def with_command(script: str, suffix: str, command: list[str]) -> str:
    """`script` with its command line naming `command`."""
    import json

    shipped = COMMAND_LINE[suffix]
    if script.count(shipped) != 1:
        raise ResourceError(f"the shipped {suffix} hook script has no single command line to write into")
    if suffix == ".py":
        line = f"AUTOSCORE_COMMAND = {json.dumps(command)}"
    elif suffix == ".lua":
        line = "local AUTOSCORE_COMMAND = { " + ", ".join(_lua_string(word) for word in command) + " }"
    else:
        line = "autoscore_command() { " + " ".join(_sh_word(word) for word in command) + ' "$@"; }'
    return script.replace(shipped, line)


def install(app: str, folder: Path | None = None, command: list[str] | None = None) -> Path:
    if app not in SCRIPTS:
        raise _unknown(app)
    source = HOOKS / SCRIPTS[app]
    target_dir = folder or install_folder(app)
    target = target_dir / source.name
    text = with_command(source.read_text(encoding="utf-8"), source.suffix, command or this_command())
    partial = target.with_name(f".{target.name}.partial")
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.chmod(source.stat().st_mode & 0o777)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ResourceError(f"cannot install into {target_dir}: {exc.strerror or exc}") from exc
    return target
