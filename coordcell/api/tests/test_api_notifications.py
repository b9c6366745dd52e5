"""The user's own notifications through the API: the inbox newest first with its cursor, marking
read (one or all), another user's notification answering 404 like a missing one, and the
preferences through the page's action with the version read (409 when stale)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from coordcell.audit.models import AuditEvent
from coordcell.notifications.models import Kind, Notification, NotificationPreference
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _notice(user, subject, minutes_ago=0):
    return Notification.objects.create(
        recipient=user,
        kind=Kind.PLEDGE_SLIPPED,
        subject=subject,
        body="Available later.",
        link="/pledges/1/",
        created_at=timezone.now() - timezone.timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def inbox(world):
    donor = world.users[Role.DONOR_LIAISON]
    older = _notice(donor, "Pledge P-1 slipped", minutes_ago=10)
    newer = _notice(donor, "Pledge P-2 slipped")
    theirs = _notice(world.users["donor-pl"], "Pledge P-9 slipped (Polish)")
    return older, newer, theirs


def test_a_user_reads_only_their_own_newest_first(world, inbox, api_for):
    older, newer, _theirs = inbox
    body = api_for(world.users[Role.DONOR_LIAISON]).get("/api/v1/notifications").json()
    assert [r["subject"] for r in body["results"]] == [newer.subject, older.subject]
    assert body["results"][0]["unread"] is True and body["results"][0]["read_at"] is None
    # The cell reads no one's inbox but its own.
    coordinator = api_for(world.users[Role.COORDINATOR])
    assert coordinator.get("/api/v1/notifications").json()["results"] == []


def test_the_list_pages_by_cursor(world, inbox, api_for):
    api = api_for(world.users[Role.DONOR_LIAISON])
    first = api.get("/api/v1/notifications?page_size=1").json()
    assert [r["id"] for r in first["results"]] == [inbox[1].pk]
    second = api.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [inbox[0].pk]
    assert api.get("/api/v1/notifications?page=2").status_code == 400


def test_another_users_notification_is_404_like_a_missing_one(world, inbox, api_for):
    _older, _newer, theirs = inbox
    api = api_for(world.users[Role.DONOR_LIAISON])
    missing = api.get("/api/v1/notifications/999999")
    other = api.get(f"/api/v1/notifications/{theirs.pk}")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert "Polish" not in other.content.decode()
    before = AuditEvent.objects.count()
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert AuditEvent.objects.count() > before  # the refusal is in the audit trail


def test_marking_one_and_all_read(world, inbox, api_for):
    older, newer, theirs = inbox
    api = api_for(world.users[Role.DONOR_LIAISON])
    answer = api.post(f"/api/v1/notifications/{older.pk}/read")
    assert answer.status_code == 200
    assert answer.json()["unread"] is False and answer.json()["read_at"]
    unread = api.get("/api/v1/notifications?unread=true").json()["results"]
    assert [r["id"] for r in unread] == [newer.pk]
    assert api.get("/api/v1/notifications?unread=maybe").status_code == 400
    assert api.post("/api/v1/notifications/read-all").json() == {"marked": 1}
    assert api.get("/api/v1/notifications?unread=true").json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is None  # nobody else's inbox changes


def test_anonymous_is_refused(world, inbox, client):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notification-preferences").status_code == 401


def test_preferences_are_read_and_saved_with_the_version_read(world, api_for):
    auditor = world.users[Role.AUDITOR]
    api = api_for(auditor)
    first = api.get("/api/v1/notification-preferences").json()
    assert first["version"] == 0 and first["daily_digest"] is False
    assert set(first["email_kinds"]) == set(Kind.values)  # no choice yet: everything by mail
    chosen = {
        "email_kinds": ["shipment_late"],
        "daily_digest": True,
        "language": "",
        "version": 0,
    }
    saved = api.put("/api/v1/notification-preferences", chosen, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["email_kinds"] == ["shipment_late"] and saved.json()["version"] == 1
    stored = NotificationPreference.objects.get(user=auditor)
    assert stored.daily_digest is True
    assert AuditEvent.objects.filter(
        target_type="notifications.notificationpreference", target_id=str(stored.pk)
    ).exists()
    # The same request again: the version read is no longer the stored one.
    stale = api.put("/api/v1/notification-preferences", chosen, format="json")
    assert stale.status_code == 409
    assert NotificationPreference.objects.get(user=auditor).version == 1
    again = api.put(
        "/api/v1/notification-preferences",
        {**chosen, "version": 1, "daily_digest": False},
        format="json",
    )
    assert again.status_code == 200 and again.json()["version"] == 2


def test_bad_preferences_are_a_clear_400(world, api_for):
    api = api_for(world.users[Role.DONOR_LIAISON])
    bad = api.put(
        "/api/v1/notification-preferences",
        {"email_kinds": ["gossip"], "daily_digest": False, "language": "xx", "version": 0},
        format="json",
    )
    assert bad.status_code == 400
    fields = {e["field"].split(".")[0] for e in bad.json()["errors"]}
    assert fields >= {"email_kinds", "language"}
    assert not NotificationPreference.objects.exists()
