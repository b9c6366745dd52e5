"""`coordcell allocate`: runs from the command line, open instances, the background worker."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coordcell.allocation import solver
from coordcell.allocation.models import AllocationRun
from coordcell.allocation.services import run_create
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_allocate_solves_and_commits(world, situation, capsys):
    call_command("allocate", "--commit")
    out = capsys.readouterr().out
    assert "solved" in out and "committed" in out
    assert AllocationRun.objects.get().status == AllocationRun.Status.COMMITTED
    assert Pledge.objects.get(reference="P-000001").allocated_quantity == 200


def test_exported_instance_solves_without_the_database_to_the_same_plan(
    world,
    situation,
    tmp_path,
):
    instance_file, plan_file = tmp_path / "instance.json", tmp_path / "plan.json"
    call_command("allocate", "--export-instance", str(instance_file))
    instance = solver.instance_from_json(instance_file.read_text())
    assert {s.id for s in instance.supplies} == {"P-000001", "P-000002"}
    assert {d.id for d in instance.demands} == {"R-000001", "R-000002"}
    call_command("allocate", "--instance", str(instance_file), "--plan", str(plan_file))
    plan = solver.plan_from_json(plan_file.read_text())
    assert solver.check_plan(instance, plan) == []
    call_command("allocate")
    run = AllocationRun.objects.get()
    assert run.objective == pytest.approx(plan.objective)
    # The run keeps its input exactly as solved, under the hash it reports.
    import gzip
    import hashlib

    stored = gzip.decompress(run.instance_json).decode()
    assert hashlib.sha256(stored.encode()).hexdigest() == run.input_hash
    assert json.loads(stored) == json.loads(instance_file.read_text())


def test_a_bad_instance_file_is_refused_with_the_reason(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something else"}')
    with pytest.raises(CommandError, match="bad.json"):
        call_command("allocate", "--instance", str(bad))


def test_a_queued_run_is_worked_off_by_the_database_worker(world, situation, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = run_create(actor=world.users[Role.COORDINATOR])
    assert AllocationRun.objects.get(pk=run.pk).status == AllocationRun.Status.QUEUED
    call_command("worker", "--batch")
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.SOLVED
    assert run.progress == 100
