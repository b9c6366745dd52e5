"""The inbox and the settings page, through HTTP, as each user reads them."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.notifications import services
from coordcell.notifications.models import Kind, NotificationPreference
from coordcell.pledges.services import pledge_save
from coordcell.pledges.tests.factories import PledgeFactory

from .conftest import inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def slipped(world, people):
    """Germany's confirmed pledge slips, by the coordinator: Germany, the recipient and the
    auditor are told."""
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"])
    pledge.available_from += dt.timedelta(days=10)
    pledge_save(actor=people.coord, pledge=pledge)
    return pledge


def test_the_inbox_lists_the_users_own_notices_with_the_unread_count(client_for, people, slipped):
    page = client_for(people.donor_de).get("/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert slipped.reference in html and "10 days later" in html
    assert "Inbox <span" in html and "(1)" in html  # the header's unread count


def test_another_nation_reads_nothing_in_its_inbox(client_for, people, slipped):
    html = client_for(people.donor_pl).get("/inbox/").content.decode()
    assert slipped.reference not in html
    assert "No notification." in html


def test_the_unread_count_is_on_every_page(client_for, people, slipped):
    html = client_for(people.recipient).get("/readiness/").content.decode()
    assert 'href="/inbox/"' in html and "(1)" in html


def test_mark_read_and_mark_all_read(client_for, people, world, slipped):
    services.notify_capacity_cut(world.hub, "artillery", ["2027-W05"])
    client = client_for(people.auditor)
    first, second = inbox(people.auditor)
    answer = client.post("/inbox/read/", {"id": [first.pk], "next": "/inbox/?unread=1"})
    assert answer.status_code == 302 and answer["Location"] == "/inbox/?unread=1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    unread = client.get("/inbox/?unread=1").content.decode()
    assert second.subject in unread and first.subject not in unread

    client.post("/inbox/read/", {"all": "1"})
    assert all(n.read_at for n in inbox(people.auditor))
    assert "(1)" not in client.get("/inbox/").content.decode().split("<main")[0]


def test_opening_a_notice_marks_it_read_and_goes_to_the_record(client_for, people, slipped):
    [notice] = inbox(people.recipient)
    client = client_for(people.recipient)
    answer = client.post("/inbox/open/", {"id": notice.pk})
    assert answer.status_code == 302 and answer["Location"] == f"/pledges/{slipped.pk}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.get(answer["Location"]).status_code == 200


def test_the_record_applies_its_own_check_after_the_inbox(client_for, people, world, slipped):
    # The recipient is told of a withdrawal; the pledge page itself then answers 404.
    slipped.status = "withdrawn"
    pledge_save(actor=people.coord, pledge=slipped)
    client = client_for(people.recipient)
    assert client.get(f"/pledges/{slipped.pk}/").status_code == 404
    withdrawn = inbox(people.recipient, Kind.PLEDGE_WITHDRAWN)[0]
    assert withdrawn.link == ""


def test_nobody_reads_or_marks_another_users_notice(client_for, people, slipped):
    [notice] = inbox(people.donor_de)
    client = client_for(people.donor_pl)
    assert client.post("/inbox/open/", {"id": notice.pk}).status_code == 404
    client.post("/inbox/read/", {"id": [notice.pk]})
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_inbox_needs_a_login(client):
    answer = client.get("/inbox/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_preferences_are_saved_and_audited(client_for, people):
    client = client_for(people.recipient)
    page = client.get("/inbox/preferences/")
    assert page.status_code == 200
    assert page.content.decode().count('type="checkbox"') == len(Kind.values) + 1
    answer = client.post(
        "/inbox/preferences/",
        {
            "email_kinds": [Kind.SHIPMENT_CANCELLED, Kind.SESSION_CANCELLED],
            "daily_digest": "on",
            "language": "uk",
        },
    )
    assert answer.status_code == 302
    preference = NotificationPreference.objects.get(user=people.recipient)
    assert preference.email_kinds == [Kind.SESSION_CANCELLED, Kind.SHIPMENT_CANCELLED]
    assert preference.daily_digest and preference.language == "uk"
    assert AuditEvent.objects.filter(
        target_type="notifications.notificationpreference", target_id=str(preference.pk)
    ).exists()


def test_an_unknown_kind_is_refused_with_a_message(client_for, people):
    answer = client_for(people.recipient).post(
        "/inbox/preferences/", {"email_kinds": ["pledge_slipped", "everything"]}
    )
    assert answer.status_code == 200
    assert "Select a valid choice" in answer.content.decode()
    assert not NotificationPreference.objects.filter(user=people.recipient).exists()


def test_nobody_changes_another_users_preferences(people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.preference_save(
            actor=people.coord, user=people.recipient, email_kinds=[], daily_digest=False
        )


def test_a_notice_is_written_in_the_recipients_language(world, people):
    services.preference_save(
        actor=people.auditor,
        user=people.auditor,
        email_kinds=[],
        daily_digest=False,
        language="uk",
    )
    services.notify_capacity_cut(world.hub, "artillery", ["2027-W05"])
    [ukrainian] = inbox(people.auditor)
    [english] = inbox(people.coord)
    assert english.subject == f"Capacity of {world.hub.name} cut"
    assert ukrainian.kind == english.kind  # same notice; its words follow the catalogue


def test_the_inbox_escapes_what_it_prints(client_for, people, world):
    from coordcell.registry.models import Location

    Location.objects.filter(pk=world.hub.pk).update(name='<img src=x onerror="alert(1)">')
    world.hub.refresh_from_db()
    services.notify_capacity_cut(world.hub, "artillery", ["2027-W05"])
    html = client_for(people.auditor).get("/inbox/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_a_notice_written_in_english_reads_in_ukrainian_on_a_ukrainian_page(
    client_for, people, slipped
):
    """Stored as written for the donor (English, the default); the inbox in Ukrainian says it
    again in Ukrainian, with the same reference and dates."""
    client = client_for(people.donor_de)
    client.cookies["django_language"] = "uk"
    html = unescape(client.get("/inbox/").content.decode())
    assert f"Зобов'язання {slipped.reference} перенесено на" in html
    assert "тепер доступне з" in html and "is now available" not in html
    english = client_for(people.donor_de).get("/inbox/").content.decode()
    assert "10 days later" in english


def test_the_inbox_shows_an_unknown_text_as_stored(client_for, people, slipped):
    from coordcell.notifications.texts import reworded

    assert reworded("Something the cell wrote by hand") == "Something the cell wrote by hand"
