"""Editor hooks: `autoscore hook`, and each script run outside its editor with the editor's objects faked."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from autoscore_video.scoring.hooks.install import HOOKS
from tests.conftest import run_cli, slow_copy


@pytest.fixture()
def recorder(tmp_path) -> tuple[str, Path]:
    """A stand-in for the autoscore executable that records the arguments it was started with."""
    log = tmp_path / "calls.log"
    script = tmp_path / "fake-autoscore"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
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


class FakeProject:
    def GetRenderJobList(self):  # noqa: N802 - Resolve's API spelling
        return [{"JobId": "a1", "TargetDir": "/renders", "OutputFilename": "other.mov"},
                {"JobId": "b2", "TargetDir": "/renders/day 2", "OutputFilename": "it's final.mp4"}]


class FakeResolve:
    def GetProjectManager(self):  # noqa: N802
        return types.SimpleNamespace(GetCurrentProject=lambda: FakeProject())


def test_resolve_python_script_scores_the_finished_job(recorder, monkeypatch):
    command, log = recorder
    monkeypatch.setenv("AUTOSCORE_COMMAND", command)
    script = load_script("resolve_autoscore.py")
    assert script.main(FakeResolve(), "b2", "Failed", "disk full") is None
    assert script.main(FakeResolve(), "zz", "Complete", "") is None
    script.main(FakeResolve(), "b2", "Complete", "").wait(10)
    assert wait_for(log).strip() == "hook /renders/day 2/it's final.mp4"


def test_resolve_lua_script_scores_the_finished_job(recorder, tmp_path):
    lua = shutil.which("lua5.4") or shutil.which("lua")
    if lua is None:
        pytest.skip("no Lua interpreter (apt-get install lua5.4)")
    command, log = recorder
    fake = tmp_path / "fake_resolve.lua"
    fake.write_text("""
local project = {}
function project:GetRenderJobList()
  return { {JobId = "a1", TargetDir = "/renders", OutputFilename = "other.mov"},
           {JobId = "b2", TargetDir = "/renders/day 2", OutputFilename = "it's final.mp4"} }
end
local manager = {}
function manager:GetCurrentProject() return project end
resolve = {}
function resolve:GetProjectManager() return manager end
job, status, error = arg[1], arg[2], ""
dofile(arg[3])
""")
    env = {"AUTOSCORE_COMMAND": command, "PATH": "/usr/bin:/bin"}
    failed = subprocess.run([lua, str(fake), "b2", "Failed", str(HOOKS / "resolve_autoscore.lua")], env=env,
                            capture_output=True, text=True)
    assert failed.returncode == 0 and "nothing to score" in failed.stdout and not log.exists()
    done = subprocess.run([lua, str(fake), "b2", "Complete", str(HOOKS / "resolve_autoscore.lua")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert wait_for(log).strip() == "hook /renders/day 2/it's final.mp4"


def test_obs_script_scores_the_recording_when_it_stops(recorder, monkeypatch):
    command, log = recorder
    monkeypatch.setenv("AUTOSCORE_COMMAND", command)
    callbacks = []
    fake_obs = types.SimpleNamespace(OBS_FRONTEND_EVENT_RECORDING_STOPPED=8, OBS_FRONTEND_EVENT_RECORDING_STARTED=7,
                                     obs_frontend_add_event_callback=callbacks.append,
                                     obs_frontend_get_last_recording=lambda: "/videos/2026-11-22 21-04-05.mkv")
    script = load_script("obs_autoscore.py", {"obspython": fake_obs})
    script.script_load(None)
    assert len(callbacks) == 1 and "autoscore" in script.script_description()
    assert callbacks[0](7) is None
    callbacks[0](8).wait(10)
    assert wait_for(log).strip() == "hook /videos/2026-11-22 21-04-05.mkv"


def test_compressor_step_scores_every_argument(recorder, tmp_path):
    command, log = recorder
    result = subprocess.run(["sh", str(HOOKS / "compressor_autoscore.sh"), "/out/a.mov", "/out/b c.mp4"],
                            env={"AUTOSCORE_COMMAND": command, "PATH": "/usr/bin:/bin"}, capture_output=True)
    assert result.returncode == 0
    assert log.read_text().splitlines() == ["hook /out/a.mov", "hook /out/b c.mp4"]


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
                                                 ("obs", "obs_autoscore.py")])
def test_hooks_install(tmp_path, application, script):
    result = run_cli("hooks", "install", application, "--folder", str(tmp_path / "scripts"))
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "scripts" / script
    assert installed.read_bytes() == (HOOKS / script).read_bytes()
    assert result.stdout.strip() == str(installed) and "next:" in result.stderr
    home = run_cli("hooks", "install", application, env={"HOME": str(tmp_path / "home")})
    assert home.returncode == 0 and str(tmp_path / "home") in home.stdout
    assert run_cli("hooks", "install", "premiere").returncode == 1
