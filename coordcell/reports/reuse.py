"""Figures reused for a short while: every dashboard and the reports page aggregate whole tables
(tens of milliseconds each at 50,000 pledges), and many people open them. What a user sees
depends only on their role, their nation, the language, the day and the page's own scope, so
people with the same of all these share one computation for COORDCELL_FIGURES_SECONDS. The
page says when its figures were computed and offers to recompute them at once.

Drawing the figures costs too (the reports page's charts: ~150 ms for 150 KB of SVG and tables),
so the pages keep the drawn HTML as long as the figures, in a ``{% cache %}`` fragment named by
the figures' key and time (``reports/_reused.html`` shows how)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from coordcell.registry.models import User

KEY_VERSION = 1  # change when the cached objects' shape changes


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


def reuse_figures[T](
    kind: str,
    user: User,
    today: dt.date,
    build: Callable[[], T],
    *,
    scope: str = "",
    refresh: bool = False,
) -> Reused[T]:
    """``build()``'s value, or the one computed less than COORDCELL_FIGURES_SECONDS ago for the
    same role, nation, language, day and scope. ``refresh`` recomputes (and stores) at once."""
    seconds = settings.COORDCELL_FIGURES_SECONDS
    now = timezone.now()
    if seconds <= 0:
        return Reused(build(), now, reused=False, max_age=0)
    key = figures_key(kind, user, today, scope)
    if not refresh:
        stored = cache.get(key)
        if stored is not None:
            value, computed_at = stored
            return Reused(value, computed_at, reused=True, max_age=seconds, key=key)
    value = build()
    cache.set(key, (value, now), seconds)
    return Reused(value, now, reused=False, max_age=seconds, key=key)
