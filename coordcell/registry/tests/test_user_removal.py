"""A user who acted is deactivated, never deleted: the audit trail keeps their name and id, and
`audit verify` passes. Through the admin's delete page, its bulk action, and the ORM alike."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db.models import ProtectedError
from django.test import Client

from coordcell.audit.models import AuditEvent
from coordcell.audit.services import verify
from coordcell.registry.models import User
from coordcell.registry.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    superuser = User.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    client = Client()
    client.force_login(superuser)
    return client


def _logged_in_once(username: str) -> User:
    """A user who logged in, as every real user has: the log-in is in the audit trail."""
    user = UserFactory(username=username)
    Client().force_login(user)
    assert AuditEvent.objects.filter(actor=user, verb="login").exists()
    return user


def test_the_admin_deleting_a_user_who_acted_deactivates_them(admin_client: Client) -> None:
    user = _logged_in_once("jdoe")
    page = admin_client.get(f"/admin/registry/user/{user.pk}/delete/")
    assert page.status_code == 200
    assert "has acted, so deactivated instead" in page.content.decode()

    response = admin_client.post(f"/admin/registry/user/{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    login = AuditEvent.objects.get(verb="login", target_id=str(user.pk))
    assert (login.actor_id, login.actor_name) == (user.pk, "jdoe")
    assert AuditEvent.objects.filter(verb="deactivate", target_id=str(user.pk)).exists()
    assert verify().ok, verify().problem
    assert not LogEntry.objects.filter(object_id=str(user.pk), action_flag=DELETION).exists()
    messages = [str(m) for m in admin_client.get(response["Location"]).context["messages"]]
    assert any("deactivated instead of deleted" in m for m in messages)


def test_the_admin_bulk_delete_deletes_only_users_who_never_acted(admin_client: Client) -> None:
    acted = _logged_in_once("acted")
    never = UserFactory(username="never")
    chosen = {"action": "delete_selected", "_selected_action": [acted.pk, never.pk]}

    confirm = admin_client.post("/admin/registry/user/", chosen)
    assert confirm.status_code == 200
    assert "acted: has acted, so deactivated instead" in confirm.content.decode()

    done = admin_client.post("/admin/registry/user/", {**chosen, "post": "yes"}, follow=True)

    assert done.status_code == 200
    assert "Deleted 1 user(s); deactivated 1 who had acted" in done.content.decode()
    assert not User.objects.filter(pk=never.pk).exists()
    acted.refresh_from_db()
    assert not acted.is_active
    assert AuditEvent.objects.filter(actor=acted).count() == 1  # the log-in, unchanged
    assert AuditEvent.objects.filter(verb="delete", target_id=str(never.pk)).exists()
    assert verify().ok, verify().problem


def test_a_user_who_acted_cannot_be_deleted_at_all() -> None:
    user = _logged_in_once("jdoe")
    with pytest.raises(ProtectedError):
        user.delete()
    assert verify().ok


def test_the_admin_setting_a_password_is_audited_without_the_hash(admin_client: Client) -> None:
    user = UserFactory(username="jdoe")
    new = "another-long-test-password"
    response = admin_client.post(
        f"/admin/registry/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="admin-set-password", target_id=str(user.pk))
    assert event.actor_name == "root"
    user.refresh_from_db()
    assert user.password not in str(event.data)
    assert verify().ok
