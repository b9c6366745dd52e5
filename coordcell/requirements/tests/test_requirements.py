import datetime as dt

import pytest

from coordcell.registry.models import Role
from coordcell.requirements.models import Requirement
from coordcell.requirements.tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db


def _form(world, **overrides):
    data = {
        "capability": world.capability.pk,
        "category": world.category.pk,
        "quantity": 500,
        "need_by": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "delivery_point": world.delivery_point.pk,
        "priority": 1,
        "justification": "Counter-battery fire",
    }
    data.update(overrides)
    return data


def test_recipient_registers_a_prioritised_requirement(world, client_for):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = client.post("/requirements/new/", _form(world))
    assert response.status_code == 302
    requirement = Requirement.objects.get()
    assert requirement.reference == "R-000001"
    assert requirement.status == Requirement.Status.OPEN
    assert requirement.priority == 1


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"quantity": 0}, "quantity", "greater than or equal to 1"),
        ({"priority": 6}, "priority", "Select a valid choice"),
        ({"need_by": "2020-01-01"}, "need_by", "already past"),
        ({"need_by": "31/02/2027"}, "need_by", "Enter a valid date"),
    ],
)
def test_invalid_requirement_is_refused_and_not_saved(world, client_for, overrides, field, message):
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = client.post("/requirements/new/", _form(world, **overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Requirement.objects.exists()


def test_a_hub_is_not_a_delivery_point(world, client_for):
    client = client_for(world.users[Role.COORDINATOR])
    response = client.post("/requirements/new/", _form(world, delivery_point=world.hub.pk))
    assert response.status_code == 400
    assert "delivery_point" in response.context["form"].errors


def test_donors_see_requirements_but_cannot_change_them(world, client_for):
    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    client = client_for(world.users[Role.DONOR_LIAISON])
    assert client.get(f"/requirements/{requirement.pk}/").status_code == 200
    assert client.get(f"/requirements/{requirement.pk}/edit/").status_code == 404
    assert client.post(f"/requirements/{requirement.pk}/delete/").status_code == 404
    assert Requirement.objects.filter(pk=requirement.pk).exists()


def test_training_site_officers_have_no_need_for_requirements(world, client_for):
    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    assert client.get(f"/requirements/{requirement.pk}/").status_code == 404
    assert requirement.reference.encode() not in client.get("/requirements/").content


def test_list_filters_by_priority_and_sorts(world, client_for):
    for priority, reference in [(3, "R-000003"), (1, "R-000001"), (2, "R-000002")]:
        RequirementFactory(
            reference=reference,
            priority=priority,
            category=world.category,
            capability=world.capability,
            delivery_point=world.delivery_point,
        )
    client = client_for(world.users[Role.COORDINATOR])
    filtered = client.get("/requirements/?priority=1").content.decode()
    assert "R-000001" in filtered and "R-000002" not in filtered
    ordered = client.get("/requirements/?sort=-priority").content.decode()
    assert ordered.index("R-000003") < ordered.index("R-000002") < ordered.index("R-000001")


def test_htmx_filter_returns_only_the_results_fragment(world, client_for):
    RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    client = client_for(world.users[Role.COORDINATOR])
    fragment = client.get("/requirements/?priority=2", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.content.lstrip().startswith(b'<div id="results">')
    assert b"<html" not in fragment.content


def test_nobody_sets_a_requirements_status_by_hand(world, client_for):
    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    data = _form(world, status="fulfilled", version=requirement.version)
    response = client.post(f"/requirements/{requirement.pk}/edit/", data)
    assert response.status_code == 302
    requirement.refresh_from_db()
    assert requirement.status == Requirement.Status.OPEN
    form = client.get(f"/requirements/{requirement.pk}/edit/").context["form"]
    assert "status" not in form.fields


def test_the_recipient_cancels_a_requirement_with_a_reason(world, client_for):
    from coordcell.audit.models import AuditEvent

    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    assert (
        f"/requirements/{requirement.pk}/cancel/"
        in client.get(f"/requirements/{requirement.pk}/").content.decode()
    )
    response = client.post(f"/requirements/{requirement.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    response = client.post(f"/requirements/{requirement.pk}/cancel/", {"reason": "Unit disbanded"})
    assert response.status_code == 302
    requirement.refresh_from_db()
    assert requirement.status == Requirement.Status.CANCELLED
    assert AuditEvent.objects.get(verb="requirement.cancel").data == {"reason": "Unit disbanded"}
    assert AuditEvent.objects.get(verb="requirement.status").data["changes"] == {
        "status": ["open", "cancelled"]
    }


def test_a_requirement_with_allocated_units_cannot_be_cancelled(world, client_for):
    from coordcell.logistics.tests.factories import make_shipment

    requirement = make_shipment(world, quantity=10).lines.get().requirement
    client = client_for(world.users[Role.RECIPIENT_LIAISON])
    response = client.post(f"/requirements/{requirement.pk}/cancel/", {"reason": "No longer"})
    assert response.status_code == 400
    assert "10 allocated" in response.content.decode()
    requirement.refresh_from_db()
    assert requirement.status == Requirement.Status.ALLOCATED


def test_a_donor_cannot_cancel_a_requirement(world, client_for):
    requirement = RequirementFactory(
        category=world.category, capability=world.capability, delivery_point=world.delivery_point
    )
    client = client_for(world.users[Role.DONOR_LIAISON])
    answer = client.post(f"/requirements/{requirement.pk}/cancel/", {"reason": "x"})
    assert answer.status_code == 404
    requirement.refresh_from_db()
    assert requirement.cancelled_at is None
