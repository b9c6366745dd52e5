"""Heavy reads inside a request, at the background worker's CPU priority.

A few requests compute something that takes seconds of CPU: the first person to open a report
view of the day computes its figures (2-4 s at 50,000 pledges). On a web process that takes a
core from everyone else's pages for those seconds. ``at_worker_priority`` runs such a computation
in a thread of its own at the worker's nice value (COORDCELL_WORKER_NICE above the process's),
and the request waits for it: that person waits a little longer on a busy machine, the others
are not held up. Linux sets a nice value per thread, so the web process itself keeps its
priority (and never needs to raise it back, which an unprivileged process may not do).

The thread has its own database connection, closed when it ends, so it reads what is committed:
use it for reads only, never inside a transaction whose changes it must see. Elsewhere than on
Linux, and with COORDCELL_WORKER_NICE=0, the function runs in the request's own thread.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections
from django.utils import translation


def at_worker_priority[T](compute: Callable[[], T]) -> T:
    """``compute()``, run at the worker's priority in a thread of its own; waits for it (an
    exception in it is raised here)."""
    nice = settings.COORDCELL_WORKER_NICE
    if nice <= 0 or not sys.platform.startswith("linux"):
        return compute()
    language = translation.get_language()

    def body() -> T:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + nice)
        try:
            with translation.override(language):
                return compute()
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="coordcell-low-priority") as pool:
        return pool.submit(body).result()
