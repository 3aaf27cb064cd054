"""DaVinci Resolve Deliver "end of render job" script: scores each finished render with autoscore.

Install with `autoscore hooks install resolve`, then in Deliver > Render Settings > Advanced Settings pick
it under "Trigger script at: End of render job". Resolve runs it with the globals `job` (the render job
id), `status` (what the trigger saw: "RenderCompleted", "RenderFailed"...), `error`, and `resolve`.

Whether the job finished is read from project.GetRenderJobStatus(job)["JobStatus"] (Complete, Failed,
Cancelled), the trigger's own status where that says nothing. The files come from the job in
project.GetRenderJobList(): TargetDir/OutputFilename for a single clip; for "Individual clips" (whose
OutputFilename is the first clip with " and more"), every video the job wrote into TargetDir since it
started. autoscore runs in the background, so Resolve is not held up; what is scored, or skipped and why,
is printed to Resolve's Console (Workspace > Console), and what autoscore prints goes to autoscore-hook.log in
the temporary folder.
"""
import os
import shlex
import subprocess
import tempfile
import time

AUTOSCORE_COMMAND = ["autoscore"]  # `autoscore hooks install` writes the full command here
LOG_NAME = "autoscore-hook.log"  # what autoscore prints, in the temporary folder
FINISHED = ("Complete", "RenderCompleted")
NOT_FINISHED = ("Failed", "Cancelled", "RenderFailed", "RenderCancelled")
INDIVIDUAL_SUFFIX = " and more"


def command():
    """AUTOSCORE_COMMAND from the environment where set (a shell-style command line), else the installed one."""
    override = os.environ.get("AUTOSCORE_COMMAND")
    return shlex.split(override) if override else list(AUTOSCORE_COMMAND)


def render_job(project, job_id):
    for entry in project.GetRenderJobList() or []:
        if entry.get("JobId") == job_id:
            return entry
    return None


def decide(project, job_id, trigger_status, now=None):
    """(the arguments for `autoscore hook`, or None; a line saying what is done and why)."""
    info = project.GetRenderJobStatus(job_id) or {}
    job_status = info.get("JobStatus")
    if job_status in NOT_FINISHED or trigger_status in NOT_FINISHED:
        return None, "render job %s ended %s: nothing to score" % (job_id, job_status or trigger_status)
    if job_status != "Complete" and trigger_status not in FINISHED:
        return None, ("render job %s reads %s (trigger status %s), not finished: nothing to score"
                      % (job_id, job_status, trigger_status))
    entry = render_job(project, job_id)
    if entry is None:
        return None, "render job %s is not in the project's render jobs: nothing to score" % job_id
    folder, name = entry.get("TargetDir") or "", entry.get("OutputFilename") or ""
    individual = entry.get("RenderMode") == "Individual clips" or name.endswith(INDIVIDUAL_SUFFIX)
    if not individual:
        path = os.path.join(folder, name)
        return [path], "scoring %s" % path
    taken_ms = info.get("TimeTakenToRenderInMs")
    if taken_ms:
        started = (time.time() if now is None else now) - float(taken_ms) / 1000.0
        return (["--new-in", folder, "--since", "%.3f" % started],
                "scoring every clip render job %s wrote into %s" % (job_id, folder))
    first = os.path.join(folder, name[:-len(INDIVIDUAL_SUFFIX)] if name.endswith(INDIVIDUAL_SUFFIX) else name)
    return [first], ("Resolve gave no render time for job %s, so its other clips cannot be told from older "
                     "files: scoring only %s" % (job_id, first))


def launch(arguments):
    """`autoscore hook ARGUMENTS`, detached: it outlives the script and Resolve waits for nothing."""
    detached: dict = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP} \
        if os.name == "nt" else {"start_new_session": True}
    with open(os.path.join(tempfile.gettempdir(), LOG_NAME), "ab") as log:
        return subprocess.Popen(command() + ["hook"] + arguments, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, **detached)


def main(resolve_app, job_id, trigger_status, job_error=None):
    project = resolve_app.GetProjectManager().GetCurrentProject()
    arguments, line = decide(project, job_id, trigger_status)
    if job_error and arguments is None:
        line += " (%s)" % job_error
    print("autoscore: " + line)
    return launch(arguments) if arguments else None


if "job" in globals() and "resolve" in globals():  # run by Resolve, which sets these globals
    main(globals()["resolve"], globals()["job"], globals().get("status"), globals().get("error"))
