"""What service managers and containers send (SIGTERM, SIGHUP) stops a command the way Ctrl-C does. This
module imports nothing heavy, so the handlers are in place before the command line's own imports (half a
second, more on a loaded machine) and a signal in that window is answered like any other."""
from __future__ import annotations

import signal


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: the command stops as Ctrl-C stops it, every `with` on the way out cleaning up
    (temporary outputs removed, ffmpeg children killed)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminated(signum, frame) -> None:
    raise Terminated(signum)


def stop_like_ctrl_c() -> None:
    """SIGTERM and SIGHUP raise `Terminated`; commands with their own handling (watch, serve, worker) set
    theirs over this, and a signal that whoever started us ignored (nohup) stays ignored."""
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) == signal.SIG_DFL:
            signal.signal(number, _terminated)


def stopped_message(exc: KeyboardInterrupt) -> tuple[str, int]:
    """The one line and the exit code for a stop: 128 + N for signal N, 130 for Ctrl-C."""
    if isinstance(exc, Terminated):
        return f"stopped by {signal.Signals(exc.signum).name}", 128 + exc.signum
    return "interrupted", 130
