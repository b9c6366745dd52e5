"""Dashboards and the reports page reuse their figures for COORDCELL_FIGURES_SECONDS: people with
the same view share one computation, nobody sees figures of another nation, and "Recompute now"
gives today's figures at once."""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from coordcell.pledges.models import Pledge
from coordcell.registry.models import Role, User
from coordcell.registry.tests.factories import UserFactory


@pytest.fixture
def reuse_for_a_minute(settings: Any) -> Any:
    settings.COORDCELL_FIGURES_SECONDS = 60
    cache.clear()  # the installation's cache: a table of the test database
    yield
    cache.clear()


def _figures(client: Any, url: str = "/") -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    return {f.label: f.value for f in response.context["board"].figures}


def _shown(response: Any, label: str) -> str:
    """The value the page shows for the figure ``label`` (the HTML, drawn or reused)."""
    found = re.search(
        r'<span class="value">([^<]*)</span>\s*<span class="label">' + re.escape(label),
        response.content.decode(),
    )
    assert found, f"no figure {label!r} on the page"
    return found.group(1)


def test_a_second_donor_of_the_same_nation_reuses_the_figures_in_fewer_queries(
    picture_world: Any,
    client_for: Any,
    reuse_for_a_minute: Any,
    django_assert_max_num_queries: Any,
) -> None:
    first = client_for(picture_world.users[Role.DONOR_LIAISON])
    response = first.get("/")
    assert response.context["figures"].reused is False
    colleague = UserFactory(
        username="donor-de-2", role=Role.DONOR_LIAISON, nation=picture_world.nations["DE"]
    )
    second = client_for(colleague)
    # Session, user, second factor and nation; the figures and their drawn page from the cache
    # table; the session saved (in a savepoint); the header's unread notifications. No
    # aggregates.
    with django_assert_max_num_queries(10):
        again = second.get("/")
    assert again.context["figures"].reused is True
    assert "Figures as of" in again.content.decode()
    assert {f.label: f.value for f in again.context["board"].figures}[
        "Units pledged"
    ] == "100\xa0round"


def test_another_nation_never_gets_the_figures_of_the_first(
    picture_world: Any, client_for: Any, reuse_for_a_minute: Any
) -> None:
    assert (
        _figures(client_for(picture_world.users[Role.DONOR_LIAISON]))["Units pledged"]
        == "100\xa0round"
    )
    polish = client_for(picture_world.users["donor-pl"]).get("/")
    assert polish.context["figures"].reused is False
    assert {f.label: f.value for f in polish.context["board"].figures}[
        "Units pledged"
    ] == "40\xa0round"
    assert _shown(polish, "Units pledged") == "40\xa0round"  # nor the page drawn for it


def test_figures_are_reused_until_someone_asks_to_recompute_them(
    picture_world: Any, client_for: Any, reuse_for_a_minute: Any
) -> None:
    donor: User = picture_world.users[Role.DONOR_LIAISON]
    client = client_for(donor)
    assert _figures(client)["Units pledged"] == "100\xa0round"
    Pledge.objects.filter(donor__code="DE").update(quantity=150)
    assert (
        _figures(client)["Units pledged"] == "100\xa0round"
    )  # within the minute: the shared figures
    assert _shown(client.get("/"), "Units pledged") == "100\xa0round"
    response = client.get("/?refresh=1")
    assert response.context["figures"].reused is False
    assert {f.label: f.value for f in response.context["board"].figures}[
        "Units pledged"
    ] == "150\xa0round"
    assert _shown(response, "Units pledged") == "150\xa0round"
    assert _figures(client)["Units pledged"] == "150\xa0round"  # and the recomputed ones are shared
    assert _shown(client.get("/"), "Units pledged") == "150\xa0round"


def test_without_reuse_every_request_computes_afresh(
    picture_world: Any, client_for: Any, settings: Any
) -> None:
    settings.COORDCELL_FIGURES_SECONDS = 0
    client = client_for(picture_world.users[Role.DONOR_LIAISON])
    assert _figures(client)["Units pledged"] == "100\xa0round"
    Pledge.objects.filter(donor__code="DE").update(quantity=150)
    assert _figures(client)["Units pledged"] == "150\xa0round"


def test_reports_page_reuses_charts_per_scope(
    picture_world: Any, client_for: Any, reuse_for_a_minute: Any
) -> None:
    client = client_for(picture_world.users[Role.COORDINATOR])
    everyone = client.get("/reports/")
    assert everyone.context["figures"].reused is False
    assert client.get("/reports/").context["figures"].reused is True
    only_poland = client.get("/reports/?donor=PL")
    assert only_poland.status_code == 200
    assert only_poland.context["figures"].reused is False  # another scope, its own figures
    assert "donor=PL&amp;refresh=1" in only_poland.content.decode()


def test_reused_figures_are_not_drawn_again(
    picture_world: Any, client_for: Any, reuse_for_a_minute: Any
) -> None:
    client = client_for(picture_world.users[Role.COORDINATOR])
    first = client.get("/reports/")
    assert "reports/_chart.html" in [t.name for t in first.templates]
    again = client.get("/reports/")
    assert "reports/_chart.html" not in [t.name for t in again.templates]
    assert _charts(again) == _charts(first)  # the same charts, drawn once
    other = client.get("/reports/?donor=PL")
    assert "reports/_chart.html" in [t.name for t in other.templates]


def _charts(response: Any) -> str:
    html = response.content.decode()
    start, end = html.index('<figure class="chart"'), html.rindex("</figure>")
    return html[start:end]


def test_older_figures_are_served_while_one_background_job_computes_the_next(
    picture_world: Any,
    client_for: Any,
    reuse_for_a_minute: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(picture_world.users[Role.DONOR_LIAISON])
    first = client.get("/")
    assert _shown(first, "Units pledged") == "100\xa0round"
    Pledge.objects.filter(donor__code="DE").update(quantity=150)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        with django_capture_on_commit_callbacks() as queued:
            stale = client.get("/")
            colleague = UserFactory(
                username="donor-de-2", role=Role.DONOR_LIAISON, nation=picture_world.nations["DE"]
            )
            client_for(colleague).get("/")
        # Nobody waited: both were served the older figures, and one refresh was queued.
        assert _shown(stale, "Units pledged") == "100\xa0round"
        assert stale.context["figures"].computed_at == first.context["figures"].computed_at
        assert len(queued) == 1
        queued[0]()  # the worker runs the job (the tests' queue runs it at once)
        fresh = client.get("/")
    assert fresh.context["figures"].reused is True
    assert _shown(fresh, "Units pledged") == "150\xa0round"
    assert fresh.context["figures"].computed_at > first.context["figures"].computed_at


def test_the_background_job_computes_the_reports_of_the_same_scope(
    picture_world: Any, client_for: Any, reuse_for_a_minute: Any
) -> None:
    from coordcell.reports.reuse import refresh_figures

    coordinator = picture_world.users[Role.COORDINATOR]
    client = client_for(coordinator)
    only_poland = client.get("/reports/?donor=PL")
    Pledge.objects.filter(donor__code="PL").update(quantity=70)
    today = only_poland.context["figures"].computed_at.date().isoformat()
    job = ("reports", coordinator.pk, today, "donor=PL", "en")
    assert refresh_figures.call(*job) == "fresh already"  # computed a moment ago
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert refresh_figures.call(*job) == "refreshed"
        assert refresh_figures.call(*job) == "fresh already"  # a second job queued: no work
        again = client.get("/reports/?donor=PL")
    assert again.context["figures"].computed_at > only_poland.context["figures"].computed_at
    before = {c.slug: c.table.rows for c in only_poland.context["charts"]}
    after = {c.slug: c.table.rows for c in again.context["charts"]}
    assert before.keys() == after.keys() and before != after  # Poland's charts, with 70 units
    assert "70" in _charts(again) and "Germany" not in _charts(again)


def test_finished_refresh_jobs_are_cleared_after_an_hour_and_no_other_job(
    picture_world: Any, reuse_for_a_minute: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from coordcell.reports.reuse import refresh_figures

    now = timezone.now()

    def finished(path: str, hours_ago: float) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status="SUCCESSFUL",
            args_kwargs={"args": [], "kwargs": {}},
            task_path=path,
            backend_name="default",
            run_after=now,
            finished_at=now - dt.timedelta(hours=hours_ago),
            exception_class_path="",
            traceback="",
        )

    old = finished(refresh_figures.module_path, 2)
    recent = finished(refresh_figures.module_path, 0.5)
    allocation = finished("coordcell.allocation.tasks.execute_allocation_run", 48)
    donor = picture_world.users[Role.DONOR_LIAISON]
    assert refresh_figures.call("dashboard", donor.pk, now.date().isoformat(), "", "en") == (
        "refreshed"
    )
    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert old.pk not in left and {recent.pk, allocation.pk} <= left


def test_figures_kept_by_an_older_release_are_computed_again(
    picture_world: Any, client_for: Any, reuse_for_a_minute: Any, monkeypatch: Any
) -> None:
    client = client_for(picture_world.users[Role.DONOR_LIAISON])
    assert _shown(client.get("/"), "Units pledged") == "100\xa0round"
    Pledge.objects.filter(donor__code="DE").update(quantity=150)

    read = cache.get

    def unreadable(key: str, *args: Any, **kwargs: Any) -> Any:
        if key.startswith("figures:"):  # what unpickling a class an upgrade renamed raises
            raise AttributeError("Can't get attribute 'Dashboard' on <module ...>")
        return read(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", unreadable)
    response = client.get("/")
    assert response.status_code == 200 and response.context["figures"].reused is False
    assert _shown(response, "Units pledged") == "150\xa0round"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice per thread")
def test_a_first_viewer_gets_the_same_figures_computed_at_low_priority(
    settings: Any, transactional_db: Any, picture_world: Any, client_for: Any
) -> None:
    """In its own thread and database connection (coordcell/jobs/priority.py): it reads what
    is committed, hence transactional_db."""
    settings.COORDCELL_FIGURES_SECONDS = 60
    donor = client_for(picture_world.users[Role.DONOR_LIAISON])
    settings.COORDCELL_WORKER_NICE = 0
    inline = donor.get("/?refresh=1").context["board"].figures
    settings.COORDCELL_WORKER_NICE = 5
    threaded = donor.get("/?refresh=1").context["board"].figures
    assert [(f.label, f.value) for f in threaded] == [(f.label, f.value) for f in inline]
    assert any(f.value not in (0, "0", "") for f in threaded)
