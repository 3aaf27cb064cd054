"""DaVinci Resolve Deliver "end of render job" script: scores each finished render with autoscore.

Install with `autoscore hooks install resolve`, then in Deliver > Render Settings > Advanced Settings pick
it under "Trigger script at: End of render job". Resolve runs it with the globals `job` (the render job
id), `status` and `error`, and `resolve` (its scripting object). The render's output is found through
project.GetRenderJobList(); autoscore runs in the background so Resolve is not held up.
Set AUTOSCORE_COMMAND to the autoscore executable if it is not on Resolve's PATH.
"""
import os
import shlex
import subprocess


def output_of(resolve_app, job_id):
    project = resolve_app.GetProjectManager().GetCurrentProject()
    for render_job in project.GetRenderJobList() or []:
        if render_job.get("JobId") == job_id:
            return os.path.join(render_job.get("TargetDir", ""), render_job.get("OutputFilename", ""))
    return None


def launch(path):
    command = shlex.split(os.environ.get("AUTOSCORE_COMMAND", "autoscore")) + ["hook", path]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def main(resolve_app, job_id, job_status, job_error):
    if job_status != "Complete":
        print("autoscore: render job %s ended %s (%s); nothing to score" % (job_id, job_status, job_error))
        return None
    path = output_of(resolve_app, job_id)
    if not path:
        print("autoscore: render job %s not found in the project's render jobs" % job_id)
        return None
    print("autoscore: scoring %s in the background" % path)
    return launch(path)


if "job" in globals() and "resolve" in globals():  # run by Resolve, which sets these globals
    main(globals()["resolve"], globals()["job"], globals().get("status"), globals().get("error"))
