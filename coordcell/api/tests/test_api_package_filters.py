"""Capability packages are found by the codes people use: the package's reference, its
capability's code (any case), the coalition's domain and the ready-on date."""

from __future__ import annotations

import pytest

from coordcell.readiness.tests.conftest import estate, package  # noqa: F401 (fixtures)
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/capability-packages"


def _refs(api, query):
    answer = api.get(f"{URL}?{query}")
    assert answer.status_code == 200, answer.json()
    return [row["reference"] for row in answer.json()["results"]]


def test_a_package_is_found_by_its_reference_or_its_capabilitys_code(world, estate, api_for):  # noqa: F811
    api = api_for(world.users[Role.COORDINATOR])
    reference = estate.package.reference
    capability = world.capability.code
    assert _refs(api, f"code={reference.lower()}") == [reference]
    assert _refs(api, f"code={capability.upper()}") == [reference]
    assert _refs(api, f"reference={reference}") == [reference]
    assert _refs(api, f"capability={capability}") == [reference]
    assert _refs(api, "code=CP-9999") == []
    ready = estate.package.ready_on
    assert _refs(api, f"ready_before={ready.isoformat()}") == [reference]
    assert _refs(api, f"ready_before={ready.replace(year=ready.year - 1).isoformat()}") == []
    domain = world.capability.coalition.domain
    assert _refs(api, f"domain={domain}") == [reference]


def test_an_unknown_capability_code_or_domain_is_a_400_naming_the_filter(world, estate, api_for):  # noqa: F811
    api = api_for(world.users[Role.COORDINATOR])
    for query, field in (("capability=no-such", "capability"), ("domain=space", "domain")):
        answer = api.get(f"{URL}?{query}")
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["field"] == field


def test_a_code_finds_only_a_package_the_reader_sees(world, estate, api_for):  # noqa: F811
    # Nobody may tell, through a filter, a package they do not see from one that does not exist.
    reference = estate.package.reference
    for role in Role:
        api = api_for(world.users[role])
        listed = _refs(api, "")
        assert _refs(api, f"code={reference}") == [r for r in listed if r == reference]
