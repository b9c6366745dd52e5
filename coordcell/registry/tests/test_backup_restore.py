"""A restore reproduces every row and the same audit head (SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from django.apps import apps
from django.core.management import call_command

from coordcell.audit.services import current_head
from coordcell.demo.scenario import load_demo
from coordcell.pledges.models import Pledge

pytestmark = pytest.mark.django_db(transaction=True)


def _counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"registry", "pledges", "requirements", "audit"}
    }


def test_restore_reproduces_every_row_and_the_audit_head(tmp_path):
    load_demo(size="small", seed=3, start=dt.date(2027, 1, 4))
    before_counts, before_head = _counts(), current_head()
    before_pledges = list(Pledge.objects.order_by("pk").values())
    backup = tmp_path / "coordcell.backup"
    call_command("backup", str(backup))
    Pledge.objects.filter(pk__in=list(Pledge.objects.values_list("pk", flat=True)[:10])).delete()
    assert _counts() != before_counts
    call_command("restore", str(backup), "--yes")
    assert _counts() == before_counts
    assert current_head() == before_head
    assert list(Pledge.objects.order_by("pk").values()) == before_pledges


def test_backup_refuses_to_overwrite_a_file(tmp_path):
    existing = tmp_path / "old.backup"
    existing.write_text("keep me")
    with pytest.raises(Exception, match="exists"):
        call_command("backup", str(existing))
    assert existing.read_text() == "keep me"
