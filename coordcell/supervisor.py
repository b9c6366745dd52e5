"""The parent process of ``coordcell serve``: gunicorn and one background worker, as its children.

``serve`` used to start the worker and then replace itself with gunicorn: the worker was nobody's
child, so stopping ``serve`` (SIGTERM, Ctrl-C) left it running, and a worker that died (a
database error, the out-of-memory killer) stayed dead with every job queued after it. Here:

- the signals that stop or reload ``serve`` reach each child exactly once: SIGTERM, SIGINT and
  SIGQUIT as they are (gunicorn: graceful, quick, quick; the worker finishes its job on the
  first, stops at once on a second SIGINT), SIGHUP to gunicorn (reload) and as a graceful
  restart to the worker. The children run in process groups of their own, so that Ctrl-C in a
  terminal does not reach them a second time past this process;
- a worker that exits while ``serve`` runs is started again, after 1 s, doubling up to 60 s while
  it keeps exiting within a minute of its start; the new one recovers the job the old one held
  (its start-up sweep, ``coordcell.jobs.services.jobs_recover``);
- when gunicorn exits, for whatever reason, the worker is stopped (it finishes its job) and
  ``serve`` exits with gunicorn's status, so that systemd (or whoever started it) sees it;
- the children get SIGTERM if this process dies without a word (kill -9), on Linux.

Pure standard library: no Django.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

FIRST_PAUSE, LONGEST_PAUSE = 1.0, 60.0
STEADY_SECONDS = 60.0  # a worker that ran this long before it exited starts again at once-ish
STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
# What the worker gets for each signal serve gets: SIGHUP restarts it gracefully.
TO_WORKER = {signal.SIGTERM: signal.SIGTERM, signal.SIGQUIT: signal.SIGTERM}
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn``: the child gets SIGTERM when this process ends (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above: nobody watches
            os._exit(1)

    return preexec


class Supervisor:
    """Run ``web`` and (if given) ``worker`` until ``web`` exits; see the module's docstring."""

    def __init__(
        self,
        web: Sequence[str],
        worker: Sequence[str] | None,
        *,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.web_argv = list(web)
        self.worker_argv = list(worker) if worker else None
        self.say = say or (lambda text: print(text, file=sys.stderr, flush=True))
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_started = 0.0
        self.worker_due: float | None = None  # when to start the worker again
        self.pause = FIRST_PAUSE
        self.restart_now = False  # the worker was stopped on purpose (SIGHUP)
        self.stopping = False

    def run(self) -> int:
        wake_r, wake_w = os.pipe()
        for fd in (wake_r, wake_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(wake_w)  # each signal writes its number: select() wakes up
        for signum in (*STOPPING, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(signum, lambda *args: None)
        self.web = self._start(self.web_argv)
        if self.worker_argv:
            self._start_worker()
        while True:
            timeout = 1.0
            if self.worker_due is not None:
                timeout = max(0.0, min(timeout, self.worker_due - time.monotonic()))
            select.select([wake_r], [], [], timeout)
            try:
                received = os.read(wake_r, 256)
            except BlockingIOError:
                received = b""
            for number in received:
                self._on_signal(signal.Signals(number))
            web_status = self.web.poll()
            if web_status is not None and not self.stopping:
                self.say(f"The web server exited ({_describe(web_status)}): stopping.")
                self.stopping = True
                self._signal_worker(signal.SIGTERM)
            self._check_worker()
            if web_status is not None and self.worker is None:
                return 128 - web_status if web_status < 0 else web_status

    def _start(self, argv: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
            argv, process_group=0, preexec_fn=_die_with_parent()
        )

    def _start_worker(self) -> None:
        assert self.worker_argv is not None
        self.worker = self._start(self.worker_argv)
        self.worker_started = time.monotonic()
        self.worker_due = None

    def _signal_worker(self, signum: int) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signum)

    def _on_signal(self, signum: signal.Signals) -> None:
        if signum == signal.SIGCHLD:
            return
        assert self.web is not None
        if self.web.poll() is None:
            self.web.send_signal(signum)
        if signum == signal.SIGHUP:
            if not self.stopping:
                self.restart_now = True
                self._signal_worker(signal.SIGTERM)
            return
        self.stopping = True
        self.worker_due = None
        self._signal_worker(TO_WORKER.get(signum, signum))

    def _check_worker(self) -> None:
        if self.worker is not None:
            status = self.worker.poll()
            if status is None:
                return
            self.worker = None
            if self.stopping:
                return
            if self.restart_now:
                self.restart_now, self.pause = False, FIRST_PAUSE
                self.worker_due = time.monotonic()
            else:
                if time.monotonic() - self.worker_started >= STEADY_SECONDS:
                    self.pause = FIRST_PAUSE
                self.say(
                    f"The background worker exited ({_describe(status)}): starting it again "
                    f"in {self.pause:g} s."
                )
                self.worker_due = time.monotonic() + self.pause
                self.pause = min(2 * self.pause, LONGEST_PAUSE)
        if self.worker_due is not None and time.monotonic() >= self.worker_due:
            self._start_worker()


def _describe(status: int) -> str:
    if status < 0:
        return f"killed by {signal.Signals(-status).name}"
    return f"exit status {status}"
