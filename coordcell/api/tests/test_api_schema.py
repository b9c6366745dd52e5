"""The OpenAPI schema describes what the endpoints really answer (schemathesis, in-process)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as oas_checks

from coordcell.api.services import token_create
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role
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


@pytest.mark.slow
def test_api_answers_as_its_schema_says(world, wsgi_keeps_the_test_connection):
    coordinator = world.users[Role.COORDINATOR]
    PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"], category=world.category)
    _, raw = token_create(actor=coordinator, user=coordinator, name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema?format=json", application, headers=headers
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
