"""A dry run or commit from the page is a background job: the page shows its progress (rows read
of expected, phase), polled by htmx, until the worker has run it and its report is ready."""

import re
import time

import pytest
from django.core.management import call_command

from coordcell.exchange.models import ImportRun, ImportUpload
from coordcell.exchange.runs import _Progress, import_run_execute
from coordcell.exchange.staging import READING, WRITING
from coordcell.jobs import kinds
from coordcell.jobs.services import LOST_MESSAGE
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role

from .test_import_pages import COLUMNS, _summary

HTMX = {"HTTP_HX_REQUEST": "true"}


def _upload(client, path):
    with path.open("rb") as handle:
        response = client.post("/import/", {"kind": "pledges", "file": handle})
    assert response.status_code == 302
    return response["Location"]


# Committing: the worker takes jobs only once they are committed, as in production.
@pytest.mark.django_db(transaction=True)
def test_the_page_shows_progress_until_the_worker_has_run_the_import(
    world, client_for, clean_xlsx, tmp_path, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    client = client_for(world.users[Role.DONOR_LIAISON])
    url = _upload(client, clean_xlsx)
    assert client.post(url, {**COLUMNS, "action": "check"}).status_code == 302
    waiting = client.get(url).content.decode()
    assert 'hx-get="?part=progress" hx-trigger="every 1s"' in waiting
    assert (
        "Dry run: waiting for a worker" in waiting and "<script" not in waiting.split("<main")[-1]
    )
    part = client.get(url, {"part": "progress"}, **HTMX)
    assert part.content.decode().strip().startswith('<div id="progress"')

    call_command("worker", "--batch", verbosity=0)
    run = ImportRun.objects.get()
    assert (run.status, run.rows_done) == (ImportRun.Status.DONE, 2)
    assert client.get(url, {"part": "progress"}, **HTMX)["HX-Refresh"] == "true"
    done = client.get(url)
    assert (
        "2 rows, 2 valid, 0 rejected" in _summary(done) and "every 1s" not in done.content.decode()
    )

    assert client.post(url, {**COLUMNS, "action": "commit"}).status_code == 302
    assert not Pledge.objects.exists()  # queued, not run: the request did no import work
    call_command("worker", "--batch", verbosity=0)
    assert "Committed" in _summary(client.get(url)) and Pledge.objects.count() == 2


@pytest.mark.django_db
def test_progress_shows_rows_read_of_expected_and_the_phase(
    world, client_for, clean_xlsx, tmp_path, settings
):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    client = client_for(world.users[Role.DONOR_LIAISON])
    url = _upload(client, clean_xlsx)
    upload = ImportUpload.objects.get()
    run = ImportRun.objects.create(
        upload=upload, mode=ImportRun.Mode.COMMIT, status=ImportRun.Status.RUNNING
    )
    progress = _Progress(run.pk)
    progress(READING, 2000, 6000)
    progress(READING, 4000, 6000)  # within the second: not written
    part = client.get(url, {"part": "progress"}, **HTMX).content.decode()
    assert '<progress value="33" max="100">' in part
    assert "Commit, all or nothing: Reading and checking the rows · 2,000 of 6,000 rows" in part
    progress(WRITING, 0, 6000)
    progress(WRITING, 2000, 6000)  # inside the transaction: not written
    run.refresh_from_db()
    assert (run.phase, run.rows_done) == ("Writing 6,000 rows in one transaction", 0)
    page = client.get(url).content.decode()
    assert "Writing 6,000 rows in one transaction" in page
    assert re.search(r'<button type="submit" name="action" value="check" disabled>', page)


@pytest.mark.django_db
def test_an_import_whose_worker_died_says_so(world, client_for, clean_xlsx, tmp_path, settings):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    client = client_for(world.users[Role.DONOR_LIAISON])
    url = _upload(client, clean_xlsx)
    run = ImportRun.objects.create(
        upload=ImportUpload.objects.get(),
        mode=ImportRun.Mode.COMMIT,
        status=ImportRun.Status.RUNNING,
    )
    # What the worker's recovery sweep does for a job whose worker was killed.
    assert kinds.mark_object_failed(
        task_path="coordcell.exchange.tasks.execute_import_run",
        args_kwargs={"args": [run.pk], "kwargs": {}},
        message=LOST_MESSAGE,
    )
    page = client.get(url).content.decode()
    assert f"Commit, all or nothing failed: {LOST_MESSAGE}" in page
    assert import_run_execute(run.pk).status == ImportRun.Status.FAILED  # never run again


@pytest.mark.django_db
def test_a_run_is_claimed_once(world, client_for, clean_xlsx, tmp_path, settings):
    settings.COORDCELL_IMPORT_DIR = tmp_path / "uploads"
    client = client_for(world.users[Role.DONOR_LIAISON])
    _upload(client, clean_xlsx)
    run = ImportRun.objects.create(
        upload=ImportUpload.objects.get(), mode=ImportRun.Mode.COMMIT, mapping={}
    )
    run.upload.mapping = {"columns": {k[4:]: v for k, v in COLUMNS.items()}}
    run.mapping = run.upload.mapping
    run.save()
    began = time.monotonic()
    assert import_run_execute(run.pk).status == ImportRun.Status.DONE
    assert time.monotonic() - began < 30
    assert import_run_execute(run.pk).status == ImportRun.Status.DONE
    assert Pledge.objects.count() == 2
