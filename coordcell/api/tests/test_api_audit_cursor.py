"""The audit trail pages by cursor: following ``next`` reads every event once, newest first."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from coordcell.audit.services import AuditEntry, record_many
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(world: Any, api_for: Any) -> Any:
    return api_for(world.users[Role.AUDITOR])


@pytest.fixture
def trail(world: Any, auditor: Any) -> list[int]:
    """25 more events, recorded in one bulk change (they share their time); every seq."""
    with transaction.atomic():
        record_many(
            actor=world.users[Role.COORDINATOR],
            verb="bulk",
            entries=(
                AuditEntry(
                    "pledges.pledge" if i % 2 else "requirements.requirement", str(i), f"#{i}", {}
                )
                for i in range(25)
            ),
        )
    from coordcell.audit.models import AuditEvent

    return list(AuditEvent.objects.order_by("-seq").values_list("seq", flat=True))


def _follow(api: Any, url: str) -> tuple[list[int], int]:
    seqs, pages = [], 0
    while url:
        body = api.get(url).json()
        assert "count" not in body  # no COUNT(*) over the whole trail
        seqs += [e["seq"] for e in body["results"]]
        url, pages = body["next"], pages + 1
    return seqs, pages


def test_following_next_reads_every_event_once_newest_first(trail, auditor):
    seqs, pages = _follow(auditor, "/api/v1/audit-events?page_size=10")
    assert seqs == trail and len(seqs) > 25 and pages == -(-len(seqs) // 10)


def test_previous_leads_back_to_the_same_page(trail, auditor):
    api = auditor
    first = api.get("/api/v1/audit-events?page_size=10").json()
    second = api.get(first["next"]).json()
    assert api.get(second["previous"]).json()["results"] == first["results"]


def test_oldest_first_by_seq_or_by_time_alike(trail, auditor):
    api = auditor
    by_seq, _ = _follow(api, "/api/v1/audit-events?page_size=7&ordering=seq")
    by_time, _ = _follow(api, "/api/v1/audit-events?page_size=7&ordering=at")
    assert by_seq == by_time == sorted(trail)


def test_filters_and_cursor_combine(trail, auditor):
    seqs, _ = _follow(auditor, "/api/v1/audit-events?page_size=5&target_type=pledges.pledge")
    assert len(seqs) == 12 and seqs == sorted(seqs, reverse=True)


def test_a_page_number_is_refused_with_what_to_do_instead(trail, auditor):
    answer = auditor.get("/api/v1/audit-events?page=2")
    assert answer.status_code == 400
    assert "cursor" in answer.json()["errors"][0]["detail"]


def test_a_forged_cursor_is_a_404_problem(trail, auditor):
    answer = auditor.get("/api/v1/audit-events?cursor=bz14")  # "o=x": no offset
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
