"""Who may see and change the registers. Pages, API and exports all ask here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from .models import (
    Capability,
    CapabilityCoalition,
    Location,
    Nation,
    Organisation,
    Role,
    User,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser


def as_user(user: Any) -> User | None:
    """The active coordcell user behind a request, or None (anonymous or disabled)."""
    if isinstance(user, User) and user.is_active:
        return user
    return None


def can_write_registers(user: Any) -> bool:
    """Reference data (nations, categories, locations, coalitions) is kept by the cell's staff,
    and by the installation's administrator in the admin site."""
    u = as_user(user)
    return bool(u and (u.is_coordinator or u.is_superuser))


def nations_visible_to(user: Any) -> QuerySet[Nation]:
    return Nation.objects.all() if as_user(user) else Nation.objects.none()


def organisations_visible_to(user: Any) -> QuerySet[Organisation]:
    return (
        Organisation.objects.select_related("nation")
        if as_user(user)
        else Organisation.objects.none()
    )


def locations_visible_to(user: Any) -> QuerySet[Location]:
    """Depots are a donor's own business: others see hubs, delivery points and sites only."""
    u = as_user(user)
    qs = Location.objects.select_related("nation")
    if u is None:
        return qs.none()
    if u.sees_everything:
        return qs
    if u.is_donor_liaison:
        return qs.filter(~Q(kind=Location.Kind.DEPOT) | Q(nation_id=u.nation_id))
    return qs.exclude(kind=Location.Kind.DEPOT)


def coalitions_visible_to(user: Any) -> QuerySet[CapabilityCoalition]:
    qs = CapabilityCoalition.objects.prefetch_related("lead_nations")
    return qs if as_user(user) else qs.none()


def capabilities_visible_to(user: Any) -> QuerySet[Capability]:
    qs = Capability.objects.select_related("coalition")
    return qs if as_user(user) else qs.none()


def users_visible_to(user: Any) -> QuerySet[User]:
    u = as_user(user)
    if u and u.sees_everything:
        return User.objects.select_related("nation")
    return User.objects.none()


ROLE_SUMMARY = {
    Role.COORDINATOR: "sees everything, runs allocations, plans shipments and training",
    Role.DONOR_LIAISON: "registers its nation's pledges; sees only its own nation's",
    Role.RECIPIENT_LIAISON: "registers prioritised requirements and cohorts; confirms receipt",
    Role.TRAINING_SITE_OFFICER: "runs course sessions at its sites",
    Role.AUDITOR: "reads everything, including the audit trail; changes nothing",
}
