"""The reference registers' pages: what each list shows and who may change it."""

from collections.abc import Callable
from typing import Any

from django.db import models

from coordcell.registry import access, filters, forms
from coordcell.registry.capacity import can_see_hub_capacities
from coordcell.registry.models import (
    Capability,
    CapabilityCoalition,
    ItemCategory,
    Location,
    Nation,
    Organisation,
    User,
)
from coordcell.registry.registers import Column, Register
from coordcell.registry.services import reference_delete, reference_save

QuerySetFn = Callable[[Any], models.QuerySet[Any]]


def _everyone_logged_in(model: type[models.Model]) -> QuerySetFn:
    def visible(user: Any) -> models.QuerySet[Any]:
        rows = model._default_manager.all()
        return rows if access.as_user(user) else rows.none()

    return visible


def _coordinators(qs_fn: QuerySetFn) -> QuerySetFn:
    def editable(user: Any) -> models.QuerySet[Any]:
        return qs_fn(user) if access.can_write_registers(user) else qs_fn(user).none()

    return editable


def _capacities_hidden_from(user: Any) -> frozenset[str]:
    """A hub's throughput is route information: only the cell and auditors read it."""
    return frozenset() if can_see_hub_capacities(user) else frozenset({"capacities"})


NATIONS = Register(
    slug="nations",
    model=Nation,
    title="Nations",
    columns=(
        Column("code", "Code", "code"),
        Column("name", "Name", "name"),
        Column("coalition_roles", "Role in the coalition"),
    ),
    visible=access.nations_visible_to,
    editable=_coordinators(access.nations_visible_to),
    can_create=access.can_write_registers,
    form_class=forms.NationForm,
    filterset_class=filters.NationFilter,
    search_fields=("code", "name"),
    detail_fields=("code", "name", "is_donor", "is_recipient", "is_host"),
    save=reference_save,
    delete=reference_delete,
    default_sort="name",
)

ORGANISATIONS = Register(
    slug="organisations",
    model=Organisation,
    title="Organisations",
    columns=(
        Column("name", "Name", "name"),
        Column("nation", "Nation", "nation__name"),
        Column("kind", "Kind", "kind"),
    ),
    visible=access.organisations_visible_to,
    editable=_coordinators(access.organisations_visible_to),
    can_create=access.can_write_registers,
    form_class=forms.OrganisationForm,
    filterset_class=filters.OrganisationFilter,
    search_fields=("name", "nation__name"),
    detail_fields=("name", "nation", "kind"),
    save=reference_save,
    delete=reference_delete,
)

CATEGORIES = Register(
    slug="categories",
    model=ItemCategory,
    title="Item categories",
    columns=(
        Column("code", "Code", "code"),
        Column("name", "Name", "name"),
        Column("domain", "Domain", "domain"),
        Column("unit", "Unit"),
        Column("nsc", "NSC", "nsc"),
        Column("sensitive", "Sensitive", "sensitive"),
    ),
    visible=_everyone_logged_in(ItemCategory),
    editable=_coordinators(_everyone_logged_in(ItemCategory)),
    can_create=access.can_write_registers,
    form_class=forms.ItemCategoryForm,
    filterset_class=filters.ItemCategoryFilter,
    search_fields=("code", "name", "nsc"),
    detail_fields=(
        "code",
        "name",
        "domain",
        "unit",
        "nsc",
        "sensitive",
        "can_serve",
        "served_by",
        "stock_numbers",
    ),
    save=reference_save,
    delete=reference_delete,
    default_sort="code",
)

LOCATIONS = Register(
    slug="locations",
    model=Location,
    title="Locations",
    columns=(
        Column("code", "Code", "code"),
        Column("name", "Name", "name"),
        Column("kind", "Kind", "kind"),
        Column("nation", "Nation", "nation__name"),
    ),
    visible=access.locations_visible_to,
    editable=_coordinators(access.locations_visible_to),
    can_create=access.can_write_registers,
    form_class=forms.LocationForm,
    filterset_class=filters.LocationFilter,
    search_fields=("code", "name"),
    detail_fields=(
        "code",
        "name",
        "kind",
        "nation",
        "latitude",
        "longitude",
        "is_main_hub",
        "capacities",
    ),
    save=reference_save,
    delete=reference_delete,
    hidden=_capacities_hidden_from,
)

COALITIONS = Register(
    slug="coalitions",
    model=CapabilityCoalition,
    title="Capability coalitions",
    columns=(
        Column("name", "Name", "name"),
        Column("domain", "Domain", "domain"),
        Column("lead_nations", "Lead nations"),
    ),
    visible=access.coalitions_visible_to,
    editable=_coordinators(access.coalitions_visible_to),
    can_create=access.can_write_registers,
    form_class=forms.CoalitionForm,
    search_fields=("name",),
    detail_fields=("name", "domain", "lead_nations", "members"),
    save=reference_save,
    delete=reference_delete,
)

CAPABILITIES = Register(
    slug="capabilities",
    model=Capability,
    title="Capabilities",
    columns=(
        Column("code", "Code", "code"),
        Column("name", "Name", "name"),
        Column("coalition", "Coalition", "coalition__name"),
    ),
    visible=access.capabilities_visible_to,
    editable=_coordinators(access.capabilities_visible_to),
    can_create=access.can_write_registers,
    form_class=forms.CapabilityForm,
    search_fields=("code", "name"),
    detail_fields=("code", "name", "coalition", "description"),
    save=reference_save,
    delete=reference_delete,
)

USERS = Register(
    slug="users",
    model=User,
    title="Users and roles",
    columns=(
        Column("username", "User", "username"),
        Column("get_full_name", "Name"),
        Column("role", "Role", "role"),
        Column("nation", "Acts for", "nation__name"),
        Column("is_active", "Active", "is_active"),
    ),
    visible=access.users_visible_to,
    editable=lambda user: User.objects.none(),
    can_create=lambda user: False,
    search_fields=("username", "first_name", "last_name"),
    detail_fields=(
        "username",
        "get_full_name",
        "email",
        "role",
        "nation",
        "organisation",
        "is_active",
        "last_login",
    ),
)
