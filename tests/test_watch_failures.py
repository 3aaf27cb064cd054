"""The watch folder under round three: a failing file waits between tries, a wrong clock cannot keep a file
out of FAILED forever, FAILED stays out of the inbox, a broken ledger is rebuilt without scoring anything twice,
a read-only inbox still gets its error note, subfolders are named, and an edit anywhere in a file is a new job."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from autoscore_video.scoring.watch.ledger import HEAD_TAIL_BYTES, Identity, Ledger, identify
from tests.conftest import autoscore_command, remount_read_only, run_cli, small_tmpfs

FAST = ["--hold", "0.2", "--readings", "2"]


def watch_once(inbox: Path, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    result = run_cli("watch", str(inbox), "--out", str(out), "--once", "--json", *FAST, *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout)


def _broken(folder: Path, name: str = "broken.mp4", *, mtime: float | None = None) -> Path:
    path = folder / name
    path.write_bytes(b"this is not a video, whatever its name says\n" * 1000)  # random bytes can parse as one
    stamp = time.time() - 3600 if mtime is None else mtime
    os.utime(path, (stamp, stamp))
    return path


def test_a_failing_file_waits_between_tries(tmp_path):
    """It waits out --quiet after a failure, longer after each (the old watcher tried it again at once, and a
    read of the file, taken for a write, started it over: 33 tries in 18 s)."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    _broken(inbox)
    command = [*autoscore_command(), "watch", str(inbox), "--out", str(out), *FAST, "--rescan", "0.3",
               "--quiet", "2", "--attempts", "6", "-v"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(9.0)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    tries = stderr.count("scoring broken.mp4")
    # tries at 0, 2 and 6 s (+ readiness): the waits double
    assert 2 <= tries <= 3, stderr
    assert "will retry in 2 s" in stderr and "will retry in 4 s" in stderr
    assert not (out / "failed").exists()


def test_an_mtime_in_the_future_is_left_alone_by_the_watchers_clock(tmp_path):
    inbox, out, failed = tmp_path / "in", tmp_path / "out", tmp_path / "failed"
    inbox.mkdir()
    _broken(inbox, mtime=time.time() + 86_400)  # a camera whose clock is a day ahead
    flags = ["--failed", str(failed), "--attempts", "1", "--quiet", "1"]
    result, summary = watch_once(inbox, out, *flags)
    assert result.returncode == 3 and summary["retrying"], result.stderr  # just seen: maybe still being written
    assert "in the future" in result.stderr
    time.sleep(1.5)
    result, summary = watch_once(inbox, out, *flags)
    assert [Path(p).name for p in summary["failed"]] == ["broken.mp4"], result.stderr
    assert (failed / "broken.mp4.error.txt").is_file()


@pytest.mark.parametrize("where", ["in", "in/failed"])
def test_failed_may_not_be_the_inbox_or_inside_it(tmp_path, where):
    inbox = tmp_path / "in"
    inbox.mkdir()
    _broken(inbox)
    before = sorted(p.name for p in inbox.iterdir())
    result = run_cli("watch", str(inbox), "--out", str(tmp_path / "out"), "--failed", str(tmp_path / where),
                     "--once", "--quiet", "0")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"autoscore: error: {tmp_path / where}: the failed folder must not be the watched folder or inside it"]
    assert sorted(p.name for p in inbox.iterdir()) == before


def test_a_broken_ledger_is_set_aside_and_rebuilt_from_the_outputs(tmp_path, silent_clip):
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copyfile(silent_clip.path, inbox / "one.mp4")
    result, summary = watch_once(inbox, out)
    assert len(summary["done"]) == 1, result.stderr
    scored = out / "one.scored.mp4"
    written = scored.stat().st_mtime_ns
    ledger = out / ".autoscore" / "ledger.sqlite"
    for extra in ("-wal", "-shm"):
        ledger.with_name(ledger.name + extra).unlink(missing_ok=True)
    ledger.write_bytes(b"this is not a database" * 100)

    result, summary = watch_once(inbox, out)
    assert result.returncode == 0, result.stderr
    assert summary["done"] == [] and len(summary["skipped"]) == 1  # not scored twice
    assert scored.stat().st_mtime_ns == written
    assert "moved aside" in result.stderr and "rebuilt from the 1 scored video" in result.stderr
    [aside] = ledger.parent.glob("ledger.sqlite.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")


def test_a_read_only_inbox_still_gets_the_error_note(tmp_path):
    out, failed = tmp_path / "out", tmp_path / "failed"
    with small_tmpfs(tmp_path / "in", "1m") as inbox:
        _broken(inbox)
        remount_read_only(inbox)
        result, summary = watch_once(inbox, out, "--failed", str(failed), "--attempts", "1", "--quiet", "0")
        assert [Path(p).name for p in summary["failed"]] == ["broken.mp4"], result.stderr
        assert (inbox / "broken.mp4").is_file()  # it could not be moved: it was copied
        assert (failed / "broken.mp4").read_bytes() == (inbox / "broken.mp4").read_bytes()
    note = (failed / "broken.mp4.error.txt").read_text()
    assert "not a readable video" in note
    assert "could not be moved out of the inbox" in result.stderr


def test_subfolders_are_named_once(tmp_path, silent_clip):
    inbox, out = tmp_path / "in", tmp_path / "out"
    (inbox / "day2").mkdir(parents=True)
    shutil.copyfile(silent_clip.path, inbox / "day2" / "clip.mp4")
    result = run_cli("watch", str(inbox), "--out", str(out), "--once", "--json", *FAST, env={"COLUMNS": "1000"})
    assert result.returncode == 0 and json.loads(result.stdout)["done"] == []
    assert result.stderr.count(f"{inbox / 'day2'}: a subfolder; only videos directly in") == 1


def test_an_edit_in_the_middle_of_a_large_file_is_a_new_identity(tmp_path):
    path = tmp_path / "big.mp4"
    path.write_bytes(os.urandom(5 * HEAD_TAIL_BYTES + 12_345))
    stat = path.stat()
    before = identify(path)
    with path.open("r+b") as handle:  # a few bytes in the middle, size and mtime kept
        handle.seek(stat.st_size // 2)
        handle.write(b"edited")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = identify(path)
    assert (after.size, after.mtime_ns, after.content) == (before.size, before.mtime_ns, before.content)
    assert after.key != before.key


def test_a_file_an_older_ledger_recorded_as_done_stays_done(tmp_path):
    """Ledgers written before the samples were hashed keyed files by head and tail alone: still done."""
    path = tmp_path / "big.mp4"
    path.write_bytes(os.urandom(3 * HEAD_TAIL_BYTES))
    ledger = Ledger(tmp_path / "ledger.sqlite")
    identity = identify(path)
    old = Identity(identity.path, identity.size, identity.mtime_ns, identity.content)  # no samples: the old key
    ledger.observe(old)
    ledger.claim(old.key, "someone")
    ledger.finish(old.key, "/out/big.scored.mp4")
    job = ledger.observe(identity)
    assert job.key == identity.key != old.key
    assert (job.state, job.output) == ("done", "/out/big.scored.mp4")
