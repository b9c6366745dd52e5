"""The cell confirms several offered pledges at once, each through the pledge action."""

import html

import pytest

from coordcell.audit.models import AuditEvent
from coordcell.pledges.models import Pledge
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_the_cell_confirms_the_ticked_pledges(world, client_for):
    offered = [
        PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"], status="offered")
        for _ in range(3)
    ]
    withdrawn = PledgeFactory(
        donor=world.nations["DE"], origin=world.depots["DE"], status="withdrawn"
    )
    client = client_for(world.users[Role.COORDINATOR])
    page = client.get("/pledges/confirm/")
    assert all(p.reference in page.content.decode() for p in offered)
    assert withdrawn.reference not in page.content.decode()
    response = client.post(
        "/pledges/confirm/",
        {"pledge": [offered[0].pk, offered[1].pk, withdrawn.pk]},
        follow=True,
    )
    text = html.unescape(response.content.decode())
    assert "2 pledges confirmed" in text
    assert f"{withdrawn.reference} not confirmed: only an offered pledge is confirmed" in text
    statuses = {p.pk: p.status for p in Pledge.objects.all()}
    assert statuses[offered[0].pk] == statuses[offered[1].pk] == "confirmed"
    assert statuses[offered[2].pk] == "offered"
    assert statuses[withdrawn.pk] == "withdrawn"
    assert (
        AuditEvent.objects.filter(
            target_type="pledges.pledge", target_id__in=[str(offered[0].pk), str(offered[1].pk)]
        ).count()
        >= 2
    )


def test_a_donor_cannot_confirm_pledges(world, client_for):
    pledge = PledgeFactory(donor=world.nations["DE"], origin=world.depots["DE"], status="offered")
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get("/pledges/confirm/").status_code == 404  # refuse(): as if absent
    assert client.post("/pledges/confirm/", {"pledge": [pledge.pk]}).status_code == 404
    pledge.refresh_from_db()
    assert pledge.status == "offered"


def test_the_pledges_list_leads_the_cell_to_the_confirmation(world, client_for):
    coordinator = client_for(world.users[Role.COORDINATOR]).get("/pledges/")
    assert 'href="/pledges/confirm/"' in coordinator.content.decode()
    donor = client_for(world.users[Role.DONOR_LIAISON]).get("/pledges/")
    assert 'href="/pledges/confirm/"' not in donor.content.decode()
