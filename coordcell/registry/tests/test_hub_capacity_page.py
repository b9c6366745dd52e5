"""The coordinator keeps hub capacities on a page (add, edit, close, delete, audited); the
auditor reads it; no other role reaches it or reads a hub's throughput anywhere."""

import datetime as dt

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.registry.models import HubCapacity, Role

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)
OTHERS = [Role.DONOR_LIAISON, Role.RECIPIENT_LIAISON, Role.TRAINING_SITE_OFFICER]


def test_the_coordinator_adds_a_capacity_for_some_weeks_on_the_page(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    page = client.get(f"/hub-capacities/hubs/{world.hub.pk}/")
    assert page.status_code == 200 and "Add a capacity for some weeks" in page.content.decode()
    today = dt.date.today()
    next_monday = today + dt.timedelta(days=7 - today.weekday())
    assert f'name="add-valid_from" value="{next_monday.isoformat()}"' in page.content.decode()
    answer = client.post(
        f"/hub-capacities/hubs/{world.hub.pk}/",
        {
            "form": "add",
            "add-domain": "artillery",
            "add-valid_from": MONDAY.isoformat(),
            "add-valid_until": "2027-03-14",
            "add-weekly_capacity": "400",
            "add-reason": "Runway works",
        },
    )
    assert answer.status_code == 302
    row = HubCapacity.objects.get(hub=world.hub, valid_from=MONDAY)
    assert (row.weekly_capacity, row.valid_until) == (400, dt.date(2027, 3, 14))
    assert AuditEvent.objects.get(verb="hub-capacity.create").target_id == str(row.pk)
    text = client.get(f"/hub-capacities/hubs/{world.hub.pk}/").content.decode()
    assert "from 1 Mar 2027 – 14 Mar 2027" in text and "Runway works" in text


def test_bad_input_is_refused_with_the_rule_and_nothing_lost(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    answer = client.post(
        f"/hub-capacities/hubs/{world.hub.pk}/",
        {
            "form": "add",
            "add-domain": "artillery",
            "add-valid_from": "2027-03-03",
            "add-weekly_capacity": "0",
            "add-reason": "",
        },
    )
    text = answer.content.decode()
    assert answer.status_code == 400
    assert "2027-03-03 is not one (that week&#x27;s Monday is 2027-03-01)" in text
    assert "A closure (0 units per week) needs a reason." in text
    assert 'value="2027-03-03"' in text  # what was typed is still there
    assert HubCapacity.objects.count() == 1


def test_the_coordinator_edits_and_deletes_a_row(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    row = HubCapacity.objects.get(hub=world.hub)
    answer = client.post(
        f"/hub-capacities/{row.pk}/edit/",
        {
            "domain": "artillery",
            "valid_from": row.valid_from.isoformat(),
            "weekly_capacity": "1200",
            "reason": "",
            "version": "1",
        },
    )
    assert answer.status_code == 302
    row.refresh_from_db()
    assert row.weekly_capacity == 1200 and row.version == 2
    assert AuditEvent.objects.get(verb="hub-capacity.update").data["changes"][
        "weekly_capacity"
    ] == [1000, 1200]
    stale = client.post(
        f"/hub-capacities/{row.pk}/edit/",
        {"domain": "artillery", "valid_from": "2000-01-03", "weekly_capacity": "5", "version": "1"},
    )
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()
    assert client.get(f"/hub-capacities/{row.pk}/delete/").status_code == 200
    assert client.post(f"/hub-capacities/{row.pk}/delete/").status_code == 302
    assert not HubCapacity.objects.exists()
    assert AuditEvent.objects.filter(verb="delete", target_type="registry.hubcapacity").exists()


def test_the_coordinator_closes_a_hub_for_a_domain(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    answer = client.post(
        f"/hub-capacities/hubs/{world.hub.pk}/",
        {
            "form": "close",
            "close-domain": "artillery",
            "close-valid_from": MONDAY.isoformat(),
            "close-valid_until": MONDAY.isoformat(),
            "close-reason": "Strike",
        },
    )
    assert answer.status_code == 302
    closure = HubCapacity.objects.get(valid_from=MONDAY)
    assert closure.weekly_capacity == 0 and closure.reason == "Strike"
    assert AuditEvent.objects.get(verb="hub-capacity.close").target_id == str(closure.pk)
    refused = client.post(
        f"/hub-capacities/hubs/{world.hub.pk}/",
        {"form": "close", "close-domain": "artillery", "close-valid_from": "2027-03-08"},
    )
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()


def test_the_auditor_reads_but_changes_nothing(world, client_for):
    client = client_for(world.users[Role.AUDITOR])
    row = HubCapacity.objects.get(hub=world.hub)
    assert client.get("/hub-capacities/").status_code == 200
    page = client.get(f"/hub-capacities/hubs/{world.hub.pk}/")
    assert page.status_code == 200 and "Add a capacity" not in page.content.decode()
    assert "1000" in page.content.decode()
    post = client.post(
        f"/hub-capacities/hubs/{world.hub.pk}/",
        {
            "form": "close",
            "close-domain": "artillery",
            "close-valid_from": MONDAY.isoformat(),
            "close-reason": "x",
        },
    )
    assert post.status_code == 404
    assert client.get(f"/hub-capacities/{row.pk}/edit/").status_code == 404
    assert client.post(f"/hub-capacities/{row.pk}/delete/").status_code == 404
    assert HubCapacity.objects.count() == 1


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_do_not_reach_hub_capacities(world, client_for, role):
    client = client_for(world.users[role])
    row = HubCapacity.objects.get(hub=world.hub)
    for url in (
        "/hub-capacities/",
        f"/hub-capacities/hubs/{world.hub.pk}/",
        f"/hub-capacities/{row.pk}/edit/",
        f"/hub-capacities/{row.pk}/delete/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/hub-capacities/{row.pk}/delete/").status_code == 404
    assert HubCapacity.objects.count() == 1
    assert AuditEvent.objects.filter(verb="access-refused").count() == 5
    # Nor does the hub's register page name its throughput.
    page = client.get(f"/locations/{world.hub.pk}/").content.decode()
    assert "/week" not in page and "1000" not in page


def test_the_cell_reads_a_hubs_capacities_on_its_register_page(world, client_for):
    page = client_for(world.users[Role.AUDITOR]).get(f"/locations/{world.hub.pk}/")
    assert "Artillery 1000/week" in page.content.decode()


def test_the_hub_page_shows_the_history_of_its_rows_deleted_ones_included(
    world, client_for, coordinator
):
    from coordcell.registry.services import hub_capacity_close, hub_capacity_delete

    closure = hub_capacity_close(
        coordinator, world.hub, "artillery", MONDAY, dt.date(2027, 3, 7), "Strike on the apron"
    )
    hub_capacity_delete(coordinator, closure)
    page = client_for(world.users[Role.AUDITOR]).get(f"/hub-capacities/hubs/{world.hub.pk}/")
    history = page.content.decode().split('id="history"')[1]
    assert "hub-capacity.close" in history and "deleted" in history
    assert coordinator.username in history
