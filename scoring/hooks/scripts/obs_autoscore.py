"""OBS Studio script: scores each recording when it stops.

Install with `autoscore hooks install obs`, then in OBS: Tools > Scripts > + and pick this file.
The recording's path comes from obs_frontend_get_last_recording(); autoscore runs in the background.
Set AUTOSCORE_COMMAND to the autoscore executable if it is not on OBS's PATH.
"""
import os
import shlex
import subprocess

import obspython as obs


def script_description():
    return "Scores each recording with autoscore when it stops (music fitted to the picture, mixed under it)."


def launch(path):
    command = shlex.split(os.environ.get("AUTOSCORE_COMMAND", "autoscore")) + ["hook", path]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def on_event(event):
    if event != obs.OBS_FRONTEND_EVENT_RECORDING_STOPPED:
        return None
    path = obs.obs_frontend_get_last_recording()
    if not path:
        print("autoscore: OBS reported no last recording; nothing to score")
        return None
    print("autoscore: scoring %s in the background" % path)
    return launch(path)


def script_load(settings):
    obs.obs_frontend_add_event_callback(on_event)
