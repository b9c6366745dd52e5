"""schemathesis against the OpenAPI schema on a live server on loopback: every operation, with
valid and with invalid input — no server error, no answer outside the schema, and invalid input
refused."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as oas_checks

from coordcell.api.services import token_create
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CONFORMANCE = [
    st_checks.not_a_server_error,
    oas_checks.status_code_conformance,
    oas_checks.content_type_conformance,
    oas_checks.response_schema_conformance,
]


def test_every_operation_on_a_live_server(world, live_server):
    coordinator = world.users[Role.COORDINATOR]
    PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"], category=world.category)
    _, raw = token_create(actor=coordinator, user=coordinator, name="schemathesis-live")
    headers = {"Authorization": f"Bearer {raw}"}
    # The schema itself comes over the same loopback server (drf-spectacular can take several
    # seconds to build it on a busy machine: more than schemathesis's loader waits).
    answer = requests.get(
        f"{live_server.url}/api/v1/schema?format=json", headers=headers, timeout=120
    )
    assert answer.status_code == 200
    schema = schemathesis.openapi.from_dict(answer.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    counts = {"calls": 0}
    for operation in operations:
        for mode, chosen, examples in (
            (GenerationMode.POSITIVE, CONFORMANCE, 3),
            (GenerationMode.NEGATIVE, [*CONFORMANCE, oas_checks.negative_data_rejection], 3),
        ):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                counts["calls"] += 1
                case.call_and_validate(base_url=live_server.url, headers=headers, checks=chosen)  # noqa: B023  # called at once

            check()
    print(f"\nschemathesis live: {len(operations)} operations, {counts['calls']} calls")
