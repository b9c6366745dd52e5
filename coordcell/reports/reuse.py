"""Figures reused for a short while: every dashboard and the reports page aggregate whole tables
(tens of milliseconds each at 50,000 pledges, a second or more for the reports page), and many
people open them. What a user sees depends only on their role, their nation, the language, the
day and the page's own scope, so people with the same of all these share one computation, kept
in Django's cache (a table of the database: every app server and worker shares it). The page
says when its figures were computed and offers to recompute them at once.

Figures younger than COORDCELL_FIGURES_SECONDS are served as they are. Older ones are still
served (for up to STALE_FOR times as long), and one background job (``refresh_figures``, run by
``coordcell worker``) computes their successor: nobody waits for a recomputation but the first
to open a view, or whoever asks for "Recompute now". Without a worker, figures are served until
they expire and then computed in the request.

Drawing the figures costs too (the reports page's charts: ~150 ms for 150 KB of SVG and tables),
so the pages keep the drawn HTML as long as the figures, in a ``{% cache %}`` fragment named by
the figures' key and time (``reports/_reused.html`` shows how)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import QueryDict
from django.tasks import task
from django.utils import timezone, translation

from coordcell.jobs.priority import at_worker_priority
from coordcell.jobs.services import jobs_forget_finished
from coordcell.registry.models import User

from .dashboards import dashboard_for
from .picture import report
from .scope import ScopeForm

logger = logging.getLogger(__name__)

KEY_VERSION = 2  # change when the cached objects' shape changes
STALE_FOR = 10  # stale figures are served for this many times COORDCELL_FIGURES_SECONDS


@dataclass(frozen=True)
class Reused[T]:
    value: T
    computed_at: dt.datetime
    reused: bool  # True: computed earlier for someone with the same view
    max_age: int  # seconds a computation is reused
    key: str = ""  # the figures' cache key ("" when they are not kept); pages cache their
    # rendered figures under it too, with computed_at, in a {% cache %} fragment


def figures_key(kind: str, user: User, today: dt.date, scope: str = "") -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
    return (
        f"figures:{KEY_VERSION}:{kind}:{user.role}:{user.nation_id or '-'}:{language}:"
        f"{today.isoformat()}:{digest}"
    )


def _dashboard(user: User, today: dt.date, scope: str) -> Any:
    return dashboard_for(user, today)


def _reports(user: User, today: dt.date, scope: str) -> Any:
    return report(user, ScopeForm(QueryDict(scope), user=user).scope(), today=today)


# How each kind of figures is computed, from the user, the day and the scope's query: in a request
# and in the background job alike.
FIGURES: dict[str, Callable[[User, dt.date, str], Any]] = {
    "dashboard": _dashboard,
    "reports": _reports,
}


def reuse_figures(
    kind: str, user: User, today: dt.date, *, scope: str = "", refresh: bool = False
) -> Reused[Any]:
    """The figures of ``kind`` for this user's view (``FIGURES``), computed now or for someone
    with the same role, nation, language, day and scope: as they are when younger than
    COORDCELL_FIGURES_SECONDS, else while a background job computes the next. ``refresh``
    recomputes (and keeps) them at once."""
    seconds = settings.COORDCELL_FIGURES_SECONDS
    now = timezone.now()
    if seconds <= 0:
        return Reused(FIGURES[kind](user, today, scope), now, reused=False, max_age=0)
    key = figures_key(kind, user, today, scope)
    if not refresh:
        stored = _stored(key)
        if stored is not None:
            value, computed_at = stored
            if (now - computed_at).total_seconds() >= seconds:
                _refresh_later(kind, user, today, scope, key, seconds)
            return Reused(value, computed_at, reused=True, max_age=seconds, key=key)
    value, computed_at = _compute(kind, user, today, scope, key, seconds)
    return Reused(value, computed_at, reused=False, max_age=seconds, key=key)


def _compute(
    kind: str,
    user: User,
    today: dt.date,
    scope: str,
    key: str,
    seconds: int,
    *,
    in_request: bool = True,
) -> tuple[Any, dt.datetime]:
    """Compute the figures and keep them under ``key`` (served stale for STALE_FOR periods).
    In a request, at the worker's priority: seconds of CPU for the reports page, which the other
    people's requests should not wait for (the worker itself runs at that priority already)."""
    computed_at = timezone.now()
    build = FIGURES[kind]
    value = (
        at_worker_priority(lambda: build(user, today, scope))
        if in_request
        else build(user, today, scope)
    )
    cache.set(key, (value, computed_at), seconds * STALE_FOR)
    return value, computed_at


def _stored(key: str) -> Any:
    """The figures kept under ``key``, or None. Figures kept by an older release (before an
    upgrade, or from a restored backup) may no longer unpickle: they count as missing."""
    try:
        return cache.get(key)
    except (AttributeError, ImportError, TypeError, ValueError, pickle.UnpicklingError):
        logger.warning("Kept figures %s could not be read; computing them again", key)
        return None


def _refresh_later(
    kind: str, user: User, today: dt.date, scope: str, key: str, seconds: int
) -> None:
    """Ask the worker for the next figures of ``key``, once per period whoever asks."""
    if not cache.add(f"{key}:refreshing", True, seconds):
        return
    language = translation.get_language() or settings.LANGUAGE_CODE

    def enqueue() -> None:
        try:
            refresh_figures.enqueue(kind, user.pk, today.isoformat(), scope, language)
        except Exception:  # the stale figures stay; they expire and are computed in a request
            logger.exception("Could not queue the refresh of %s figures", kind)

    transaction.on_commit(enqueue)


@task()
def refresh_figures(kind: str, user_id: int, today: str, scope: str, language: str) -> str:
    """Compute the figures of this user's view again and store them for everyone sharing it."""
    user = User.objects.select_related("nation").filter(pk=user_id, is_active=True).first()
    if user is None:
        return "user gone"
    day = dt.date.fromisoformat(today)
    seconds = max(settings.COORDCELL_FIGURES_SECONDS, 1)
    with translation.override(language):
        key = figures_key(kind, user, day, scope)
        stored = _stored(key)
        if stored is not None and (timezone.now() - stored[1]).total_seconds() < seconds:
            return "fresh already"  # e.g. a queue worked off late, or "Recompute now" came first
        _compute(kind, user, day, scope, key, seconds, in_request=False)
    # A dozen of these jobs a minute on a busy day: their finished results go after an hour.
    jobs_forget_finished(task_path=refresh_figures.module_path, older_than=dt.timedelta(hours=1))
    return "refreshed"
