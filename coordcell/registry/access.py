"""Who may see and change the registers. Pages, API and exports all ask here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest

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


class Refused(Http404):
    """Not this user's to see or do: answers 404, exactly like a missing object, and goes into the
    audit trail (``coordcell.audit.middleware``). A plain ``Http404`` is for what does not exist
    (a made-up path or id): it is never audited, so nobody can write audit rows at will."""


def refuse(reason: str = "") -> Refused:
    """``raise refuse("...")`` where a role may not open a page or an object is out of scope;
    the reason goes into the audit trail only, never to the user."""
    return Refused(reason)


def not_found(reason: str = "") -> Http404:
    """``raise not_found("...")`` for what does not exist (an unknown list, a register without
    that page): a plain 404, never audited. Views choose between this and ``refuse`` (a test
    checks that they never raise a bare ``Http404``)."""
    return Http404(reason)


REFUSAL_ATTRIBUTE = "coordcell_refusal"


def note_refusal(request: Any, reason: str) -> None:
    """Mark this request as refused, for the audit trail. For answers that are refusals but not
    raised as one: a JSON 403 of a feed endpoint, an API permission problem. Raising ``Refused``
    or ``PermissionDenied`` from a view marks it by itself."""
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    if isinstance(http_request, HttpRequest):
        setattr(http_request, REFUSAL_ATTRIBUTE, reason or "refused")


def is_refusal(exc: BaseException) -> bool:
    """A refusal to audit: out of scope (``Refused``) or not allowed (``PermissionDenied``)."""
    return isinstance(exc, Refused | PermissionDenied)


def get_visible_or_404[M: Model](queryset: QuerySet[M], **lookup: Any) -> M:
    """The object in the user's scope (``queryset``, from a ``*_visible_to``/``*_editable_by``).

    An object that exists outside the scope is ``Refused`` (audited); one that does not exist is a
    plain 404. Both answer the same 404 page: the difference is only in the audit trail."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        pass
    except MultipleObjectsReturned:  # a scope joining rows: still one object
        found = queryset.filter(**lookup).first()
        if found is not None:
            return found
    raise_not_found(queryset, **lookup)


def raise_not_found(queryset: QuerySet[Any], **lookup: Any) -> NoReturn:
    """Raise for an object not in ``queryset``: ``Refused`` when it exists outside the user's scope,
    else a plain ``Http404`` (no such object, or only filtered out of the user's own scope)."""
    try:
        elsewhere = queryset.model._default_manager.filter(**lookup).exists()
    except (ValueError, TypeError):
        elsewhere = False
    if elsewhere and not queryset.filter(**lookup).exists():
        raise Refused(f"{queryset.model._meta.label_lower} out of scope")
    raise Http404


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
