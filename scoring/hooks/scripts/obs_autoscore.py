"""OBS Studio script (Python): scores each recording, split segment and saved replay with autoscore.

The Lua twin, obs_autoscore.lua, needs nothing installed: `autoscore hooks install obs`. This one needs a
Python that OBS is pointed to (Tools > Scripts > Python Settings): `autoscore hooks install obs-python`, then
Tools > Scripts > + and pick this file. The autoscore command is a property of the script (left empty, the
one `hooks install` wrote in, or AUTOSCORE_COMMAND from the environment).

- A recording is scored when it stops; with file splitting on, each segment once the next one starts.
- A saved replay is scored as soon as OBS reports it saved.
- With "Automatically remux to MP4" on (Settings > Advanced > Recording), autoscore waits for the remuxed
  copy OBS makes of each file and scores it instead (the recording itself if none appears in 30 s).
autoscore runs in the background; what is scored is printed to the script log (Tools > Scripts > Script Log),
and what autoscore prints goes to autoscore-hook.log in the temporary folder.
"""
import os
import shlex
import subprocess
import tempfile

import obspython as obs  # pyright: ignore[reportMissingImports]  # OBS's own module, there only inside OBS

AUTOSCORE_COMMAND = ["autoscore"]  # `autoscore hooks install` writes the full command here
LOG_NAME = "autoscore-hook.log"  # what autoscore prints, in the temporary folder
REMUX_TO = "mp4"
state = {"command": "", "current": None, "scored": set()}


def script_description():
    return ("Scores each recording, split segment and saved replay with autoscore (music fitted to the picture, "
            "mixed under it).")


def script_properties():
    props = obs.obs_properties_create()
    obs.obs_properties_add_path(props, "command", "autoscore command (empty: the installed one)",
                                obs.OBS_PATH_FILE, "", None)
    return props


def script_update(settings):
    state["command"] = obs.obs_data_get_string(settings, "command") or ""


def script_load(settings):
    script_update(settings)
    obs.obs_frontend_add_event_callback(on_event)


def script_unload():
    obs.obs_frontend_remove_event_callback(on_event)


def command():
    """The script's property where set, else AUTOSCORE_COMMAND from the environment, else the installed one."""
    if state["command"]:
        return [state["command"]]
    override = os.environ.get("AUTOSCORE_COMMAND")
    return shlex.split(override) if override else list(AUTOSCORE_COMMAND)


def remux_on():
    config = obs.obs_frontend_get_profile_config()
    return bool(config) and bool(obs.config_get_bool(config, "Video", "AutoRemux"))


def launch(paths, remux):
    fresh = [path for path in paths if path and path not in state["scored"]]
    if not fresh:
        return None
    state["scored"].update(fresh)
    arguments = ["hook", *fresh] + (["--remuxed-as", REMUX_TO] if remux else [])
    print("autoscore: scoring %s in the background%s" % (", ".join(fresh), " (its remuxed copy)" if remux else ""))
    detached: dict = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP} \
        if os.name == "nt" else {"start_new_session": True}
    with open(os.path.join(tempfile.gettempdir(), LOG_NAME), "ab") as log:
        return subprocess.Popen(command() + arguments, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, **detached)


def event(name):
    """An OBS frontend event's number, or None in an OBS too old to have it."""
    return getattr(obs, name, None)


def on_event(kind):
    if kind == event("OBS_FRONTEND_EVENT_RECORDING_STARTED"):
        # a new recording may reuse a path (OBS can overwrite): only within one recording is a path scored once
        state["current"], state["scored"] = obs.obs_frontend_get_last_recording(), set()
    elif kind is not None and kind == event("OBS_FRONTEND_EVENT_RECORDING_FILE_CHANGED"):
        closed, state["current"] = state["current"], obs.obs_frontend_get_last_recording()
        if closed and closed != state["current"]:  # the segment just closed (OBS remuxes it now, if asked)
            return launch([closed], remux=remux_on())
    elif kind == event("OBS_FRONTEND_EVENT_RECORDING_STOPPED"):
        last = obs.obs_frontend_get_last_recording() or state["current"]
        state["current"] = None
        if not last:
            print("autoscore: OBS reported no last recording; nothing to score")
            return None
        return launch([last], remux=remux_on())
    elif kind is not None and kind == event("OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED"):
        replay = obs.obs_frontend_get_last_replay()
        if not replay:
            print("autoscore: OBS reported no saved replay; nothing to score")
            return None
        return launch([replay], remux=remux_on())
    return None
