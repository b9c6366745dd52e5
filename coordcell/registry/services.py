"""Changes to the reference registers (nations, categories, locations, coalitions, ...) and to
users."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from coordcell.audit.models import AuditEvent
from coordcell.audit.services import (
    checked,
    create_many_audited,
    delete_audited,
    load_audited,
    save_audited,
    update_many_audited,
)

from .access import can_write_registers
from .capacity import can_change_hub_capacity
from .models import CategoryDomain, HubCapacity, Location, User


def reference_save(*, actor: Any, form: Any) -> models.Model:
    """Save a reference-data form; only the cell's coordinators keep reference data."""
    if not can_write_registers(actor):
        raise PermissionDenied("Only coordinators change reference data.")
    instance: models.Model = form.instance
    return save_audited(
        actor=actor,
        instance=instance,
        m2m=form.m2m_data(),
        expected_version=getattr(form, "expected_version", None),
    )


def reference_check(
    actor: Any, instance: models.Model, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one reference record of a batch (its model's own, and who keeps reference
    data), without a query per record. None when it passes."""
    problems = []
    if not can_write_registers(actor):
        problems.append(("__all__", ("Only coordinators change reference data.", "role")))
    return checked(instance, problems)


def references_save_many(
    *,
    actor: Any,
    creates: Sequence[models.Model],
    updates: Sequence[tuple[Mapping[str, Any], models.Model]],
) -> None:
    """Create and update many reference records of one kind (locations from an import) in the
    caller's transaction, one audit event each as ``reference_save`` records it."""
    bad = [
        (obj, error)
        for before, obj in [*((None, o) for o in creates), *updates]
        if (error := reference_check(actor, obj, before=before)) is not None
    ]
    if bad:
        raise ValidationError([f"{o}: {'; '.join(e.messages)}" for o, e in bad[:20]])
    with transaction.atomic():
        create_many_audited(actor=actor, objects=creates, unique_field="code")
        update_many_audited(actor=actor, pairs=updates)


def reference_delete(*, actor: Any, instance: models.Model) -> None:
    if not can_write_registers(actor):
        raise PermissionDenied("Only coordinators change reference data.")
    try:
        delete_audited(actor=actor, instance=instance)
    except models.ProtectedError as exc:
        users = sorted({str(o) for o in exc.protected_objects})[:5]
        raise ValidationError(
            gettext("%(record)s is still in use (by %(users)s…) and cannot be deleted.")
            % {"record": instance, "users": ", ".join(users)}
        ) from exc


def user_has_acted(user: User) -> bool:
    """Whether the audit trail names ``user`` as the one who did something (a log-in counts)."""
    return AuditEvent.objects.filter(actor=user).exists()


def user_deactivate(*, actor: Any, user: User) -> User:
    """The user can no longer log in or use a token; everything they did keeps their name."""
    if not user.is_active:
        return user
    user.is_active = False
    return save_audited(actor=actor, instance=user, verb="deactivate")


def user_remove(*, actor: Any, user: User) -> bool:
    """Delete ``user``, or deactivate them if anything recorded refers to them.

    The audit trail's events carry their actor's id under their hash: deleting a user who acted
    would change those events (or, as the foreign key is PROTECT, fail). Such a user is
    deactivated instead. Returns True if the user was deleted, False if deactivated.
    """
    if not user_has_acted(user):
        try:
            with transaction.atomic():
                delete_audited(actor=actor, instance=user)
            return True
        except models.ProtectedError:
            pass  # referred to by some other record (a shipment event, a run): keep them too
    user_deactivate(actor=actor, user=user)
    return False


def user_create(*, actor: Any, user: User, password: str) -> User:
    """A new user with a checked password (Django's validators), audited; ValidationError
    lists what is wrong (the nation's part for the role, a weak password)."""
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        return save_audited(actor=actor, instance=user)


def user_save_password(*, user: User) -> None:
    """Store a password already set on ``user`` (the caller records who set it; the trail
    never holds the hash)."""
    user.save(update_fields=["password"])


def admin_save(*, actor: Any, form: Any, formsets: Any, change: bool) -> models.Model:
    """A reference record saved in the admin with its inlines (hub capacities, stock numbers),
    each audited, in one transaction."""
    if not can_write_registers(actor):
        raise PermissionDenied("Only coordinators change reference data.")
    instance: models.Model = form.instance
    with transaction.atomic():
        saved = save_audited(
            actor=actor,
            instance=instance,
            m2m={
                f.name: form.cleaned_data[f.name]
                for f in instance._meta.many_to_many
                if f.name in form.cleaned_data
            },
            verb="admin-update" if change else "admin-create",
        )
        for formset in formsets:
            for obj in formset.save(commit=False):
                save_audited(actor=actor, instance=obj, verb="admin-update-related")
            for obj in formset.deleted_objects:
                delete_audited(actor=actor, instance=obj)
            formset.save_m2m()
        return saved


def admin_delete(*, actor: Any, instance: models.Model) -> None:
    if isinstance(instance, User):
        user_remove(actor=actor, user=instance)
        return
    reference_delete(actor=actor, instance=instance)


def references_load(
    *,
    actor: Any,
    objects: Sequence[Any],
    verb: str = "load",
    audit: bool = True,
    check: bool = True,
) -> int:
    """New reference records (and their many-to-many links) brought whole: nations, locations,
    categories, coalitions, capabilities, hub capacities, users. ``actor`` None is the
    installation itself (a command such as demo-data). Returns the number of audit events."""
    if actor is not None and not can_write_registers(actor):
        raise PermissionDenied("Only coordinators load records in bulk.")
    return load_audited(actor=actor, objects=objects, verb=verb, audit=audit, check=check)


# ---- hub capacities (docs/logistics.md, "Hub capacity") ----

ONLY_COORDINATORS_CHANGE_CAPACITIES = "Only coordinators change hub capacities."


def hub_capacity_save(
    actor: Any, capacity: HubCapacity, expected_version: int | None = None
) -> HubCapacity:
    """Create or change one capacity row of a hub (its weeks, figure and reason), audited.

    The row's rules are its model's (a Monday to start, an end not before it, a closure with a
    reason, one row per exact span). What the change does to planned shipments is
    ``coordcell.logistics.capacity_check.capacity_cut_weeks``'s to say."""
    if not can_change_hub_capacity(actor, capacity):
        raise PermissionDenied(ONLY_COORDINATORS_CHANGE_CAPACITIES)
    _prepare_capacity(actor, capacity)
    with transaction.atomic(), _telling_cuts(actor, capacity.hub, capacity.domain):
        return _save_capacity(actor, capacity, expected_version)


def _prepare_capacity(actor: Any, capacity: HubCapacity) -> None:
    if capacity.pk is None and capacity.created_by_id is None and getattr(actor, "pk", None):
        capacity.created_by = actor
    capacity.reason = (capacity.reason or "").strip()


def _save_capacity(
    actor: Any, capacity: HubCapacity, expected_version: int | None = None
) -> HubCapacity:
    creating = capacity.pk is None
    return save_audited(
        actor=actor,
        instance=capacity,
        expected_version=expected_version,
        verb="hub-capacity.create" if creating else "hub-capacity.update",
    )


def hub_capacity_check(
    actor: Any, capacity: HubCapacity, *, before: Mapping[str, Any] | None
) -> ValidationError | None:
    """Every rule of one capacity row of a batch (an import): who keeps capacities, and the
    row's model rules (the same ``hub_capacity_save`` applies). None when it passes."""
    problems = []
    if not can_change_hub_capacity(actor, capacity):
        problems.append(("__all__", (ONLY_COORDINATORS_CHANGE_CAPACITIES, "role")))
    _prepare_capacity(actor, capacity)
    return checked(capacity, problems)


def hub_capacities_save_many(
    *,
    actor: Any,
    creates: Sequence[HubCapacity],
    updates: Sequence[tuple[Mapping[str, Any], HubCapacity]],
) -> None:
    """Create and change many capacity rows (an import) in the caller's transaction, each
    audited as ``hub_capacity_save`` records it, and the cuts told once per hub and domain.
    A hub has a handful of rows: one save per row keeps the model's rule "one row per exact
    span" checked against the rows saved before it in the same batch."""
    rows = [*creates, *(capacity for _before, capacity in updates)]
    bad = [(c, error) for c in rows if (error := hub_capacity_check(actor, c, before=None))]
    if bad:
        raise ValidationError([f"{c}: {'; '.join(e.messages)}" for c, e in bad[:20]])
    groups: dict[tuple[int, str], list[HubCapacity]] = {}
    for capacity in rows:
        groups.setdefault((capacity.hub_id, capacity.domain), []).append(capacity)
    with transaction.atomic():
        for group in groups.values():
            with _telling_cuts(actor, group[0].hub, group[0].domain):
                for capacity in group:
                    _save_capacity(actor, capacity)


# How far ahead a cut is told: the allocation's default horizon.
CUT_WEEKS = 26


@contextlib.contextmanager
def _telling_cuts(actor: Any, hub: Location, domain: str) -> Iterator[None]:
    """Around a change of a hub's capacity rows: the weeks whose capacity it lowers are told to
    the cell (``notify_capacity_cut``), each as "week of <Monday>: before → after"."""
    from .capacity import hub_capacity_by_week, monday_of

    start = monday_of(timezone.now().date())

    def figures() -> list[int]:
        by_week = hub_capacity_by_week(start=start, weeks=CUT_WEEKS, hub_ids=[hub.pk])
        return by_week.get((hub.pk, domain), [0] * CUT_WEEKS)

    before = figures()
    yield
    after = figures()
    cut = [
        f"{start + dt.timedelta(weeks=n):%Y-%m-%d}: {old} → {new}"
        for n, (old, new) in enumerate(zip(before, after, strict=True))
        if new < old
    ]
    if cut:
        # Notifications build on every record type: asked at call time.
        from coordcell.notifications.services import notify_capacity_cut

        notify_capacity_cut(hub, domain, cut, actor)


def hub_capacity_close(
    actor: Any,
    hub: Location,
    domain: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    reason: str,
) -> HubCapacity:
    """Close ``hub`` for ``domain`` in the weeks from ``valid_from`` to ``valid_until``: a row of
    0 units per week with the reason, narrower than the standing figure, so it wins its weeks."""
    if not can_change_hub_capacity(actor):
        raise PermissionDenied(ONLY_COORDINATORS_CHANGE_CAPACITIES)
    if domain not in CategoryDomain.values:
        raise ValidationError({"domain": f"Choose a domain; {domain!r} is not one."})
    closure = HubCapacity(
        hub=hub,
        domain=domain,
        valid_from=valid_from,
        valid_until=valid_until,
        weekly_capacity=0,
        reason=(reason or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    with transaction.atomic(), _telling_cuts(actor, hub, domain):
        return save_audited(actor=actor, instance=closure, verb="hub-capacity.close")


def hub_capacity_delete(actor: Any, capacity: HubCapacity) -> None:
    """Remove one capacity row; the weeks it covered fall back to the next row covering them."""
    if not can_change_hub_capacity(actor, capacity):
        raise PermissionDenied(ONLY_COORDINATORS_CHANGE_CAPACITIES)
    with transaction.atomic(), _telling_cuts(actor, capacity.hub, capacity.domain):
        delete_audited(actor=actor, instance=capacity)
