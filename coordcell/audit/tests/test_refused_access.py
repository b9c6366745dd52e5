import pytest

from coordcell.audit.models import AuditEvent
from coordcell.pledges.tests.factories import PledgeFactory
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_opening_another_nations_pledge_is_recorded(world, client_for):
    polish = PledgeFactory(
        donor=world.nations["PL"], origin=world.depots["PL"], category=world.category
    )
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get(f"/pledges/{polish.pk}/").status_code == 404
    assert client.post(f"/pledges/{polish.pk}/delete/").status_code == 404
    events = AuditEvent.objects.filter(verb="access-refused").order_by("seq")
    assert [(e.actor_name, e.target_repr, e.data["method"]) for e in events] == [
        ("donor-de", f"/pledges/{polish.pk}/", "GET"),
        ("donor-de", f"/pledges/{polish.pk}/delete/", "POST"),
    ]


def test_lists_and_allowed_pages_are_not_recorded_as_refused(world, client_for):
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get("/pledges/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404  # no object named: not a refusal
    assert not AuditEvent.objects.filter(verb="access-refused").exists()
