"""A heavy read in a request runs in a thread of its own at the worker's priority, and gives the
request what it would have computed itself."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import pytest
from django.utils import translation

from coordcell.jobs.priority import at_worker_priority
from coordcell.registry.models import Nation
from coordcell.registry.tests.factories import NationFactory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice per thread")


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_read_runs_in_another_thread_at_the_workers_priority(
    settings: Any, transactional_db: Any
) -> None:
    settings.COORDCELL_WORKER_NICE = 5
    NationFactory(code="PL")  # committed: transactional_db
    mine = _niceness()
    with translation.override("uk"):
        seen = at_worker_priority(
            lambda: (
                threading.get_native_id(),
                _niceness(),
                translation.get_language(),
                list(Nation.objects.values_list("code", flat=True)),
            )
        )
    thread, niceness, language, codes = seen
    assert thread != threading.get_native_id()
    assert niceness == min(mine + 5, 19)
    assert _niceness() == mine  # the request's own thread keeps its priority
    assert language == "uk"
    assert codes == ["PL"]


def test_a_failure_in_the_read_reaches_the_request(settings: Any) -> None:
    settings.COORDCELL_WORKER_NICE = 5

    def broken() -> None:
        raise ValueError("no figures today")

    with pytest.raises(ValueError, match="no figures today"):
        at_worker_priority(broken)


def test_without_a_worker_priority_the_read_runs_in_the_request(settings: Any) -> None:
    settings.COORDCELL_WORKER_NICE = 0
    assert at_worker_priority(threading.get_native_id) == threading.get_native_id()
