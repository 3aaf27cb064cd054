"""The watch folder: exactly once, restart-safe after kill -9, several watchers, failures quarantined."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from autoscore_video.scoring.watch.ledger import Ledger, identify
from tests.conftest import autoscore_command, run_cli, sha256, slow_copy
from tests.measure import container_duration, video_stream_md5

FAST = ["--hold", "0.2", "--readings", "2"]


def watch_once(inbox: Path, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    result = run_cli("watch", str(inbox), "--out", str(out), "--once", "--json", *FAST, *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout)


def jobs(out: Path) -> list[dict]:
    db = sqlite3.connect(out / ".autoscore" / "ledger.sqlite")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM jobs")]
    db.close()
    return rows


@pytest.fixture()
def inbox(tmp_path, silent_clip, calm_clip) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(silent_clip.path, folder / "one.mp4")
    shutil.copyfile(calm_clip.path, folder / "two.mp4")
    shutil.copyfile(calm_clip.path.with_suffix(".srt"), folder / "two.srt")
    return folder


def test_once_scores_ready_videos_and_ignores_partial_copies(inbox, tmp_path):
    (inbox / "three.mp4.part").write_bytes(b"partial")
    (inbox / "four.crdownload").write_bytes(b"partial")
    (inbox / "~$five.mp4").write_bytes(b"lock")
    (inbox / ".hidden.mp4").write_bytes(b"hidden")
    (inbox / "notes.txt").write_text("not a video")
    before = {p.name: sha256(p) for p in inbox.iterdir()}
    out = tmp_path / "out"
    result, summary = watch_once(inbox, out)
    assert result.returncode == 0, result.stderr
    assert sorted(Path(p).name for p in summary["done"]) == ["one.mp4", "two.mp4"]
    for name in ("one", "two"):
        video = out / f"{name}.scored.mp4"
        assert video.is_file() and (out / f"{name}.report.json").is_file()
        assert container_duration(video) == pytest.approx(container_duration(inbox / f"{name}.mp4"), abs=1 / 30)
        assert video_stream_md5(video) == video_stream_md5(inbox / f"{name}.mp4")
        report = json.loads((out / f"{name}.report.json").read_text())
        assert report["outputs"]["video"] == str(video.resolve())  # points at OUT, not the staging folder
    assert {p.name: sha256(p) for p in inbox.iterdir()} == before  # sources untouched
    assert list((out / ".staging").iterdir()) == []
    assert not any("three" in p.name or "five" in p.name for p in out.iterdir())


def test_done_is_never_redone_and_new_content_is_a_new_job(inbox, tmp_path, energetic_clip):
    out = tmp_path / "out"
    watch_once(inbox, out)
    first_mtime = (out / "one.scored.mp4").stat().st_mtime_ns
    _, again = watch_once(inbox, out)
    assert again["done"] == [] and len(again["skipped"]) == 2
    assert (out / "one.scored.mp4").stat().st_mtime_ns == first_mtime

    shutil.copyfile(energetic_clip.path, inbox / "one.mp4")  # same name, new content
    _, changed = watch_once(inbox, out)
    assert [Path(p).name for p in changed["done"]] == ["one.mp4"]
    assert container_duration(out / "one.scored.mp4") == pytest.approx(energetic_clip.spec.duration, abs=1 / 30)
    assert sorted(j["completions"] for j in jobs(out)) == [1, 1, 1]


@pytest.mark.parametrize("preset, copy", [([], False), (["--copy-failed"], True), (["--from-encoder"], True)])
def test_failing_file_is_retried_then_quarantined(inbox, tmp_path, preset, copy):
    """A failing source is moved to FAILED, or copied (--copy-failed, and the --from-encoder preset, which
    leaves an encoder's output folder as the encoder wrote it)."""
    broken = inbox / "broken.mp4"
    broken.write_bytes(b"this is not a video, whatever its name says\n" * 1200)  # random bytes can parse as one
    out, failed = tmp_path / "out", tmp_path / "failed"
    flags = ["--failed", str(failed), "--attempts", "2", "--quiet", "4", *preset]
    result, summary = watch_once(inbox, out, *flags)
    # just written, it may still be being written: its failures do not count, and it stays where it is
    assert result.returncode == 3 and [Path(p).name for p in summary["retrying"]] == ["broken.mp4"]
    assert len(summary["done"]) == 2 and broken.is_file() and not failed.exists()
    assert next(j for j in jobs(out) if j["path"].endswith("broken.mp4"))["failures"] == 0
    an_hour_ago = time.time() - 3600
    os.utime(broken, (an_hour_ago, an_hour_ago))  # left alone since: now its failures are its own
    result, summary = watch_once(inbox, out, *flags)
    assert result.returncode == 3 and summary["retrying"]  # one try a pass: the next waits out --quiet
    _, early = watch_once(inbox, out, *flags)
    assert early["retrying"] and not early["failed"]  # too soon: not tried
    aged = max((j for j in jobs(out) if j["path"].endswith("broken.mp4")), key=lambda j: j["updated_at"])
    assert (aged["attempts"], aged["failures"]) == (1, 1)
    time.sleep(4.2)
    result, summary = watch_once(inbox, out, *flags)
    assert result.returncode == 1  # nothing else left to do, and that failed
    assert [Path(p).name for p in summary["failed"]] == ["broken.mp4"]
    assert (failed / "broken.mp4").is_file() and (inbox / "broken.mp4").exists() == copy
    error = (failed / "broken.mp4.error.txt").read_text()
    assert "not a readable video" in error and "attempts: 2" in error
    broken = max((j for j in jobs(out) if j["path"].endswith("broken.mp4")), key=lambda j: j["updated_at"])
    assert broken["state"] == "failed" and broken["failures"] == 2  # the aged file is a job of its own
    assert not list(out.glob("broken*"))
    _, again = watch_once(inbox, out, "--failed", str(failed), "--copy-failed")
    assert again["failed"] == [] and len(list(failed.glob("broken*.mp4"))) == 1  # not quarantined twice


def test_job_of_a_dead_watcher_is_taken_again(inbox, tmp_path):
    out = tmp_path / "out"
    ledger = Ledger(out / ".autoscore" / "ledger.sqlite")
    identity = identify(inbox / "one.mp4")
    ledger.observe(identity)
    assert ledger.claim(identity.key, "elsewhere-no:1:?") is not None  # a watcher on another host holds it
    dead = subprocess.Popen(["true"])
    dead.wait()
    with sqlite3.connect(ledger.path) as db:
        db.execute("UPDATE jobs SET owner=? WHERE key=?", (f"{os.uname().nodename}:{dead.pid}:?", identity.key))
    _, summary = watch_once(inbox, out)
    assert sorted(Path(p).name for p in summary["done"]) == ["one.mp4", "two.mp4"]
    one = next(j for j in jobs(out) if j["path"].endswith("one.mp4"))
    assert one["interruptions"] == 1 and one["attempts"] == 2 and one["completions"] == 1


def test_two_watchers_never_score_the_same_file(tmp_path, silent_clip):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(4):
        shutil.copyfile(silent_clip.path, inbox / f"clip{i}.mp4")
    out = tmp_path / "out"
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), "--once", "--json", *FAST]
    first, second = (subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(2))
    done = []
    for process in (first, second):
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        done += json.loads(stdout)["done"]
    assert sorted(Path(p).name for p in done) == [f"clip{i}.mp4" for i in range(4)]  # each by exactly one
    assert [j["completions"] for j in jobs(out)] == [1, 1, 1, 1]


@pytest.mark.parametrize("kills", [10, pytest.param(40, marks=pytest.mark.slow)])
def test_survives_kill_9_at_random_points(tmp_path, silent_clip, calm_clip, kills):
    """`kills` times: start a watcher, kill -9 it at a random moment. Then finish: every file scored exactly
    once. (The default suite takes 10 kills, -m slow 40: CI's 15 minutes hold the suite near its limit.)"""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(3):
        shutil.copyfile((silent_clip if i % 2 else calm_clip).path, inbox / f"clip{i}.mp4")
    sources = {p.name: sha256(p) for p in inbox.iterdir()}
    out = tmp_path / "out"
    rng = random.Random(20261122 + kills)
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), "--hold", "0.1", "--rescan", "0.5",
               "--interruptions", "50"]
    for _ in range(kills):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 5.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
    result, summary = watch_once(inbox, out, "--interruptions", "50")
    rows = jobs(out)
    assert result.returncode == 0, (result.stderr, rows)
    assert len(rows) == 3 and all(r["state"] == "done" and r["completions"] == 1 for r in rows), rows
    for i in range(3):
        video = out / f"clip{i}.scored.mp4"
        assert video.is_file() and video_stream_md5(video) == video_stream_md5(inbox / f"clip{i}.mp4")
    assert list((out / ".staging").iterdir()) == []
    assert {p.name: sha256(p) for p in inbox.iterdir()} == sources
    assert not list(out.glob(".*partial*"))


def test_watch_usage_errors(tmp_path):
    assert run_cli("watch", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--once").returncode == 1
    inside = tmp_path / "in"
    inside.mkdir()
    result = run_cli("watch", str(inside), "--out", str(inside / "out"), "--once")
    assert result.returncode == 1 and "inside the watched folder" in result.stderr
    assert run_cli("watch", str(inside), "--out", str(tmp_path / "o"), "--once", "--readings", "0").returncode == 2


def test_a_file_still_being_written_is_scored_only_when_complete(tmp_path, calm_clip):
    """A slow copy under the final name (no .part): the watcher must not score the first half."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    writer = slow_copy(calm_clip.path, inbox / "growing.mp4", pieces=10, pause_s=0.3)
    time.sleep(0.1)
    result, summary = watch_once(inbox, out, "--hold", "1.0", "--readings", "3")
    writer.join()
    assert "Traceback" not in result.stderr
    if not summary["done"]:  # skipped as still growing: the next pass takes it
        result, summary = watch_once(inbox, out)
    assert [Path(p).name for p in summary["done"]] == ["growing.mp4"], (summary, result.stderr)
    assert video_stream_md5(out / "growing.scored.mp4") == video_stream_md5(calm_clip.path)


def test_a_file_that_starts_empty_and_grows_slowly_is_never_failed(tmp_path, calm_clip):
    """A slow writer: the file sits empty, then grows a piece at a time with pauses longer than the readiness
    wait, so the watcher tries the half-written file again and again. None of that may count: the source
    stays in the inbox, nothing goes to FAILED, and the complete file is scored."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    growing = inbox / "growing.mp4"
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), "--hold", "0.2", "--readings", "2",
               "--rescan", "0.5", "--attempts", "1", "-v"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        growing.touch()
        time.sleep(2.0)  # empty, and readable as complete by two equal readings
        slow_copy(calm_clip.path, growing, pieces=4, pause_s=1.5).join()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out / "growing.scored.mp4").exists():
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert "not counted" in stderr  # the half-written file was tried, and that was not held against it
    assert not (out / "failed").exists() and growing.read_bytes() == calm_clip.path.read_bytes()
    assert video_stream_md5(out / "growing.scored.mp4") == video_stream_md5(calm_clip.path)


def _remove_while_in_use(folder: Path) -> None:
    """rmtree of a folder a running watcher writes into: SQLite's -wal and -shm files come and go under it, so
    a file that vanished is gone already, and a folder that filled again is removed again."""
    def gone_already(function, path, exc_info) -> None:
        if not isinstance(exc_info[1], FileNotFoundError):
            raise exc_info[1]

    for _ in range(50):
        try:
            shutil.rmtree(folder, onerror=gone_already)
            return
        except OSError:  # ENOTEMPTY: written to again while it was emptied
            time.sleep(0.05)
    shutil.rmtree(folder)


def test_out_removed_while_watching_is_made_again(tmp_path, silent_clip):
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copyfile(silent_clip.path, inbox / "first.mp4")
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), *FAST, "--rescan", "0.5"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out / "first.scored.mp4").exists():
            time.sleep(0.2)
        _remove_while_in_use(out)
        shutil.copyfile(silent_clip.path, inbox / "second.mp4")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not ((out / "first.scored.mp4").exists()
                                                   and (out / "second.scored.mp4").exists()):
            time.sleep(0.2)
        assert process.poll() is None, "the watcher stopped"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr and "removed while watching" in stderr, stderr
    assert (out / "first.scored.mp4").is_file() and (out / "second.scored.mp4").is_file()


def test_sigterm_during_a_burst_stops_the_watcher_at_once_and_loses_nothing(tmp_path, silent_clip):
    """A service manager's stop while files wait: the file being scored is interrupted and given back (not
    counted as a try or an interruption), the waiting ones are left alone, and the next run scores each
    exactly once."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    for n in range(4):
        shutil.copyfile(silent_clip.path, inbox / f"clip{n}.mp4")
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), *FAST, "--rescan", "0.5"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the first file is being scored
        try:
            if any(j["state"] == "running" for j in jobs(out)):
                break
        except sqlite3.OperationalError:  # the ledger is not there yet, or its table is still being made
            pass
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)  # a hang guard: it stops long before
    assert process.returncode == 0 and "Traceback" not in stderr, stderr
    assert "left for the next start" in stderr
    assert len(list(out.glob("*.scored.mp4"))) < 4
    assert not any((out / ".staging").rglob("*")) and not list(out.glob(".*partial*"))
    result, summary = watch_once(inbox, out)
    assert result.returncode == 0 and not summary["failed"], result.stderr
    rows = jobs(out)
    assert sorted(p.name for p in out.glob("*.scored.mp4")) == [f"clip{n}.scored.mp4" for n in range(4)]
    assert [(r["completions"], r["interruptions"], r["failures"]) for r in rows] == [(1, 0, 0)] * 4, rows


def test_names_differing_in_case_or_extension_get_outputs_of_their_own(tmp_path, silent_clip, calm_clip,
                                                                       energetic_clip):
    """clip.mp4 and clip.MP4 made one clip.scored.mp4; take.mp4 and take.mov overwrote each other's plan,
    report, stems and timeline. Each source now has its own outputs (told apart case-insensitively, as a
    macOS or Windows OUT would), the same again on a later run."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    sources = {"clip.mp4": silent_clip.path, "clip.MP4": calm_clip.path, "take.mp4": energetic_clip.path,
               "take.mov": silent_clip.path}
    for name, clip in sources.items():
        shutil.copyfile(clip, inbox / name)
    result, summary = watch_once(inbox, out)
    assert result.returncode == 0 and len(summary["done"]) == 4, result.stderr
    outputs = {Path(j["path"]).name: Path(j["output"]) for j in jobs(out)}
    assert len({p.name.lower() for p in outputs.values()}) == 4
    for name, video in outputs.items():
        assert video_stream_md5(video) == video_stream_md5(sources[name]), name
        base = video.name.split(".scored.")[0]
        report = json.loads((out / f"{base}.report.json").read_text())
        assert Path(report["source"]).name == name  # its own report, not another's
    assert len(list(out.glob("*.plan.json"))) == len(list(out.glob("*.music.wav"))) == 4
    (inbox / "take.mov").write_bytes((inbox / "take.mov").read_bytes())  # new mtime: a new job, same name
    _, again = watch_once(inbox, out)
    assert [Path(p).name for p in again["done"]] == ["take.mov"]
    assert {Path(j["output"]).name for j in jobs(out) if j["path"].endswith("take.mov")} == {outputs["take.mov"].name}


def test_leftovers_of_a_killed_watcher_are_swept_at_the_next_start(tmp_path, calm_clip):
    """kill -9 mid-file leaves a work folder in TMPDIR and partial outputs in OUT's staging; the next watcher
    removes them (their owner is gone) and scores the file once."""
    inbox, out, scratch = tmp_path / "in", tmp_path / "out", tmp_path / "scratch"
    inbox.mkdir()
    scratch.mkdir()
    shutil.copyfile(calm_clip.path, inbox / "clip.mp4")
    env = {**os.environ, "TMPDIR": str(scratch)}
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), *FAST]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (list(scratch.glob("autoscore-*/*"))
                                               and list((out / ".staging").glob("*/.*partial*"))):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the watcher and its ffmpeg, as when a machine dies
    process.wait()
    assert list(scratch.glob("autoscore-*")) and list((out / ".staging").glob("*/.*partial*"))
    result = run_cli("watch", str(inbox), "--out", str(out), "--once", "--json", *FAST, env={"TMPDIR": str(scratch)})
    assert result.returncode == 0 and "leftover" in result.stderr, result.stderr
    assert not list(scratch.iterdir()) and not list(out.rglob("*partial*"))
    assert [(j["completions"], j["state"]) for j in jobs(out)] == [(1, "done")]


def test_a_file_replaced_while_processing_ends_with_its_final_content_scored(tmp_path, calm_clip, energetic_clip):
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copyfile(calm_clip.path, inbox / "clip.mp4")
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), "--hold", "0.1", "--rescan", "0.3"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out / ".autoscore" / "ledger.sqlite").exists():
            time.sleep(0.1)
        time.sleep(1.0)  # the first version is being scored
        replacement = inbox / ".incoming.tmp"
        shutil.copyfile(energetic_clip.path, replacement)
        os.replace(replacement, inbox / "clip.mp4")  # atomic replace, as an editor's export would do
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            video = out / "clip.scored.mp4"
            if video.exists() and video_stream_md5(video) == video_stream_md5(energetic_clip.path):
                break
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert video_stream_md5(out / "clip.scored.mp4") == video_stream_md5(energetic_clip.path)
    assert not list(out.glob(".*partial*"))


def test_watchers_creating_one_ledger_at_the_same_moment_all_open_it(tmp_path):
    """Switching a new ledger to WAL does not wait on SQLite's busy timeout: two watchers started together
    once failed with "database is locked" (CI). Three openers, released at once, twenty times over."""
    import threading

    for round_ in range(20):
        path = tmp_path / f"round{round_}" / "ledger.sqlite"
        start = threading.Barrier(3)
        errors: list[Exception] = []

        def open_ledger() -> None:
            start.wait()
            try:
                Ledger(path).jobs()
            except Exception as exc:  # collected: an exception in a thread would not fail the test
                errors.append(exc)

        threads = [threading.Thread(target=open_ledger) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_new_ledger_is_never_seen_without_its_tables(tmp_path):
    """A reader that opens the ledger as soon as the file exists (a second watcher, the test helpers' `jobs`)
    once met "no such table: jobs". Checked at every step where the ledger's files can change (each SQLite
    open and each link, seen through Python's audit hook): once the file exists, its jobs table is in it."""
    import sys

    path = tmp_path / ".autoscore" / "ledger.sqlite"
    seen: list[str] = []
    active = [True]

    def check(event: str, args: tuple) -> None:
        if not active[0] or event not in ("sqlite3.connect", "os.link") or not path.exists():
            return
        active[0] = False  # the check's own connect is not checked
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            seen.append(f"{event}: {'jobs' in tables}")
        finally:
            active[0] = True

    sys.addaudithook(check)
    try:
        Ledger(path).jobs()
    finally:
        active[0] = False  # an audit hook cannot be removed: this one stays inert for the rest of the run
    assert seen and all(entry.endswith("True") for entry in seen), seen


def test_a_file_is_complete_after_equal_readings_or_a_close_and_one_more():
    from autoscore_video.common.files import Settling

    settling = Settling(3)
    assert [settling.observe(s) for s in [(10, 1), (10, 1), (12, 2), (12, 2), (12, 2)]] == [False] * 4 + [True]
    gone = Settling(2)
    assert [gone.observe(s) for s in [(10, 1), None, (10, 1), (10, 1)]] == [False, False, False, True]
    closed = Settling(5)
    assert not closed.observe((10, 1), closed=True) and closed.observe((10, 1))
    not_empty = Settling(1, allow_empty=False)
    assert not not_empty.observe((0, 1)) and not_empty.observe((5, 1))


def test_only_leftovers_whose_owner_is_gone_are_swept(tmp_path):
    """A live process's partial output, and one another machine writes on shared storage, stay."""
    from autoscore_video.common.leftovers import _host_hash, partial_name, sweep_partials, sweep_work_dirs
    from autoscore_video.common.owner import start_ticks

    child = subprocess.Popen(["sleep", "30"])
    dead_tag = f"{_host_hash()}-{child.pid}-{start_ticks(child.pid)}"
    child.kill()
    child.wait()
    live = tmp_path / partial_name(tmp_path / "clip.scored.mp4")
    dead = tmp_path / f".clip.music.partial-{dead_tag}-0123abcd.wav"
    elsewhere = tmp_path / f".clip.plan.partial-{_host_hash('another-host')}-{child.pid}-1-0123abcd.json"
    dead_work = tmp_path / f"autoscore-{dead_tag}-x1y2"
    for path in (live, dead, elsewhere):
        path.write_bytes(b"")
    dead_work.mkdir()
    assert sweep_partials(tmp_path) == [dead] and sweep_work_dirs(tmp_path) == [dead_work]
    assert live.exists() and elsewhere.exists() and not dead.exists() and not dead_work.exists()
