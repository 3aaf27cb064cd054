"""`autoscore watch IN --out OUT`: score every video that lands in a folder, exactly once, restart-safe.

A file is ready after a close-after-write event or N equal size+mtime readings; partial copies and
temporary names are ignored. Jobs are recorded in a SQLite ledger in OUT/.autoscore; outputs are built
in OUT/.staging, probed, and only then renamed into OUT. A file that keeps failing is moved (or copied)
to the failed folder with an .error.txt beside it. Sources are otherwise never modified or deleted.
"""
from __future__ import annotations

import errno
import logging
import os
import queue
import shutil
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from autoscore_video.common.errors import AutoscoreError, InputError, ResourceError
from autoscore_video.common.files import Settling, complete_now, file_state, is_video_file
from autoscore_video.common.leftovers import sweep_partials, sweep_work_dirs
from autoscore_video.common.media import probe
from autoscore_video.common.owner import this_owner
from autoscore_video.common.staging import disk_full
from autoscore_video.scoring.job.outputs import scored_name
from autoscore_video.scoring.job.pipeline import ScoreOptions, score
from autoscore_video.scoring.job.states import JobState
from autoscore_video.scoring.watch.ledger import Ledger, identify
from autoscore_video.scoring.watch.rebuild import is_corrupt, rebuild_from_outputs, set_aside

log = logging.getLogger(__name__)


class StopRequested(KeyboardInterrupt):
    """A stop signal that arrived while a file was being scored: the job is interrupted as Ctrl-C interrupts
    `score` (its partial outputs removed), given back to the ledger uncounted, and left for the next start."""



# Readiness fitted to who writes into the inbox. An encoder (Adobe Media Encoder, Compressor, HandBrake) can
# pause for seconds while it muxes the file's tail (the MP4 index is written last), and macOS and Windows
# give no close-after-write event to end the wait early: 4 equal readings 5 s apart (15 s unchanged), and a
# failing source is copied to FAILED, never moved out of the encoder's output folder.
# Whatever the preset, a failure counts against a file only once nothing has written to it for `quiet_s`: a
# slow writer (a network copy, an encoder that writes the header, then nothing for a while) can pause longer
# than any readiness wait, and a half-written file fails to score, yet is no failed file.
READINESS_PRESETS = {
    "default": {"hold_s": 2.0, "stable_readings": 2, "copy_failed": False, "quiet_s": 60.0},
    "encoder": {"hold_s": 5.0, "stable_readings": 4, "copy_failed": True, "quiet_s": 120.0},
}


# The events that say a file was written. Opening and reading one (as scoring it does) are not: taken as news,
# they started the readiness wait again after every try, and a failing file was tried in a loop.
WRITE_EVENTS = frozenset({"created", "modified", "moved", "closed"})
RETRY_BACKOFF_MAX = 5  # the wait after a failure doubles with each try, up to 2**5 times --quiet
MIN_RETRY_S = 1.0  # the shortest wait between two tries of one file, whatever --quiet says


@dataclass
class WatchSettings:
    inbox: Path
    out: Path
    failed: Path | None = None  # default OUT/failed
    hold_s: float = READINESS_PRESETS["default"]["hold_s"]  # between size+mtime readings
    stable_readings: int = READINESS_PRESETS["default"]["stable_readings"]  # equal readings before it is complete
    rescan_s: float = 10.0  # full rescan as a backstop for missed events
    max_attempts: int = 3  # failures before a file is moved to FAILED
    max_interruptions: int = 10  # watcher deaths during one file before it is moved to FAILED
    copy_failed: bool = READINESS_PRESETS["default"]["copy_failed"]  # copy failing sources instead of moving them
    quiet_s: float = READINESS_PRESETS["default"]["quiet_s"]  # unmodified this long before a failure counts
    options: ScoreOptions = field(default_factory=ScoreOptions)

    @property
    def failed_dir(self) -> Path:
        return self.failed or self.out / "failed"


@dataclass
class Summary:
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # done before, taken by another watcher, or not ready

    @property
    def exit_code(self) -> int:
        if self.failed and not self.done:
            return 1
        return 3 if self.failed or self.retrying else 0


class Watcher:
    def __init__(self, settings: WatchSettings):
        inbox, out = settings.inbox.resolve(), settings.out.resolve()
        if not inbox.is_dir():
            raise InputError(f"{settings.inbox}: no such folder to watch")
        if out == inbox or inbox in out.parents:
            raise InputError(f"{settings.out}: the output folder must not be inside the watched folder")
        failed = settings.failed.resolve() if settings.failed is not None else None
        if failed is not None and (failed == inbox or inbox in failed.parents):
            raise InputError(f"{settings.failed}: the failed folder must not be the watched folder or inside it")
        self.settings = replace(settings, inbox=inbox, out=out, failed=failed)
        self._named_subfolders: set[str] = set()
        self.staging = out / ".staging"
        self.ledger = self._open_ledger()
        self.owner = this_owner()
        self.stop = threading.Event()
        self.scoring = False  # a file is being scored now: a stop signal interrupts it
        self._sweep()

    def _sweep(self) -> None:
        """Remove what watchers killed outright left: partial outputs and staging folders in OUT, a ledger
        being made, work folders in TMPDIR (each only where the process that made it is gone)."""
        removed = sweep_partials(self.settings.out) + sweep_partials(self.ledger.path.parent) + sweep_work_dirs()
        for stage in self.staging.glob("*/"):
            removed += sweep_partials(stage)
            if not any(stage.iterdir()):
                stage.rmdir()
        if removed:
            log.warning("removed %d leftover(s) of killed runs", len(removed))

    def _open_ledger(self) -> Ledger:
        """The ledger in OUT; an OUT that cannot hold it (read-only, not ours, full) is the machine's problem,
        said in one line. A ledger that is not a database any more is moved aside and rebuilt from the outputs
        already in OUT (watch/rebuild.py), so nothing is scored twice."""
        path = self.settings.out / ".autoscore" / "ledger.sqlite"
        try:
            try:
                return self._ledger_at(path)
            except sqlite3.DatabaseError as exc:
                if not is_corrupt(exc):
                    raise
                aside = set_aside(path)
                ledger = self._ledger_at(path)
                restored = rebuild_from_outputs(ledger, self.settings.out)
                log.warning("%s could not be read (%s): moved aside as %s and rebuilt from the %d scored video(s) in "
                            "%s", path, exc, aside.name, restored, self.settings.out)
                return ledger
        except (OSError, sqlite3.Error) as exc:
            raise ResourceError(f"{self.settings.out}: cannot keep the watch ledger there "
                                f"({getattr(exc, 'strerror', None) or exc})") from None

    def _ledger_at(self, path: Path) -> Ledger:
        return Ledger(path, max_failures=self.settings.max_attempts, max_interruptions=self.settings.max_interruptions)

    def _ensure_out(self) -> None:
        """OUT (and the ledger in it) removed while watching is made again, with a new ledger: the files whose
        outputs went with it are scored again. Where it cannot be made, one line says why the watch stops."""
        if self.ledger.path.is_file():
            return
        try:
            self.ledger = self._open_ledger()
        except ResourceError as exc:
            raise ResourceError(f"the output folder was removed and cannot be made again: {exc}; the watch "
                                "stops") from None
        log.warning("%s was removed while watching: made it again, with a new ledger (videos whose outputs were "
                    "removed with it are scored again)", self.settings.out)

    # --- one pass -------------------------------------------------------------------------------
    def run_once(self) -> Summary:
        summary = Summary()
        candidates = self._candidates()
        ready = self._stable(candidates)
        for path in candidates:
            if path not in ready:
                summary.skipped.append(str(path))
        for path in sorted(ready):
            outcome = "retrying" if not self.stop.is_set() else "skipped"
            try:
                while outcome == "retrying" and not self.stop.is_set():  # one pass retries up to the limit
                    outcome = self.handle(path)
            except StopRequested:
                outcome = "skipped"  # given back: the next run scores it
            self._record(summary, path, outcome)
        return summary

    def _candidates(self) -> list[Path]:
        try:
            entries = list(self.settings.inbox.iterdir())
        except OSError as exc:
            raise InputError(f"{self.settings.inbox}: cannot list ({exc.strerror})") from exc
        for folder in entries:
            if folder.name not in self._named_subfolders and not folder.name.startswith(".") and folder.is_dir():
                self._named_subfolders.add(folder.name)
                log.warning("%s: a subfolder; only videos directly in %s are scored (move them up to have them "
                            "scored)", folder, self.settings.inbox)
        return sorted(p for p in entries if is_video_file(p))

    def _stable(self, paths: list[Path]) -> set[Path]:
        return complete_now(paths, self.settings.hold_s, self.settings.stable_readings)

    # --- continuous ---------------------------------------------------------------------------
    def run_forever(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        events: queue.Queue[tuple[str, Path]] = queue.Queue()

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if not event.is_directory and event.event_type in WRITE_EVENTS:
                    events.put((event.event_type, Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))))

        observer = Observer()
        observer.schedule(Handler(), str(self.settings.inbox), recursive=False)
        observer.start()
        tracked: dict[Path, Settling] = {}
        next_rescan = 0.0
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_rescan:
                    for path in self._candidates():
                        tracked.setdefault(path, Settling(self.settings.stable_readings))
                    next_rescan = now + self.settings.rescan_s
                while not events.empty():
                    kind, path = events.get_nowait()
                    if is_video_file(path):  # a new event starts the readings again
                        tracked[path] = Settling(self.settings.stable_readings)
                        tracked[path].observe(file_state(path), closed=kind == "closed")
                for path, settling in list(tracked.items()):
                    if self.stop.is_set():
                        break
                    current = file_state(path)
                    if current is None:
                        del tracked[path]
                    elif settling.observe(current):
                        del tracked[path]
                        self.handle(path)
                self.stop.wait(self.settings.hold_s)
        except StopRequested:
            pass  # the file in progress was given back; the next start scores it
        finally:
            observer.stop()
            observer.join(timeout=5)

    # --- one file -----------------------------------------------------------------------------
    def handle(self, path: Path) -> str:
        """Score `path` if the ledger says it is due; returns done, failed, retrying or skipped."""
        self._ensure_out()
        try:
            identity = identify(path)
        except OSError:
            return "skipped"  # gone, or unreadable for now: the next scan decides
        job = self.ledger.observe(identity)
        if job.state in (JobState.DONE, JobState.FAILED):
            return "skipped"
        if job.retry_at > time.time():
            return "waiting"  # a failure's wait is not over
        claimed = self.ledger.claim(identity.key, self.owner)
        if claimed is None:
            return "skipped"  # another watcher is on it
        if claimed.state == JobState.FAILED:  # its earlier runners died too often
            self._quarantine(path, claimed.error or "failed", claimed.attempts - 1)
            return "failed"
        log.info("scoring %s (attempt %d)", path.name, claimed.attempts)
        before = (identity.size, identity.mtime_ns)
        try:
            self.scoring = True
            if self.stop.is_set():
                raise StopRequested(0)
            output = self._score(path, identity.key, before)
        except StopRequested:
            self._give_back(path, identity.key)
            raise
        except Exception as exc:  # any failure is recorded; nothing escapes to stop the watcher
            if self.stop.is_set():  # the stop reached the job as another error (a stream closed under a reader)
                self._give_back(path, identity.key)
                raise StopRequested(0) from exc
            message = str(exc) if isinstance(exc, AutoscoreError) else f"{type(exc).__name__}: {exc}"
            shutil.rmtree(self._stage_dir(identity.key), ignore_errors=True)
            if disk_full(exc) is not None:  # a full TMPDIR before the staging
                exc = disk_full(exc)
                message = str(exc)
            if isinstance(exc, ResourceError):  # the machine's fault (a full disk): not the file's; try later
                wait = self._retry_wait(claimed.attempts, MIN_RETRY_S)  # room may come at any time
                self.ledger.fail(identity.key, message, counts=False, retry_after_s=wait)
                log.warning("%s: %s (will retry in %.0f s)", path.name, message, wait)
                return "deferred"
            wait = self._retry_wait(claimed.attempts, max(self.settings.quiet_s, MIN_RETRY_S))
            written = self._written_lately(path, before, job.created_at)
            if written:  # maybe half-written: the failure is not the file's, and it stays where it is
                self.ledger.fail(identity.key, message, counts=False, retry_after_s=wait)
                log.warning("%s: %s (%s: not counted; tried again in %.0f s, once it has been left alone for %g s)",
                            path.name, message, written, wait, self.settings.quiet_s)
                return "deferred"
            job = self.ledger.fail(identity.key, message, retry_after_s=wait)
            if job.state == JobState.FAILED:
                self._quarantine(path, message, job.attempts)
                return "failed"
            log.warning("%s: %s (will retry in %.0f s)", path.name, message, wait)
            return "retrying"
        finally:
            self.scoring = False
        self.ledger.finish(identity.key, output)
        log.info("scored %s -> %s", path.name, output)
        return "done"

    def _stage_dir(self, key: str) -> Path:
        return self.staging / key[:16]

    @staticmethod
    def _retry_wait(attempts: int, first_s: float) -> float:
        """Seconds before the next try of a file whose `attempts`-th try failed: `first_s`, doubled with each."""
        return first_s * 2 ** min(max(attempts - 1, 0), RETRY_BACKOFF_MAX)

    def _written_lately(self, path: Path, before: tuple[int, int], first_seen: float) -> str | None:
        """Why `path` may still be being written (it changed during the attempt, or has been left alone for less
        than quiet_s), or None. Left alone: by its mtime, or, for an mtime in the future (a camera's wrong clock),
        since the ledger first saw it as it is now, by the watcher's own clock."""
        now = file_state(path)
        if now is None or now != before:
            return "it changed while it was scored"
        wall = time.time()
        age = wall - now[1] / 1e9
        unchanged_for = max(age, wall - first_seen)
        if unchanged_for < self.settings.quiet_s:
            return (f"modified {max(age, 0):.0f} s ago" if age >= 0 else
                    f"its mtime is {-age:.0f} s in the future; unchanged for {unchanged_for:.0f} s")
        return None

    def _score(self, path: Path, key: str, before: tuple[int, int]) -> str:
        stage = self._stage_dir(key)
        shutil.rmtree(stage, ignore_errors=True)
        try:
            stage.mkdir(parents=True)
        except OSError as exc:  # OUT read-only, not ours, or full: the machine's fault, not the file's
            raise ResourceError(f"{self.settings.out}: cannot write the outputs there ({exc.strerror})") from exc
        video = stage / scored_name(path, self.ledger.output_base(path.resolve()))
        result = score(path, replace(self.settings.options, output=video, publish_dir=self.settings.out))
        made = probe(video)
        if abs(made.duration - result.duration) > 1.0 / made.fps + 1e-3 or not made.has_audio:
            raise InputError(f"{video.name}: verification failed (duration {made.duration:.3f} s vs "
                             f"{result.duration:.3f} s, audio {'present' if made.has_audio else 'missing'})")
        if file_state(path) != before:
            raise InputError(f"{path.name}: changed while it was scored (still being written?); scored again "
                             "once it is complete")
        try:
            for item in sorted(stage.iterdir(), key=lambda p: p == video):  # the video last: its presence means done
                os.replace(item, self.settings.out / item.name)
        except OSError as exc:
            raise ResourceError(f"{self.settings.out}: cannot move the outputs into place ({exc.strerror})") from exc
        stage.rmdir()
        return str(self.settings.out / video.name)

    def _quarantine(self, path: Path, error: str, attempts: int) -> None:
        folder = self.settings.failed_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        n = 1
        while target.exists():
            target = folder / f"{path.stem}.{n}{path.suffix}"
            n += 1
        how = "copied" if self.settings.copy_failed else "moved"
        try:
            if self.settings.copy_failed:
                shutil.copy2(path, target)
            else:
                try:
                    shutil.move(str(path), str(target))
                except OSError as exc:  # a read-only inbox: the source stays, a copy goes to FAILED
                    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                        raise
                    target.unlink(missing_ok=True)
                    shutil.copy2(path, target)
                    how = f"copied (it could not be moved out of the inbox: {exc.strerror})"
        except OSError as exc:
            log.error("cannot move %s to %s: %s", path, folder, exc)
            return
        target.with_name(target.name + ".error.txt").write_text(
            f"autoscore could not score {path}\nerror: {error}\nattempts: {attempts}\n"
            f"at: {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n", encoding="utf-8")
        log.warning("%s failed after %d attempt(s): %s; %s to %s", path.name, attempts, error, how, folder)

    @staticmethod
    def _record(summary: Summary, path: Path, outcome: str) -> None:
        lists = {"done": "done", "failed": "failed", "retrying": "retrying", "deferred": "retrying",
                 "waiting": "retrying"}
        getattr(summary, lists.get(outcome, "skipped")).append(str(path))

    def _give_back(self, path: Path, key: str) -> None:
        """A job a stop interrupted: its staging removed, given back to the ledger uncounted."""
        self.scoring = False
        shutil.rmtree(self._stage_dir(key), ignore_errors=True)
        self.ledger.release(key)
        log.warning("%s: stopped while scoring; left for the next start", path.name)

    def install_signal_handlers(self) -> None:
        """SIGTERM, SIGINT and SIGHUP stop the watcher within moments: between files at once, and during one by
        interrupting it cleanly (StopRequested), so a service manager's stop never waits on a queue."""
        def stop(signum, _frame) -> None:
            self.stop.set()
            if self.scoring:
                raise StopRequested(signum)

        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) != signal.SIG_IGN:
                signal.signal(number, stop)
