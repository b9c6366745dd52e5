from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from coordcell.registry.access import as_user

from .models import Pledge, PledgeDelivery


def pledges_visible_to(user: Any) -> QuerySet[Pledge]:
    """A donor liaison sees its own nation's pledges only; the recipient sees confirmed ones."""
    u = as_user(user)
    qs = Pledge.objects.select_related("donor", "category", "origin")
    if u is None:
        return qs.none()
    if u.sees_everything:
        return qs
    if u.is_donor_liaison:
        return qs.filter(donor_id=u.nation_id)
    if u.is_recipient_liaison:
        return qs.filter(status=Pledge.Status.CONFIRMED)
    return qs.none()


# Decision (docs/security.md): the recipient reads what is coming to it from a confirmed pledge
# (donor, category, quantity, when, which capabilities it may serve), not the donor's terms: its
# value, currency and valuation basis are the donor's and the cell's reporting; the origin depot
# and the hubs it may go through are the route; the conditions are free text that holds routes
# ("Only through Rzeszów or …") and terms. Its end-use restriction is a field the recipient reads:
# allowed_capabilities.
HIDDEN_FROM_THE_RECIPIENT = frozenset(
    {"value", "currency", "valuation_basis", "conditions", "origin", "allowed_hubs"}
)


def pledge_fields_hidden_from(user: Any) -> frozenset[str]:
    """The pledge fields ``user`` may not read, on every pledge it sees: the one place that
    decides, used by the register (pages, exports), the API and the reports."""
    u = as_user(user)
    if u is not None and u.is_recipient_liaison:
        return HIDDEN_FROM_THE_RECIPIENT
    return frozenset()


def pledges_editable_by(user: Any) -> QuerySet[Pledge]:
    u = as_user(user)
    if u is None:
        return Pledge.objects.none()
    if u.is_coordinator:
        return pledges_visible_to(u)
    if u.is_donor_liaison:
        return pledges_visible_to(u)
    return Pledge.objects.none()


def can_create_pledge(user: Any) -> bool:
    u = as_user(user)
    return bool(u and (u.is_coordinator or u.is_donor_liaison))


def can_save_pledge(user: Any, pledge: Pledge) -> bool:
    """Create or change ``pledge`` (as it would be saved): the cell's coordinators any pledge, a
    donor liaison its own nation's. Asked per pledge of a batch too: no query."""
    u = as_user(user)
    if u is None:
        return False
    if u.is_coordinator:
        return True
    return u.is_donor_liaison and pledge.donor_id == u.nation_id


def can_confirm_pledge(user: Any, pledge: Pledge) -> bool:
    """Confirm an offered pledge: the coordination cell's act (docs/security.md)."""
    u = as_user(user)
    return bool(u and u.is_coordinator and pledge.status == Pledge.Status.OFFERED)


def can_confirm_pledges(user: Any) -> bool:
    """Whether the user confirms pledges at all (the bulk confirmation page)."""
    u = as_user(user)
    return bool(u and u.is_coordinator)


def pledges_to_confirm(user: Any) -> QuerySet[Pledge]:
    """The offered pledges the user may confirm, the earliest available first."""
    if not can_confirm_pledges(user):
        return Pledge.objects.none()
    return (
        pledges_editable_by(user)
        .filter(status=Pledge.Status.OFFERED)
        .order_by("available_from", "reference")
    )


def pledge_deliveries_visible_to(user: Any) -> QuerySet[PledgeDelivery]:
    """A pledge's delivered history, as its ledger: the cell, auditors and the pledge's own
    donor. Its source is free text (a tracker's note, a handover record) the recipient does not
    read, as it does not read a pledge's conditions."""
    u = as_user(user)
    if u is None or not (u.sees_everything or u.is_donor_liaison):
        return PledgeDelivery.objects.none()
    if u.sees_everything:  # every pledge: every entry, those of deleted pledges' events too
        return PledgeDelivery.objects.all()
    return PledgeDelivery.objects.filter(pledge__in=pledges_visible_to(u).values("pk"))


def can_save_pledge_delivery(user: Any, delivery: PledgeDelivery) -> bool:
    """Record or correct a pledge's delivered history: whoever may change the pledge (the cell,
    the pledge's own donor liaison). No query: the pledge is set on the entry."""
    return can_save_pledge(user, delivery.pledge)
