"""Editor hooks: `autoscore hook`, and each script run outside its editor with the editor's objects faked."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import pytest

from autoscore_video.common.errors import InputError
from autoscore_video.scoring.hooks.exports import export_files, remuxed, written_since
from autoscore_video.scoring.hooks.install import HOOKS, install
from tests.conftest import autoscore_command, run_cli, slow_copy


@pytest.fixture()
def recorder(tmp_path) -> tuple[str, Path]:
    """A stand-in for the autoscore executable that records the arguments it was started with."""
    log = tmp_path / "calls.log"
    script = tmp_path / "fake-autoscore"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\necho \"fake autoscore: $1\"\n")
    script.chmod(0o755)
    return str(script), log


def wait_for(path: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def load_script(name: str, extra_modules: dict | None = None):
    for module_name, module in (extra_modules or {}).items():
        sys.modules[module_name] = module
    spec = importlib.util.spec_from_file_location(name.replace(".py", ""), HOOKS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LUA = shutil.which("lua5.4") or shutil.which("lua")


def lua() -> str:
    if LUA is None:
        pytest.skip("no Lua interpreter (apt-get install lua5.4)")
    return LUA


@pytest.fixture()
def gated_recorder(tmp_path) -> tuple[str, Path, Path]:
    """A stand-in for autoscore that records its arguments only once `gate` exists: a caller that returns
    while it still waits has left it running on its own."""
    log, gate = tmp_path / "calls.log", tmp_path / "gate"
    script = tmp_path / "gated autoscore"
    script.write_text(f"#!/bin/sh\nwhile [ ! -e '{gate}' ]; do sleep 0.05; done\necho \"$@\" >> '{log}'\n"
                      "echo \"fake autoscore: $1\"\n")
    script.chmod(0o755)
    return str(script), log, gate


# Render jobs as Resolve lists them (GetRenderJobList) and the status it gives each (GetRenderJobStatus). A
# failed render reads "Rendering" until the user dismisses Resolve's error dialog.
JOBS = [{"JobId": "a1", "TargetDir": "/renders", "OutputFilename": "other.mov", "RenderMode": "Single clip"},
        {"JobId": "b2", "TargetDir": "/renders/day 2", "OutputFilename": "it's final.mp4", "RenderMode": "Single clip"},
        {"JobId": "c3", "TargetDir": "/renders/clips", "OutputFilename": "A001.mov and more",
         "RenderMode": "Individual clips"},
        {"JobId": "d4", "TargetDir": "/renders/clips", "OutputFilename": "B001.mov and more",
         "RenderMode": "Individual clips"}]
STATUS = {"a1": {"JobStatus": "Failed", "CompletionPercentage": 40},
          "b2": {"JobStatus": "Complete", "CompletionPercentage": 100, "TimeTakenToRenderInMs": 5000},
          "c3": {"JobStatus": "Complete", "CompletionPercentage": 100, "TimeTakenToRenderInMs": 90000},
          "d4": {"JobStatus": "Complete", "CompletionPercentage": 100}}
# (job, the trigger's `status`, the job's status as read, what `autoscore hook` is given, or None)
CASES = [("b2", "RenderCompleted", None, ["/renders/day 2/it's final.mp4"]),
         ("b2", "Complete", None, ["/renders/day 2/it's final.mp4"]),
         ("a1", "RenderFailed", None, None),
         ("b2", "RenderFailed", "Rendering", None),  # the error dialog still up
         ("b2", "RenderCompleted", "Cancelled", None),
         ("b2", "RenderStarted", "Rendering", None),
         ("zz", "RenderCompleted", "Complete", None),
         ("c3", "RenderCompleted", None, ["--new-in", "/renders/clips", "--since", "1999910.000"]),
         ("d4", "RenderCompleted", None, ["/renders/clips/B001.mov"])]
NOW = 2_000_000


class FakeProject:
    def __init__(self, read_as=None):
        self.read_as = read_as

    def GetRenderJobList(self):  # noqa: N802 - Resolve's API spelling
        return [dict(job) for job in JOBS]

    def GetRenderJobStatus(self, job_id):  # noqa: N802
        status = dict(STATUS.get(job_id, {}))
        if self.read_as:
            status["JobStatus"] = self.read_as
        return status


class FakeResolve:
    def __init__(self, project):
        self.project = project

    def GetProjectManager(self):  # noqa: N802
        return types.SimpleNamespace(GetCurrentProject=lambda: self.project)


@pytest.mark.parametrize("job, trigger, read_as, expected", CASES)
def test_resolve_python_script_scores_what_the_job_finished(job, trigger, read_as, expected):
    script = load_script("resolve_autoscore.py")
    arguments, line = script.decide(FakeProject(read_as), job, trigger, now=NOW)
    assert arguments == expected, line
    assert ("nothing to score" in line) == (expected is None)


def test_resolve_python_script_launches_autoscore_on_its_own(gated_recorder, monkeypatch, capsys, tmp_path):
    """It returns while autoscore runs, and what autoscore prints goes to the log in the temporary folder."""
    command, log, gate = gated_recorder
    monkeypatch.setenv("AUTOSCORE_COMMAND", command.replace(" ", "\\ "))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    script = load_script("resolve_autoscore.py")
    assert script.main(FakeResolve(FakeProject()), "a1", "RenderFailed", "disk full") is None
    assert "ended Failed: nothing to score (disk full)" in capsys.readouterr().out
    process = script.main(FakeResolve(FakeProject()), "b2", "RenderCompleted", "")
    assert process.poll() is None  # returned while autoscore still runs
    gate.touch()
    process.wait(10)
    assert wait_for(log).strip() == "hook /renders/day 2/it's final.mp4"
    assert "fake autoscore: hook" in (tmp_path / "autoscore-hook.log").read_text()


LUA_RESOLVE = """
local jobs = {
  {JobId = "a1", TargetDir = "/renders", OutputFilename = "other.mov", RenderMode = "Single clip"},
  {JobId = "b2", TargetDir = "/renders/day 2", OutputFilename = "it's final.mp4", RenderMode = "Single clip"},
  {JobId = "c3", TargetDir = "/renders/clips", OutputFilename = "A001.mov and more", RenderMode = "Individual clips"},
  {JobId = "d4", TargetDir = "/renders/clips", OutputFilename = "B001.mov and more", RenderMode = "Individual clips"},
}
local statuses = {
  a1 = {JobStatus = "Failed", CompletionPercentage = 40},
  b2 = {JobStatus = "Complete", CompletionPercentage = 100, TimeTakenToRenderInMs = 5000},
  c3 = {JobStatus = "Complete", CompletionPercentage = 100, TimeTakenToRenderInMs = 90000},
  d4 = {JobStatus = "Complete", CompletionPercentage = 100},
}
local read_as = arg[3] ~= "" and arg[3] or nil
local project = {}
function project:GetRenderJobList() return jobs end
function project:GetRenderJobStatus(id)
  local s = {}
  for k, v in pairs(statuses[id] or {}) do s[k] = v end
  if read_as then s.JobStatus = read_as end
  return s
end
local manager = {}
function manager:GetCurrentProject() return project end
resolve = {}
function resolve:GetProjectManager() return manager end
os.time = function() return 2000000 end
job, status = arg[1], arg[2]
dofile(arg[4])
"""


@pytest.mark.parametrize("job, trigger, read_as, expected", CASES)
def test_resolve_lua_script_scores_what_the_job_finished(recorder, tmp_path, job, trigger, read_as, expected):
    command, log = recorder
    fake = tmp_path / "fake_resolve.lua"
    fake.write_text(LUA_RESOLVE)
    result = subprocess.run([lua(), str(fake), job, trigger, read_as or "", str(HOOKS / "resolve_autoscore.lua")],
                            env={"AUTOSCORE_COMMAND": command, "PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert ("nothing to score" in result.stdout) == (expected is None), result.stdout
    if expected is None:
        time.sleep(0.3)
        assert not log.exists()
    else:
        assert wait_for(log).strip() == " ".join(["hook", *expected])
        assert "fake autoscore: hook" in wait_for(tmp_path / "autoscore-hook.log")


class FakeObs:
    """obspython / obslua as far as the scripts use it, with OBS's event numbers."""

    OBS_FRONTEND_EVENT_RECORDING_STARTED = 7
    OBS_FRONTEND_EVENT_RECORDING_STOPPED = 8
    OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED = 14
    OBS_FRONTEND_EVENT_RECORDING_FILE_CHANGED = 37
    OBS_PATH_FILE = 0

    def __init__(self, remux=False):
        self.callbacks, self.recording, self.replay, self.remux, self.command = [], None, None, remux, ""

    def obs_frontend_add_event_callback(self, callback):
        self.callbacks.append(callback)

    def obs_frontend_remove_event_callback(self, callback):
        self.callbacks.remove(callback)

    def obs_frontend_get_last_recording(self):
        return self.recording

    def obs_frontend_get_last_replay(self):
        return self.replay

    def obs_frontend_get_profile_config(self):
        return "profile"

    def config_get_bool(self, config, section, name):
        return config == "profile" and (section, name) == ("Video", "AutoRemux") and self.remux

    def obs_data_get_string(self, settings, name):
        return self.command if name == "command" else ""

    def obs_properties_create(self):
        return []

    def obs_properties_add_path(self, props, name, *rest):
        props.append(name)

    def fire(self, event):
        for callback in list(self.callbacks):
            process = callback(event)
            if process is not None:
                process.wait(10)


def test_obs_python_script_scores_recordings_segments_and_replays(recorder, monkeypatch, tmp_path):
    command, log = recorder
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fake = FakeObs()
    fake.command = command  # the script's property
    script = load_script("obs_autoscore.py", {"obspython": fake})
    script.script_load(None)
    assert "command" in script.script_properties() and "autoscore" in script.script_description()
    fake.recording = "/videos/rec 1.mkv"
    fake.fire(fake.OBS_FRONTEND_EVENT_RECORDING_STARTED)
    fake.recording = "/videos/rec 2.mkv"  # file splitting: the first segment is complete
    fake.fire(fake.OBS_FRONTEND_EVENT_RECORDING_FILE_CHANGED)
    fake.fire(fake.OBS_FRONTEND_EVENT_RECORDING_STOPPED)
    fake.replay = "/videos/Replay 21-04.mkv"
    fake.fire(fake.OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED)
    fake.remux = True
    fake.recording = "/videos/rec 3.mkv"
    fake.fire(fake.OBS_FRONTEND_EVENT_RECORDING_STARTED)
    fake.fire(fake.OBS_FRONTEND_EVENT_RECORDING_STOPPED)
    assert log.read_text().splitlines() == ["hook /videos/rec 1.mkv", "hook /videos/rec 2.mkv",
                                            "hook /videos/Replay 21-04.mkv",
                                            "hook /videos/rec 3.mkv --remuxed-as mp4"]
    script.script_unload()  # "Reload scripts" unloads, then loads again: one callback, not two
    assert fake.callbacks == []
    script.script_load(None)
    fake.recording = "/videos/rec 4.mkv"
    fake.remux = False
    fake.fire(fake.OBS_FRONTEND_EVENT_RECORDING_STOPPED)
    assert log.read_text().splitlines()[-1] == "hook /videos/rec 4.mkv" and len(log.read_text().splitlines()) == 5


LUA_OBS = """
local remux, recording, replay, callbacks = false, nil, nil, {}
obslua = {
  OBS_FRONTEND_EVENT_RECORDING_STARTED = 7, OBS_FRONTEND_EVENT_RECORDING_STOPPED = 8,
  OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED = 14, OBS_FRONTEND_EVENT_RECORDING_FILE_CHANGED = 37, OBS_PATH_FILE = 0,
  obs_frontend_add_event_callback = function(f) callbacks[#callbacks + 1] = f end,
  obs_frontend_remove_event_callback = function(f)
    for i, g in ipairs(callbacks) do if g == f then table.remove(callbacks, i) return end end
  end,
  obs_frontend_get_last_recording = function() return recording end,
  obs_frontend_get_last_replay = function() return replay end,
  obs_frontend_get_profile_config = function() return "profile" end,
  config_get_bool = function(c, section, name) return section == "Video" and name == "AutoRemux" and remux end,
  obs_data_get_string = function(settings, name) return settings[name] or "" end,
  obs_properties_create = function() return {} end,
  obs_properties_add_path = function(props, name) props[#props + 1] = name end,
}
local function fire(event) for _, f in ipairs(callbacks) do f(event) end end
local function settle() os.execute("sleep 0.3") end
dofile(arg[1])
local settings = {command = arg[2]}
script_load(settings)
assert(script_properties()[1] == "command")
recording = "/videos/rec 1.mkv"; fire(7)
recording = "/videos/rec 2.mkv"; fire(37); settle()
fire(8); settle()
replay = "/videos/Replay 21-04.mkv"; fire(14); settle()
remux = true; recording = "/videos/rec 3.mkv"; fire(7); fire(8); settle()
script_unload()
assert(#callbacks == 0)
script_load(settings)
remux = false; recording = "/videos/rec 4.mkv"; fire(8); settle()
print("callbacks " .. #callbacks)
"""


def test_obs_lua_script_scores_recordings_segments_and_replays(recorder, tmp_path):
    command, log = recorder
    harness = tmp_path / "fake_obs.lua"
    harness.write_text(LUA_OBS)
    result = subprocess.run([lua(), str(harness), str(HOOKS / "obs_autoscore.lua"), command],
                            env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "callbacks 1" in result.stdout
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(log.read_text().splitlines() if log.exists() else []) < 5:
        time.sleep(0.05)
    assert log.read_text().splitlines() == ["hook /videos/rec 1.mkv", "hook /videos/rec 2.mkv",
                                            "hook /videos/Replay 21-04.mkv",
                                            "hook /videos/rec 3.mkv --remuxed-as mp4", "hook /videos/rec 4.mkv"]


def test_compressor_step_hands_every_file_over_and_returns_at_once(gated_recorder, tmp_path):
    """Installed, the step names the full command (Automator's shell reads no profile: a bare PATH and no
    AUTOSCORE_COMMAND), hands all files to one autoscore and returns while that one still runs."""
    command, log, gate = gated_recorder
    installed = install("compressor", tmp_path / "hooks", command=[command])
    result = subprocess.run(["/bin/sh", str(installed), "/out/a.mov", "/out/b c.mp4"],
                            env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)}, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0 and "in the background" in result.stdout, result.stderr
    assert not log.exists()  # autoscore is still waiting: the step did not wait for it
    gate.touch()
    assert wait_for(log).splitlines() == ["hook /out/a.mov /out/b c.mp4"]
    empty = subprocess.run(["/bin/sh", str(installed)], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert empty.returncode == 1 and "as arguments" in empty.stderr


def test_hook_waits_for_the_file_to_be_complete(tmp_path, silent_clip):
    """The export is still being written when the hook starts: it must wait, then score the whole file."""
    target = tmp_path / "export.mp4"
    writer = slow_copy(silent_clip.path, target, pieces=6, pause_s=0.4)
    result = run_cli("hook", str(target), "--hold", "0.5", "--readings", "3", "--json")
    writer.join()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["duration"] == pytest.approx(silent_clip.spec.duration, abs=1 / 30)
    assert Path(report["outputs"]["video"]).is_file()
    plain = run_cli("hook", str(target), "--hold", "0.1", "-o", str(tmp_path / "again.mp4"))
    assert plain.returncode == 0 and plain.stdout.strip() == str(tmp_path / "again.mp4")


def test_hook_gives_up_on_a_missing_file(tmp_path):
    result = run_cli("hook", str(tmp_path / "never.mp4"), "--timeout", "0.5", "--hold", "0.1")
    assert result.returncode == 1 and "no such file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("application, script", [("resolve", "resolve_autoscore.py"),
                                                 ("resolve-lua", "resolve_autoscore.lua"),
                                                 ("obs", "obs_autoscore.lua"), ("obs-python", "obs_autoscore.py"),
                                                 ("compressor", "compressor_autoscore.sh")])
def test_hooks_install_writes_this_autoscore_into_the_script(tmp_path, application, script):
    result = run_cli("hooks", "install", application, "--folder", str(tmp_path / "scripts"))
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "scripts" / script
    assert result.stdout.strip() == str(installed) and "next:" in result.stderr
    shipped, written = (HOOKS / script).read_text(), installed.read_text()
    assert written != shipped and written.splitlines()[1:] != shipped.splitlines()[1:]
    assert autoscore_command()[0] in written and len(written.splitlines()) == len(shipped.splitlines())
    if application in ("resolve", "obs"):  # the applications' own folders, under HOME
        home = run_cli("hooks", "install", application, env={"HOME": str(tmp_path / "home")})
        assert home.returncode == 0 and str(tmp_path / "home") in home.stdout
    if application == "resolve":
        assert run_cli("hooks", "install", "premiere").returncode == 1


def test_an_installed_script_runs_the_command_written_into_it(recorder, tmp_path, monkeypatch):
    """A path with spaces and quotes survives being written into each language's script."""
    command, log = recorder
    odd = tmp_path / "it's a \"path\" ]=] here" / "autoscore"
    odd.parent.mkdir()
    shutil.copy(command, odd)
    monkeypatch.delenv("AUTOSCORE_COMMAND", raising=False)
    python_script = install("resolve", tmp_path / "py", command=[str(odd)])
    spec = importlib.util.spec_from_file_location("installed_resolve", python_script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.command() == [str(odd)]
    lua_script = install("resolve-lua", tmp_path / "lua", command=[str(odd)])
    fake = tmp_path / "fake_resolve.lua"
    fake.write_text(LUA_RESOLVE)
    done = subprocess.run([lua(), str(fake), "b2", "RenderCompleted", "", str(lua_script)],
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert wait_for(log).strip() == "hook /renders/day 2/it's final.mp4"


def test_a_render_of_individual_clips_is_scored_clip_by_clip(tmp_path, silent_clip):
    """`hook --new-in DIR --since T`: the videos the render wrote (not older ones, not autoscore's outputs,
    not other files); one that fails does not stop the others, and the exit code says one failed."""
    folder = tmp_path / "renders"
    folder.mkdir()
    started = time.time()
    for name, age in (("yesterday.mp4", 86400), ("A000.scored.mp4", 0), ("A001.mp4", 0), ("notes.txt", 0)):
        shutil.copyfile(silent_clip.path, folder / name)
        os.utime(folder / name, (started - age, started - age))
    (folder / "A002.mp4").write_bytes(os.urandom(40_000))  # a clip the render left broken
    os.utime(folder / "A002.mp4", (started + 1, started + 1))
    result = run_cli("hook", "--new-in", str(folder), "--since", f"{started:.3f}", "--hold", "0.1", "--readings", "2",
                     "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "A002.mp4" in result.stderr and result.stderr.count("error:") == 1
    reports = json.loads(result.stdout)
    assert [Path(report["source"]).name for report in reports] == ["A001.mp4"]
    assert (folder / "A001.scored.mp4").is_file() and not (folder / "yesterday.scored.mp4").exists()
    assert run_cli("hook", "--new-in", str(folder)).returncode == 1  # --since goes with it


def test_written_since_picks_the_videos_of_one_render(tmp_path):
    now = time.time()
    for name, age in (("old.mov", 600), ("new b.mov", 0), ("new a.mkv", 1), ("new.scored.mov", 0),
                      (".hidden.mov", 0), ("new.mov.part", 0), ("list.txt", 0)):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (now - age, now - age))
    assert [p.name for p in written_since(tmp_path, now - 5)] == ["new a.mkv", "new b.mov"]
    assert export_files([tmp_path / "new b.mov"], tmp_path, now - 5) == [tmp_path / "new b.mov", tmp_path / "new a.mkv"]
    with pytest.raises(InputError, match="go together"):
        export_files([], tmp_path, None)
    with pytest.raises(InputError, match="nothing in"):
        export_files([], tmp_path, now + 60)


def test_a_remuxed_copy_is_scored_in_place_of_the_recording(tmp_path):
    recording = tmp_path / "rec 1.mkv"
    recording.write_bytes(b"mkv")
    assert remuxed(recording, "mp4", wait_s=0.0) == recording  # remuxing off: nothing appears
    copy = tmp_path / "rec 1.mp4"
    threading.Timer(0.3, copy.write_bytes, args=(b"mp4",)).start()
    assert remuxed(recording, "mp4", wait_s=10.0, poll_s=0.05) == copy
    assert remuxed(copy, "mp4", wait_s=10.0) == copy  # already in that container
