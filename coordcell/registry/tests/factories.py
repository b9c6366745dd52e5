from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import factory

from coordcell.registry.models import (
    Capability,
    CapabilityCoalition,
    HubCapacity,
    ItemCategory,
    Location,
    Nation,
    Role,
    User,
)


class NationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    name = factory.LazyAttribute(lambda o: f"Nation {o.code}")
    is_donor = True


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"loc-{n}")
    name = factory.Sequence(lambda n: f"Location {n}")
    kind = Location.Kind.DEPOT
    nation = factory.SubFactory(NationFactory)
    latitude = Decimal("50.0")
    longitude = Decimal("20.0")


class ItemCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemCategory

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    domain = "artillery"
    unit = ItemCategory.Unit.ROUND
    nsc = "1320"


class CoalitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapabilityCoalition

    name = factory.Sequence(lambda n: f"Coalition {n}")
    domain = "artillery"


class CapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capability

    code = factory.Sequence(lambda n: f"cap-{n}")
    name = factory.Sequence(lambda n: f"Capability {n}")
    coalition = factory.SubFactory(CoalitionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.COORDINATOR
    password = factory.django.Password("a-long-test-password")


@dataclass
class World:
    """Two donors (Germany, Poland), a recipient (Ukraine), a host (UK) and one user per role."""

    nations: dict[str, Nation]
    users: dict[str, User]
    hub: Location
    delivery_point: Location
    depots: dict[str, Location]
    category: ItemCategory
    capability: Capability
    today: dt.date = field(default_factory=dt.date.today)
    extra: dict[str, Any] = field(default_factory=dict)


def make_world() -> World:
    nations = {
        "DE": NationFactory(code="DE", name="Germany", is_donor=True, is_host=True),
        "PL": NationFactory(code="PL", name="Poland", is_donor=True),
        "GB": NationFactory(code="GB", name="United Kingdom", is_donor=True, is_host=True),
        "UA": NationFactory(code="UA", name="Ukraine", is_donor=False, is_recipient=True),
    }
    hub = LocationFactory(
        code="rzeszow",
        name="Rzeszów-Jasionka",
        kind=Location.Kind.HUB,
        nation=nations["PL"],
        is_main_hub=True,
    )
    HubCapacity.objects.create(hub=hub, domain="artillery", weekly_capacity=1000)
    delivery_point = LocationFactory(
        code="dp-lviv",
        name="Lviv handover point",
        kind=Location.Kind.DELIVERY_POINT,
        nation=nations["UA"],
    )
    depots = {
        code: LocationFactory(
            code=f"depot-{code.lower()}", name=f"{code} depot", nation=nations[code]
        )
        for code in ("DE", "PL")
    }
    users = {
        Role.COORDINATOR: UserFactory(username="coord", role=Role.COORDINATOR),
        Role.AUDITOR: UserFactory(username="audit", role=Role.AUDITOR),
        Role.DONOR_LIAISON: UserFactory(
            username="donor-de", role=Role.DONOR_LIAISON, nation=nations["DE"]
        ),
        "donor-pl": UserFactory(username="donor-pl", role=Role.DONOR_LIAISON, nation=nations["PL"]),
        Role.RECIPIENT_LIAISON: UserFactory(
            username="recipient", role=Role.RECIPIENT_LIAISON, nation=nations["UA"]
        ),
        Role.TRAINING_SITE_OFFICER: UserFactory(
            username="trainer", nation=nations["GB"], role=Role.TRAINING_SITE_OFFICER
        ),
    }
    return World(
        nations=nations,
        users=users,
        hub=hub,
        delivery_point=delivery_point,
        depots=depots,
        category=ItemCategoryFactory(code="ammo-155", name="155 mm HE round"),
        capability=CapabilityFactory(code="sp-arty", name="Self-propelled artillery brigade"),
    )
