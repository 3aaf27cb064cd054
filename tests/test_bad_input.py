"""Bad input: one clear line on stderr, exit 1 (2 for usage), no traceback, nothing written, source untouched."""
from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli, sha256


def assert_clean_failure(result, code: int, *needles: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    if code == 1:
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("autoscore: error: ")
    for needle in needles:
        assert needle in result.stderr, result.stderr


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("command", ["score", "analyze", "plan"])
def test_missing_file(tmp_path, command):
    """A file the command line names that is not there is a usage error, exit 2 as for a bad option value
    (it was 1 while a bad --mood was 2)."""
    result = run_cli(command, str(tmp_path / "nope.mp4"))
    assert_clean_failure(result, 2, "nope.mp4", "no such file")
    assert listing(tmp_path) == []


def test_usage_errors_share_one_exit_code(tmp_path, silent_clip):
    missing = run_cli("score", str(tmp_path / "nope.mp4"))
    bad_value = run_cli("score", str(silent_clip.path), "--mood", "sleepy", "-o", str(tmp_path / "out.mp4"))
    unknown_option = run_cli("score", str(silent_clip.path), "--moood", "calm")
    missing_soundfont = run_cli("score", str(silent_clip.path), "--soundfont", str(tmp_path / "gm.sf2"))
    assert [r.returncode for r in (missing, bad_value, unknown_option, missing_soundfont)] == [2, 2, 2, 2]
    assert listing(tmp_path) == []


@pytest.mark.parametrize("name, content, reason", [
    ("empty.mp4", b"", "empty"),
    # fixed bytes: some random draws probe as an audio stream ("has no video stream"), which made this flaky
    ("random.mp4", random.Random(15).randbytes(200_000), "not a readable video"),
    ("notes.mp4", b"just some text, not a video\n" * 100, "not a readable video"),
])
def test_not_a_video(tmp_path, name, content, reason):
    source = tmp_path / name
    source.write_bytes(content)
    digest = sha256(source)
    result = run_cli("score", str(source))
    assert_clean_failure(result, 1, name, reason)
    assert listing(tmp_path) == [name]
    assert sha256(source) == digest


def test_audio_only_file_is_refused(tmp_path):
    from samples.make_samples import ffmpeg

    audio = tmp_path / "song.m4a"
    ffmpeg("-f", "lavfi", "-t", "2", "-i", "sine=frequency=440", "-c:a", "aac", str(audio))
    assert_clean_failure(run_cli("score", str(audio)), 1, "no video stream")
    assert listing(tmp_path) == ["song.m4a"]


def test_directory_instead_of_file(tmp_path):
    assert_clean_failure(run_cli("score", str(tmp_path)), 1, "directory")


def test_unreadable_subtitle_file(tmp_path, calm_clip):
    source = tmp_path / "clip.mp4"
    shutil.copyfile(calm_clip.path, source)
    (tmp_path / "clip.srt").write_bytes(os.urandom(5000))
    before = listing(tmp_path)
    result = run_cli("score", str(source))
    assert_clean_failure(result, 1, "clip.srt")
    assert listing(tmp_path) == before
    result = run_cli("score", str(source), "--subtitles", str(tmp_path / "missing.srt"))
    assert_clean_failure(result, 2, "missing.srt")
    assert listing(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; see the /proc case below")
def test_output_folder_without_write_permission(tmp_path, calm_clip):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_clean_failure(run_cli("score", str(calm_clip.path), "-o", str(locked / "out.mp4")), 1, "cannot write")
        assert listing(locked) == []
    finally:
        locked.chmod(0o700)


def test_output_on_a_filesystem_that_refuses_files(calm_clip):
    result = run_cli("score", str(calm_clip.path), "-o", "/proc/autoscore-test/out.mp4")
    assert_clean_failure(result, 1, "cannot write", "out.mp4")


def test_output_into_missing_parent_of_a_file(tmp_path, calm_clip):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("score", str(calm_clip.path), "-o", str(blocker / "out.mp4"))
    assert_clean_failure(result, 1, "cannot write")


def test_output_may_not_overwrite_the_source(tmp_path, calm_clip):
    source = tmp_path / "clip.mp4"
    shutil.copyfile(calm_clip.path, source)
    digest = sha256(source)
    assert_clean_failure(run_cli("score", str(source), "-o", str(source)), 1, "overwrite the source")
    assert sha256(source) == digest and listing(tmp_path) == ["clip.mp4"]


def test_unsupported_output_type(tmp_path, calm_clip):
    assert_clean_failure(run_cli("score", str(calm_clip.path), "-o", str(tmp_path / "out.gif")), 1, ".gif")


def test_failure_midway_leaves_nothing(tmp_path, calm_clip):
    """A plan that fails at render time (after analysis, with every output staged) leaves no file behind."""
    source = tmp_path / "clip.mp4"
    shutil.copyfile(calm_clip.path, source)
    shutil.copyfile(calm_clip.path.with_suffix(".srt"), tmp_path / "clip.srt")
    plan = tmp_path / "plan.json"
    assert run_cli("plan", str(source), "-o", str(plan)).returncode == 0
    plan.write_text(plan.read_text().replace('"piano"', '"kazoo"'))
    before = listing(tmp_path)
    assert_clean_failure(run_cli("score", str(source), "--plan", str(plan)), 1, "kazoo")
    assert listing(tmp_path) == before
    elsewhere = tmp_path / "new" / "folder" / "out.mp4"  # folders made for the outputs go again too
    assert_clean_failure(run_cli("score", str(source), "--plan", str(plan), "-o", str(elsewhere)), 1, "kazoo")
    assert listing(tmp_path) == before


def test_output_folders_that_did_not_exist_are_made_and_said(tmp_path, silent_clip):
    """`-o` into folders that are not there makes them, and says so on stderr (a typo shows at once)."""
    target = tmp_path / "renders" / "today" / "out.mp4"
    result = run_cli("score", str(silent_clip.path), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.is_file()
    said = "".join(result.stderr.split())  # the log wraps long paths
    assert "".join(f"created {target.parent} for the outputs ({tmp_path / 'renders'} and the folders in it".split()) \
        in said


@pytest.mark.parametrize("args", [["score"], ["score", "a.mp4", "--bogus"], ["score", "a.mp4", "--bpm", "fast"],
                                  ["frobnicate"]])
def test_usage_errors_exit_2(args):
    result = run_cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, needle", [(["--mood", "angry"], "mood"), (["--bpm", "500"], "BPM"),
                                          (["--genre", "polka"], "genre"), (["--preset", "cinema"], "preset")])
def test_bad_option_values_exit_2(calm_clip, args, needle):
    result = run_cli("score", str(calm_clip.path), *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert needle in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["source", "--subtitles", "--plan", "/dev/zero"])
def test_a_fifo_or_device_is_refused_before_it_is_opened(tmp_path, calm_clip, where):
    """Opening a FIFO blocks until something writes into it, and /dev/zero never ends: neither may hang the
    run or fill memory; one line, nothing written."""
    fifo = tmp_path / ("clip.mp4" if where == "source" else "input.srt" if where == "--subtitles" else "plan.json")
    os.mkfifo(fifo)
    source = tmp_path / "calm.mp4"
    shutil.copyfile(calm_clip.path, source)
    args = {"source": [str(fifo)], "--subtitles": [str(source), "--subtitles", str(fifo)],
            "--plan": [str(source), "--plan", str(fifo)], "/dev/zero": [str(source), "--subtitles", "/dev/zero"]}
    result = run_cli("score", *args[where], timeout=60)
    assert_clean_failure(result, 1, "not a regular file")
    assert listing(tmp_path) == sorted([fifo.name, "calm.mp4"])


def test_a_dollar_in_the_file_name_is_a_dollar(tmp_path, calm_clip):
    """File names are data: "$1_$2" is not TeX for the timeline's title."""
    source = tmp_path / "clip_$1_$2.mp4"
    shutil.copyfile(calm_clip.path, source)
    result = run_cli("score", str(source))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "clip_$1_$2.scored.mp4").is_file() and (tmp_path / "clip_$1_$2.timeline.png").is_file()


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_a_seed_out_of_range_is_a_usage_error(tmp_path, calm_clip, seed):
    result = run_cli("plan", str(calm_clip.path), "--seed", seed, "-o", str(tmp_path / "plan.json"))
    assert_clean_failure(result, 2, "seed", "0..4294967295")
    assert listing(tmp_path) == []


def processes_reading(folder: Path) -> list[str]:
    """Command lines of the running processes that name `folder` (an ffmpeg left behind would)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in line:
                found.append(line)
    return found


@pytest.mark.parametrize("signal_name, when", [("SIGTERM", "analysing"), ("SIGHUP", "analysing"),
                                                ("SIGTERM", "mixing"), ("SIGHUP", "mixing")])
def test_a_service_managers_signal_stops_the_run_as_ctrl_c_does(tmp_path, energetic_clip, signal_name, when):
    """SIGTERM and SIGHUP (systemd, docker stop, a closed terminal) mid-run: exit 128 + the signal with one
    line, no partial output beside the source, no ffmpeg left running."""
    import signal
    import subprocess
    import time

    from tests.conftest import autoscore_command

    number = getattr(signal, signal_name)
    source = tmp_path / "clip.mp4"
    shutil.copyfile(energetic_clip.path, source)
    # started as a service manager starts it: every signal at its default (a runner under nohup ignores SIGHUP,
    # and autoscore leaves a signal ignored by whoever started it ignored)
    process = subprocess.Popen([*autoscore_command(), "score", str(source)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    if when == "analysing":
        time.sleep(1.5)
    else:  # the staged music stem has samples in it (its empty name is staged from the start)
        while process.poll() is None and not any(p.stat().st_size for p in tmp_path.glob(".clip.music.partial*.wav")):
            time.sleep(0.02)
    assert process.poll() is None, "the run ended before the signal"
    process.send_signal(number)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 128 + number, (process.returncode, err)
    assert f"stopped by {signal_name}" in err and "Traceback" not in err
    assert listing(tmp_path) == ["clip.mp4"]
    assert processes_reading(tmp_path) == []


def test_a_signal_during_start_up_stops_the_run_as_any_other_stop(tmp_path, energetic_clip):
    """The handlers are in place before the command line's heavy imports (numpy and up: half a second, more on a
    loaded machine), so a service manager's SIGTERM at start-up exits 143 with its line, not a bare -15. Seen
    from outside: /proc shows SIGTERM caught while numpy is not yet mapped into the process."""
    import signal
    import subprocess

    from tests.conftest import autoscore_command

    source = tmp_path / "clip.mp4"
    shutil.copyfile(energetic_clip.path, source)
    process = subprocess.Popen([*autoscore_command(), "score", str(source)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    caught_early = False
    try:
        while process.poll() is None and not caught_early:
            try:
                caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", Path(f"/proc/{process.pid}/status").read_text())
                             .group(1), 16)
                maps = Path(f"/proc/{process.pid}/maps").read_text()
            except (OSError, AttributeError):
                break
            caught_early = bool(caught >> (signal.SIGTERM - 1) & 1) and "numpy" not in maps
        process.send_signal(signal.SIGTERM)
    finally:
        out, err = process.communicate(timeout=120)
    assert caught_early, "SIGTERM was not handled before numpy loaded"
    assert process.returncode == 143, (process.returncode, err)
    assert err.strip() == "autoscore: error: stopped by SIGTERM"
    assert listing(tmp_path) == ["clip.mp4"]


def _edited(plan: dict, edit: str) -> dict:
    brief = plan["brief"]
    if edit == "nan tempo time":
        brief["tempo_map"][0]["time"] = float("nan")
    elif edit == "tempo time -1e9":
        brief["tempo_map"][0]["time"] = -1e9
    elif edit == "beats_per_bar 1e9":
        brief["beats_per_bar"] = 10**9
    elif edit == "100k sections":
        section = brief["sections"][0]
        step = plan["duration"] / 100_000
        brief["sections"] = [{**section, "start": i * step, "end": (i + 1) * step} for i in range(100_000)]
    return plan


@pytest.fixture(scope="module")
def calm_plan(calm_clip, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    made = run_cli("plan", str(calm_clip.path), "-o", str(out))
    assert made.returncode == 0, made.stderr
    return out.read_text()


@pytest.mark.parametrize("edit, field", [("nan tempo time", "brief.tempo_map.0.time"),
                                         ("tempo time -1e9", "brief.tempo_map.0.time"),
                                         ("beats_per_bar 1e9", "brief.beats_per_bar"),
                                         ("100k sections", "brief.sections")])
def test_a_plan_with_unbounded_values_is_refused_naming_the_field(tmp_path, calm_clip, calm_plan, edit, field):
    """Such plans allocated gigabytes until MemoryError, or hung; now one line naming the field, at once."""
    import json

    plan = _edited(json.loads(calm_plan), edit)
    (tmp_path / "plan.json").write_text(json.dumps(plan))  # NaN is written as JSON's parsers take it
    source = tmp_path / "calm.mp4"
    shutil.copyfile(calm_clip.path, source)
    for command in (["score", str(source), "--plan"], ["evaluate", str(source), "--plan"]):
        result = run_cli(*command, str(tmp_path / "plan.json"), timeout=120)
        assert_clean_failure(result, 1, field)
    assert listing(tmp_path) == ["calm.mp4", "plan.json"]
