"""Notifications: who is told of a change, in their words, and what they do with their inbox.

Each ``notify_*`` runs in the transaction of the change it reports (called from that record's
own actions) and writes one ``Notification`` per recipient. The **audience** is everyone whose
role sees the record (the record's own ``*_visible_to``), never the actor; the **text** is
written per recipient by ``texts`` from what that recipient reads on the record's page. Mail
goes out after the commit, in a background job (``mail.py``).

Notifications are a consequence of a change that its own action already audited; writing one
records no audit event of its own (docs/notifications.md). A user's preferences are audited.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from coordcell.audit.services import StaleEditError, save_audited
from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.selectors import (
    Detail,
    days_late,
    discrepancies_visible_to,
    late_shipments,
    shipment_detail_level,
    shipments_visible_to,
)
from coordcell.pledges.models import Pledge
from coordcell.pledges.selectors import pledges_visible_to
from coordcell.readiness.models import CapabilityPackage
from coordcell.readiness.selectors import packages_visible_to
from coordcell.registry.access import as_user
from coordcell.registry.models import Location, User
from coordcell.training.models import Cohort, Session
from coordcell.training.selectors import cohorts_visible_to, sessions_visible_to

from . import texts
from .models import EmailState, Kind, LateShipment, Notification, NotificationPreference
from .selectors import can_change_preferences, preference_of

Writer = Callable[[User], "texts.Notice | None"]


def _people() -> list[User]:
    """Everyone who may be told anything: active users with a role."""
    return list(User.objects.filter(is_active=True).exclude(role="").select_related("nation"))


def _who_sees[M: models.Model](
    visible_to: Callable[[Any], QuerySet[M]], pk: Any, people: Sequence[User] | None = None
) -> list[User]:
    """Those of ``people`` (everyone) whose role sees the record: its own access function."""
    return [
        u
        for u in (_people() if people is None else people)
        if u.sees_everything or visible_to(u).filter(pk=pk).exists()
    ]


def _email_state(user: User, preference: NotificationPreference | None, kind: str) -> str:
    if not user.email:
        return EmailState.NONE
    if preference is None:
        return EmailState.PENDING  # no choice made yet: every kind by e-mail, at once
    if kind not in preference.email_kinds:
        return EmailState.NONE
    return EmailState.DIGEST if preference.daily_digest else EmailState.PENDING


def _preferences(people: Iterable[User]) -> dict[int, NotificationPreference]:
    ids = [u.pk for u in people]
    return {p.user_id: p for p in NotificationPreference.objects.filter(user__in=ids)}


def _row(
    kind: Kind,
    target: models.Model,
    user: User,
    preference: NotificationPreference | None,
    write: Writer,
    now: dt.datetime,
) -> Notification | None:
    """One notice for ``user``, written in their language; None if nothing is theirs to read."""
    language = (preference.language if preference else "") or _default_language()
    with translation.override(language):
        notice = write(user)
    if notice is None:
        return None
    return Notification(
        recipient=user,
        kind=kind,
        subject=" ".join(notice.subject.split())[:200],
        body=notice.body,
        link=notice.link[:300],
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        created_at=now,
        email_state=_email_state(user, preference, kind),
    )


# Beyond this many mails from one change (an import), one job sends whatever is due instead
# of a job carrying every id.
MANY = 200


def _store(rows: list[Notification]) -> list[Notification]:
    Notification.objects.bulk_create(rows, batch_size=500)
    pending = [r.pk for r in rows if r.email_state == EmailState.PENDING]
    if pending:
        from .tasks import send_due_mail, send_notification_mail

        # After the commit: a change rolled back sends nothing, and no mail server is ever
        # waited for inside the request.
        if len(pending) > MANY:
            transaction.on_commit(lambda: send_due_mail.enqueue())
        else:
            transaction.on_commit(lambda: send_notification_mail.enqueue(pending))
    return rows


def _deliver(
    kind: Kind,
    *,
    target: models.Model,
    audience: Iterable[User],
    write: Writer,
    actor: Any = None,
) -> list[Notification]:
    actor_id = getattr(as_user(actor), "pk", None)
    people = [u for u in audience if u.pk != actor_id]  # the actor knows what they did
    preferences = _preferences(people)
    now = timezone.now()
    rows = [_row(kind, target, u, preferences.get(u.pk), write, now) for u in people]
    return _store([r for r in rows if r is not None])


def _default_language() -> str:
    from django.conf import settings

    return str(settings.LANGUAGE_CODE)


# ---- one function per kind --------------------------------------------------------------


def notify_pledge_slipped(
    pledge: Pledge, old_date: dt.date, new_date: dt.date, actor: Any = None
) -> list[Notification]:
    """A pledge's availability moved later: everyone who sees the pledge."""
    return _deliver(
        Kind.PLEDGE_SLIPPED,
        target=pledge,
        audience=_who_sees(pledges_visible_to, pledge.pk),
        write=lambda u: texts.pledge_slipped(u, pledge, old_date, new_date),
        actor=actor,
    )


def notify_pledge_withdrawn(
    pledge: Pledge, actor: Any = None, *, was_confirmed: bool = False
) -> list[Notification]:
    """A pledge was withdrawn: everyone who sees it now, and the recipient if it had been
    confirmed (the recipient saw it then; the notice tells only that it is gone)."""
    seeing = _who_sees(pledges_visible_to, pledge.pk)
    seen = {u.pk for u in seeing}
    if was_confirmed:
        seeing += [u for u in _people() if u.is_recipient_liaison and u.pk not in seen]
    return _deliver(
        Kind.PLEDGE_WITHDRAWN,
        target=pledge,
        audience=seeing,
        write=lambda u: texts.pledge_withdrawn(u, pledge, link=u.pk in seen),
        actor=actor,
    )


def _pledge_change(before: Mapping[str, Any] | None, pledge: Pledge) -> str:
    """ "withdrawn", "slipped" or "" for a pledge that was ``before`` (stored values)."""
    if before is None:
        return ""
    withdrawn = Pledge.Status.WITHDRAWN
    if pledge.status == withdrawn and before.get("status") != withdrawn:
        return "withdrawn"
    old = before.get("available_from")
    if old and pledge.available_from and pledge.available_from > old and pledge.status != withdrawn:
        return "slipped"
    return ""


def notify_pledge_changed(
    before: Mapping[str, Any] | None, pledge: Pledge, actor: Any = None
) -> list[Notification]:
    """The pledge actions' one call (``pledge_save``): a slip (available later) or a
    withdrawal, if either."""
    change = _pledge_change(before, pledge)
    if before is None or not change:
        return []
    if change == "withdrawn":
        was_confirmed = before.get("status") == Pledge.Status.CONFIRMED
        return notify_pledge_withdrawn(pledge, actor, was_confirmed=was_confirmed)
    return notify_pledge_slipped(pledge, before["available_from"], pledge.available_from, actor)


def notify_pledges_changed(
    changed: Iterable[tuple[Mapping[str, Any], Pledge]], actor: Any = None
) -> int:
    """The same for many pledges at once (``pledges_save_many``, an import): a query per
    person and thousand pledges, not per pledge. Returns how many notices were written."""
    moved = [(b, p, c) for b, p in changed if (c := _pledge_change(b, p))]
    if not moved:
        return 0
    actor_id = getattr(as_user(actor), "pk", None)
    people = [u for u in _people() if u.pk != actor_id]
    ids = [p.pk for _b, p, _c in moved]
    seen: dict[int, set[int]] = {}
    for user in people:
        if user.sees_everything:
            seen[user.pk] = set(ids)
            continue
        seen[user.pk] = set()
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            seen[user.pk] |= set(
                pledges_visible_to(user).filter(pk__in=chunk).values_list("pk", flat=True)
            )
    preferences = _preferences(people)
    now = timezone.now()
    rows: list[Notification | None] = []
    for before, pledge, change in moved:
        for user in people:
            sees = pledge.pk in seen[user.pk]
            if change == "slipped" and sees:
                old, new = before["available_from"], pledge.available_from

                def slipped(u: User, p: Pledge = pledge, o: Any = old, n: Any = new) -> Any:
                    return texts.pledge_slipped(u, p, o, n)

                rows.append(
                    _row(Kind.PLEDGE_SLIPPED, pledge, user, preferences.get(user.pk), slipped, now)
                )
            elif change == "withdrawn" and (
                sees
                or (user.is_recipient_liaison and before.get("status") == Pledge.Status.CONFIRMED)
            ):

                def gone(u: User, p: Pledge = pledge, link: bool = sees) -> Any:
                    return texts.pledge_withdrawn(u, p, link=link)

                rows.append(
                    _row(Kind.PLEDGE_WITHDRAWN, pledge, user, preferences.get(user.pk), gone, now)
                )
    return len(_store([r for r in rows if r is not None]))


def notify_shipment_cancelled(shipment: Shipment, actor: Any = None) -> list[Notification]:
    """Everyone who sees the shipment, each told as much as their detail level allows."""
    return _deliver(
        Kind.SHIPMENT_CANCELLED,
        target=shipment,
        audience=_who_sees(shipments_visible_to, shipment.pk),
        write=lambda u: texts.shipment_cancelled(u, shipment),
        actor=actor,
    )


# Cancellations gathered by ``shipment_cancellations_told_together`` (None: each told at once).
_cancelled_together: ContextVar[list[Shipment] | None] = ContextVar(
    "cancelled_together", default=None
)


@contextlib.contextmanager
def shipment_cancellations_told_together(cause: str, actor: Any = None) -> Iterator[None]:
    """Shipments cancelled inside the block (a re-plan replacing hundreds) are told in one
    notice per reader, listing the ones that reader sees, instead of one notice each."""
    batch: list[Shipment] = []
    token = _cancelled_together.set(batch)
    try:
        yield
    finally:
        _cancelled_together.reset(token)
    if batch:
        notify_shipments_cancelled_together(batch, cause, actor)


def notify_shipments_cancelled_together(
    shipments: Sequence[Shipment], cause: str, actor: Any = None
) -> list[Notification]:
    """One notice per reader for many shipments cancelled by one change (``cause``): each
    reader's notice lists only the shipments that reader sees, and no route or time."""
    ids = [s.pk for s in shipments]
    by_pk = {s.pk: s for s in shipments}
    actor_id = getattr(as_user(actor), "pk", None)
    people = [u for u in _people() if u.pk != actor_id]
    preferences = _preferences(people)
    now = timezone.now()
    rows: list[Notification | None] = []
    for user in people:
        if user.sees_everything:
            seen = ids
        else:
            seen = []
            for start in range(0, len(ids), 1000):
                seen += (
                    shipments_visible_to(user)
                    .filter(pk__in=ids[start : start + 1000])
                    .values_list("pk", flat=True)
                )
        if not seen:
            continue
        mine = sorted((by_pk[pk] for pk in seen), key=lambda s: s.reference)

        def write(u: User, mine: list[Shipment] = mine) -> Any:
            return texts.shipments_cancelled_together(u, mine, cause)

        rows.append(
            _row(Kind.SHIPMENT_CANCELLED, mine[0], user, preferences.get(user.pk), write, now)
        )
    return _store([r for r in rows if r is not None])


def notify_shipment_late(shipment: Shipment, days: int | None = None) -> list[Notification]:
    """A shipment became late: those with full detail of it (the cell, auditors, its donor).
    The recipient reads an ETA week, not the plan, so lateness is not its to hear."""
    late_by = days if days is not None else max(shipment.delay_days, 0)
    full = [
        u
        for u in _who_sees(shipments_visible_to, shipment.pk)
        if shipment_detail_level(u, shipment) is Detail.FULL
    ]
    return _deliver(
        Kind.SHIPMENT_LATE,
        target=shipment,
        audience=full,
        write=lambda u: texts.shipment_late(u, shipment, late_by),
    )


def notify_shipments_changed(
    *,
    cancelled: Sequence[Shipment],
    refreshed: Sequence[Shipment],
    today: dt.date,
    actor: Any = None,
) -> None:
    """The derivation's one call (logistics.derive.refresh_shipments): the shipments it has
    just cancelled, and all it refreshed. A refreshed shipment late as the delays page counts
    it (``logistics.selectors.late_shipments``) is told once (``LateShipment`` remembers),
    and again only after it was on time in between."""
    together = _cancelled_together.get()
    if together is not None:
        together.extend(cancelled)
    else:
        for shipment in cancelled:
            notify_shipment_cancelled(shipment, actor)
    late_ids = set(
        late_shipments(
            Shipment.objects.filter(pk__in=[s.pk for s in refreshed]), today
        ).values_list("pk", flat=True)
    )
    told = set(
        LateShipment.objects.filter(shipment_id__in=[s.pk for s in refreshed]).values_list(
            "shipment_id", flat=True
        )
    )
    on_time = told - late_ids
    if on_time:
        LateShipment.objects.filter(shipment_id__in=on_time).delete()
    now = timezone.now()
    for shipment in refreshed:
        if shipment.pk in late_ids and shipment.pk not in told:
            LateShipment.objects.create(shipment=shipment, since=now)
            notify_shipment_late(shipment, days_late(shipment, today))


def notify_late_shipments(today: dt.date) -> int:
    """The daily look (a worker's job): shipments late today that nobody has been told of,
    though no event refreshed them (a planned departure that passed). Returns how many."""
    late = list(late_shipments(Shipment.objects.all(), today))
    before = LateShipment.objects.count()
    notify_shipments_changed(cancelled=[], refreshed=late, today=today)
    return LateShipment.objects.count() - before


def notify_discrepancy_opened(discrepancy: Discrepancy, actor: Any = None) -> list[Notification]:
    """Everyone who sees the discrepancy (a donor its own shipments', the recipient those found
    at handover or receipt)."""
    return _deliver(
        Kind.DISCREPANCY_OPENED,
        target=discrepancy,
        audience=_who_sees(discrepancies_visible_to, discrepancy.pk),
        write=lambda u: texts.discrepancy_opened(u, discrepancy),
        actor=actor,
    )


def notify_discrepancies_opened(discrepancies: Iterable[Discrepancy], actor: Any = None) -> None:
    for discrepancy in discrepancies:
        notify_discrepancy_opened(discrepancy, actor)


def notify_discrepancy_overdue(discrepancy: Discrepancy) -> list[Notification]:
    """A discrepancy past its due date and still open: the same audience as when it opened."""
    return _deliver(
        Kind.DISCREPANCY_OVERDUE,
        target=discrepancy,
        audience=_who_sees(discrepancies_visible_to, discrepancy.pk),
        write=lambda u: texts.discrepancy_overdue(u, discrepancy),
    )


def notify_overdue_discrepancies(today: dt.date) -> int:
    """The daily look: discrepancies still open or under investigation past their due date,
    each told once. Returns how many were newly overdue."""
    told = set(
        Notification.objects.filter(
            kind=Kind.DISCREPANCY_OVERDUE, target_type="logistics.discrepancy"
        ).values_list("target_id", flat=True)
    )
    overdue = [
        d
        for d in Discrepancy.objects.filter(
            status__in=[Discrepancy.Status.OPEN, Discrepancy.Status.INVESTIGATING],
            due_on__lt=today,
        )
        .select_related("shipment", "line__category")
        .order_by("due_on", "pk")
        if str(d.pk) not in told
    ]
    for discrepancy in overdue:
        notify_discrepancy_overdue(discrepancy)
    return len(overdue)


def notify_capacity_cut(
    hub: Location, domain: str, weeks: Sequence[Any], actor: Any = None
) -> list[Notification]:
    """A hub's capacity is route information: the cell and auditors only."""
    return _deliver(
        Kind.CAPACITY_CUT,
        target=hub,
        audience=[u for u in _people() if u.sees_everything],
        write=lambda u: texts.capacity_cut(u, hub, domain, weeks),
        actor=actor,
    )


def notify_session_cancelled(
    session: Session,
    rebooked: Sequence[Cohort] = (),
    unbooked: Sequence[Cohort] = (),
    actor: Any = None,
) -> list[Notification]:
    """Everyone who sees the session; a cohort is named only to those who see that cohort."""
    cohort_ids = [c.pk for c in [*rebooked, *unbooked]]

    def write(user: User) -> texts.Notice:
        visible = set(
            cohorts_visible_to(user).filter(pk__in=cohort_ids).values_list("pk", flat=True)
        )
        return texts.session_cancelled(user, session, rebooked, unbooked, visible)

    return _deliver(
        Kind.SESSION_CANCELLED,
        target=session,
        audience=_who_sees(sessions_visible_to, session.pk),
        write=write,
        actor=actor,
    )


def notify_readiness_later(
    package: CapabilityPackage, old_date: dt.date | None, new_date: dt.date | None
) -> list[Notification]:
    """A package's ready-on date moved later (or was lost): everyone who sees the package. The
    date is visible to all of them (docs/security.md); the cause is not told."""
    return _deliver(
        Kind.READINESS_LATER,
        target=package,
        audience=_who_sees(packages_visible_to, package.pk),
        write=lambda u: texts.readiness_later(u, package, old_date, new_date),
    )


def notify_readiness_changes(changes: Iterable[Any]) -> None:
    """The readiness recompute's one call: each ``ReadinessChange`` that moved a date later."""
    for change in changes:
        old, new = change.before_date, change.after_date
        if old is not None and (new is None or new > old):
            notify_readiness_later(change.package, old, new)


# ---- the inbox ---------------------------------------------------------------------------


def notification_mark_read(*, user: Any, notification_ids: Iterable[int]) -> int:
    """Mark these of the user's own notifications read; returns how many changed."""
    u = as_user(user)
    if u is None:
        raise PermissionDenied("Log in to read notifications.")
    return Notification.objects.filter(
        recipient=u, pk__in=list(notification_ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def notifications_mark_all_read(*, user: Any) -> int:
    u = as_user(user)
    if u is None:
        raise PermissionDenied("Log in to read notifications.")
    return Notification.objects.filter(recipient=u, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_save(
    *,
    actor: Any,
    user: User,
    email_kinds: Iterable[str],
    daily_digest: bool,
    language: str = "",
    expected_version: int | None = None,
) -> NotificationPreference:
    """A user's own choice of kinds by e-mail, digest and language; audited. With
    ``expected_version`` (the version read; 0 while none was saved) a change made since is
    refused (StaleEditError) and nothing changes."""
    if not can_change_preferences(actor, user):
        raise PermissionDenied("Each user chooses their own notifications.")
    kinds = sorted(set(email_kinds))
    unknown = [k for k in kinds if k not in Kind.values]
    if unknown:
        raise ValidationError(
            {
                "email_kinds": f"Unknown kinds: {', '.join(unknown)}. "
                f"Allowed: {', '.join(Kind.values)}."
            }
        )
    with transaction.atomic():
        preference = preference_of(user) or NotificationPreference(user=user)
        stored = preference.version if preference.pk is not None else 0
        if expected_version is not None and expected_version != stored:
            raise StaleEditError(preference)
        preference.email_kinds = kinds
        preference.daily_digest = daily_digest
        preference.language = language
        preference.full_clean()
        saved: NotificationPreference = save_audited(
            actor=actor,
            instance=preference,
            expected_version=expected_version if preference.pk is not None else None,
        )
        return saved
