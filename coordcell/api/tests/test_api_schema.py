"""The OpenAPI schema describes what the endpoints really answer (schemathesis, in-process), over
a world with a record of every kind the API serves."""

import datetime as dt
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as oas_checks

from coordcell.allocation import services as allocation
from coordcell.api.services import token_create
from coordcell.audit.models import AuditEvent
from coordcell.logistics.discrepancies import discrepancy_record
from coordcell.logistics.lifecycle import S
from coordcell.logistics.models import Discrepancy, SerialItem
from coordcell.logistics.tests.factories import event, ingest, make_shipment
from coordcell.notifications.models import Kind, Notification
from coordcell.pledges.deliveries import pledge_delivery_save
from coordcell.pledges.models import PledgeDelivery
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.readiness.tests.conftest import estate, package  # noqa: F401 (fixtures)
from coordcell.registry.models import HubCapacity, Organisation, Role
from coordcell.registry.tests.factories import ItemCategoryFactory
from coordcell.training import scheduling
from coordcell.wsgi import application

pytestmark = pytest.mark.django_db

# Business rules (an unknown category code, a depot of the wrong kind) reject data the schema
# allows: that is a 400 with problem details, which the other checks still verify.
CHECKS = [
    st_checks.not_a_server_error,
    oas_checks.status_code_conformance,
    oas_checks.content_type_conformance,
    oas_checks.response_schema_conformance,
    oas_checks.response_headers_conformance,
]
EXAMPLES = 6


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Calls through the WSGI application end with Django closing the database connection, which
    is the test's own transaction here; the test client does the same disconnect."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(world, estate, django_capture_on_commit_callbacks, settings, tmp_path):  # noqa: F811
    """One record of every kind the API serves, so that every detail operation is reached with
    the id of a record that exists (not only as a 404): resource path -> id."""
    settings.MEDIA_ROOT = tmp_path  # the discrepancy's photo
    coordinator = world.users[Role.COORDINATOR]
    pledge = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], category=world.category
    )
    serialised = make_shipment(
        world,
        run=estate.p.run,
        category=ItemCategoryFactory(code="manpads", sensitive=True),
        quantity=2,
    )
    at = timezone.now() - dt.timedelta(days=1)
    assert not ingest(
        world,
        [
            event(serialised, S.READY, at, serials=["M-1", "M-2"]),
            event(serialised, S.DEPARTED, at + dt.timedelta(hours=1)),
            event(serialised, S.AT_HUB, at + dt.timedelta(hours=5), serials=["M-1"], quantity=1),
        ],
    ).rejected
    discrepancy = discrepancy_record(
        actor=coordinator,
        shipment=serialised,
        kind=Discrepancy.Kind.DAMAGED,
        quantity=1,
        serial="",
        description="Crate crushed",
        photos=[SimpleUploadedFile("crate.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")],
    )
    delivery = pledge_delivery_save(
        actor=coordinator,
        delivery=PledgeDelivery(
            pledge=pledge,
            quantity=1,
            delivered_on=dt.date.today() - dt.timedelta(days=3),
            source="Handover note",
        ),
    )
    organisation = Organisation.objects.create(
        nation=world.nations["DE"],
        name="Bundeswehr logistics",
        kind=Organisation.Kind.choices[0][0],
    )
    notice = Notification.objects.create(
        recipient=coordinator,
        kind=Kind.PLEDGE_SLIPPED,
        subject="P-1 slipped",
        body="Later.",
        created_at=timezone.now(),
    )
    start = estate.p.start
    solved = allocation.run_create(actor=coordinator, planning_start=start, enqueue=False)
    allocation.run_execute(solved.pk)
    what_if = allocation.run_create(
        actor=coordinator,
        planning_start=start,
        changes=[
            {"type": "raise_priority", "requirement": estate.p.rounds.reference, "priority": 1}
        ],
        base_run=solved,
        enqueue=False,
    )
    allocation.run_execute(what_if.pk)
    schedule = scheduling.run_create(actor=coordinator, planning_start=start, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.run_execute(schedule.pk)
    ids = {
        "pledges": pledge.pk,
        "requirements": estate.p.rounds.pk,
        "nations": world.nations["DE"].pk,
        "organisations": organisation.pk,
        "categories": world.category.pk,
        "locations": world.hub.pk,
        "coalitions": world.capability.coalition_id,
        "capabilities": world.capability.pk,
        "audit-events": AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0],
        "allocation-runs": solved.pk,
        "allocation-runs/{id}/compare": what_if.pk,
        "schedule-runs": schedule.pk,
        "shipments": estate.guns.pk,
        "serial-items": SerialItem.objects.filter(shipment_line__shipment=serialised)[0].pk,
        "discrepancies": discrepancy.pk,
        "discrepancies/{id}/photos/{photo}": {
            "id": discrepancy.pk,
            "photo": discrepancy.photos.get().pk,
        },
        "hub-capacities": HubCapacity.objects.first().pk,
        "notifications": notice.pk,
        "capability-packages": estate.package.pk,
        "courses": estate.p.op.pk,
        "training-sites": estate.p.site.pk,
        "training-sessions": estate.p.session.pk,
        "cohorts": estate.british_cohort.pk,
        "bookings": estate.british_cohort.bookings.first().pk,
        "pledge-deliveries": delivery.pk,
    }
    assert all(ids.values()), ids
    return ids


def _real_id(ids: dict[str, Any], path: str) -> dict[str, int] | None:
    """The real path parameters for an operation's path ``/api/v1/<resource>/{id}...``, if it
    takes any."""
    resource = path.split("/api/v1/", 1)[-1]
    if "{" not in resource:
        return None
    found = ids.get(resource) or ids[resource.split("/", 1)[0]]
    return found if isinstance(found, dict) else {resource.split("{")[1].split("}")[0]: found}


def _last(operation) -> bool:
    """Deletions and the actions that end a record run last, so that every other operation
    still finds the records they end."""
    return operation.method.upper() == "DELETE" or operation.path.endswith(
        ("/cancel", "/commit", "/discard")
    )


@pytest.mark.slow
def test_api_answers_as_its_schema_says(world, real_ids, wsgi_keeps_the_test_connection):
    coordinator = world.users[Role.COORDINATOR]
    _, raw = token_create(actor=coordinator, user=coordinator, name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema?format=json", application, headers=headers
    )
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_last)
    assert len(operations) > 40
    reached: dict[str, set[int]] = {}
    for operation in operations:
        real = _real_id(real_ids, operation.path)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            if real is not None:  # noqa: B023  # called at once
                case.path_parameters = {**case.path_parameters, **real}  # noqa: B023
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            reached.setdefault(case.operation.label, set()).add(response.status_code)

        check()
    # Every detail operation was reached with a real record: a GET of it is found.
    details = [op.label for op in operations if "{" in op.path and op.method.upper() == "GET"]
    assert details and all(200 in reached[label] for label in details), {
        label: reached[label] for label in details if 200 not in reached[label]
    }
