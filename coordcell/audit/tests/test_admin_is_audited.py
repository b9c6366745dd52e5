"""Nothing the audit chain covers changes through the admin, and every change the admin can
make to a record goes through the audited save (one event per object, bulk actions too)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client, RequestFactory

from coordcell.audit.admin import AuditedAdmin
from coordcell.audit.models import AuditEvent, AuditHead
from coordcell.audit.services import verify
from coordcell.registry.models import Nation, User

pytestmark = pytest.mark.django_db

# Registered, not audited, and allowed to change: each keeps its own record of what happened.
OUTSIDE_THE_TRAIL = {
    # django-axes' lock-out counters: deleting one lifts a lock-out; the failures themselves are
    # in the audit trail (login-failed) already.
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
}


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.org", "a-long-test-password")


def test_every_admin_is_audited_or_read_only(superuser: User) -> None:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    unaudited = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, AuditedAdmin) or model._meta.label_lower in OUTSIDE_THE_TRAIL:
            continue
        can = [
            verb
            for verb in ("add", "change", "delete")
            if getattr(model_admin, f"has_{verb}_permission")(request)
        ]
        if can:
            unaudited.append(f"{model._meta.label_lower} ({', '.join(can)})")
    assert unaudited == []


def test_the_trail_itself_is_read_only_in_the_admin(superuser: User) -> None:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    events = admin.site._registry[AuditEvent]
    assert not events.has_add_permission(request)
    assert not events.has_change_permission(request)
    assert not events.has_delete_permission(request)
    assert AuditHead not in admin.site._registry


def test_a_bulk_delete_in_the_admin_records_one_event_per_object(superuser: User) -> None:
    client = Client()
    client.force_login(superuser)
    nations = [Nation.objects.create(code=code, name=f"Nation {code}") for code in ("XA", "XB")]
    response = client.post(
        "/admin/registry/nation/",
        {"action": "delete_selected", "_selected_action": [n.pk for n in nations], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Nation.objects.filter(code__in=["XA", "XB"]).exists()
    deleted = AuditEvent.objects.filter(verb="delete", target_type="registry.nation")
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(str(n.pk) for n in nations)
    assert set(deleted.values_list("actor_name", flat=True)) == {"root"}
    assert verify().ok


@pytest.mark.django_db
def test_the_trail_never_holds_a_password_hash(world):
    from coordcell.audit.models import AuditEvent
    from coordcell.audit.services import save_audited
    from coordcell.registry.models import User

    user = User(username="new-officer", role="auditor")
    user.set_password("a long and secret passphrase")
    with transaction.atomic():
        save_audited(actor=world.users["coordinator"], instance=user)
    user.set_password("another long passphrase")
    with transaction.atomic():
        save_audited(actor=world.users["coordinator"], instance=user)
    created, changed = AuditEvent.objects.filter(target_type="registry.user").order_by("seq")
    assert user.password not in str(created.data) + str(changed.data)
    assert "pbkdf2" not in str(created.data) and "md5" not in str(created.data).lower()
    assert created.data["after"]["password"].startswith("(secret) ")
    assert "password" in changed.data["changes"]


def test_the_admin_changes_a_hubs_capacities_through_the_registers_actions(
    world, superuser: User
) -> None:
    from coordcell.registry.models import HubCapacity

    client = Client()
    client.force_login(superuser)
    hub = world.hub
    page = client.get(f"/admin/registry/location/{hub.pk}/change/")
    assert page.status_code == 200  # the admin's own widgets render (Django templates)
    answer = client.post(
        f"/admin/registry/location/{hub.pk}/change/",
        {
            "code": hub.code,
            "name": hub.name,
            "kind": hub.kind,
            "nation": hub.nation_id,
            "latitude": hub.latitude,
            "longitude": hub.longitude,
            "is_main_hub": "on" if hub.is_main_hub else "",
            "capacities-TOTAL_FORMS": 1,
            "capacities-INITIAL_FORMS": 0,
            "capacities-0-domain": "medical",
            "capacities-0-weekly_capacity": 120,
        },
    )
    assert answer.status_code == 302, [
        line for line in answer.content.decode().splitlines() if "errorlist" in line
    ]
    capacity = HubCapacity.objects.get(hub=hub, domain="medical")
    assert capacity.weekly_capacity == 120
    assert AuditEvent.objects.filter(
        verb="admin-update-related", target_type="registry.hubcapacity", target_id=str(capacity.pk)
    ).exists()
    assert verify().ok
