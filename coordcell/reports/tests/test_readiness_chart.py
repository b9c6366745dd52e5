from __future__ import annotations

from typing import Any

from coordcell.readiness.models import CapabilityPackage
from coordcell.readiness.tests.conftest import package  # noqa: F401  (the readiness fixture)
from coordcell.registry.models import Role
from coordcell.reports.picture import picture
from coordcell.reports.scope import Scope


def test_readiness_timeline_shows_each_visible_package(world: Any, package: Any) -> None:  # noqa: F811
    charts = {c.slug: c for c in picture(world.users[Role.COORDINATOR], Scope())}
    timeline = charts["readiness"]
    names = [row[0] for row in timeline.table.rows]
    assert names == list(
        CapabilityPackage.objects.order_by("ready_on").values_list("name", flat=True)
    )
    assert timeline.kind == "gantt"


def test_recipient_dashboard_lists_capabilities_getting_ready(
    world: Any,
    package: Any,  # noqa: F811
    client_for: Any,
) -> None:
    response = client_for(world.users[Role.RECIPIENT_LIAISON]).get("/")
    titles = [p.title for p in response.context["board"].panels]
    assert "Capabilities getting ready, soonest first" in titles
