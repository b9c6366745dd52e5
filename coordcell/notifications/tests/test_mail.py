"""E-mail: sent by a background job after the change commits, as each user chose; a mail
server that is down or refuses loses nothing; the daily digest is one mail a day per user."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from coordcell.jobs import kinds
from coordcell.notifications import mail as notification_mail
from coordcell.notifications import services
from coordcell.notifications.models import DailyRun, EmailState, Kind, Notification

from .conftest import inbox

pytestmark = pytest.mark.django_db

REFUSING = {"default": {"BACKEND": "coordcell.notifications.tests.failing_mail.RefusingBackend"}}
DOWN = {"default": {"BACKEND": "coordcell.notifications.tests.failing_mail.DownBackend"}}
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def cut(world, django_capture_on_commit_callbacks):
    """A capacity cut: the coordinator and the auditor are told (no actor)."""
    with django_capture_on_commit_callbacks(execute=True):
        return services.notify_capacity_cut(world.hub, "artillery", ["2027-W05"])


def test_the_mail_goes_out_after_the_commit_through_the_job(
    world, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify_capacity_cut(world.hub, "artillery", ["2027-W05"])
    assert mail.outbox == []  # nothing is sent inside the change's transaction
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["audit@example.org", "coord@example.org"]
    message = mail.outbox[0]
    assert message.subject.startswith("[coordcell] ") and world.hub.name in message.subject
    assert "/logistics/hubs/" in message.body
    assert {n.email_state for n in Notification.objects.all()} == {EmailState.SENT}


def test_kinds_not_chosen_stay_in_the_inbox(world, people, django_capture_on_commit_callbacks):
    services.preference_save(
        actor=people.coord,
        user=people.coord,
        email_kinds=[Kind.SHIPMENT_LATE],
        daily_digest=False,
    )
    cut(world, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["audit@example.org"]]
    [notice] = inbox(people.coord)
    assert notice.email_state == EmailState.NONE


def test_a_user_without_an_address_reads_the_inbox_only(
    world, people, django_capture_on_commit_callbacks
):
    people.auditor.email = ""
    people.auditor.save()
    cut(world, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["coord@example.org"]]
    assert len(inbox(people.auditor)) == 1


@pytest.mark.parametrize("mailers", [REFUSING, DOWN], ids=["refused", "server-down"])
def test_a_failing_mail_server_loses_nothing(
    world, people, settings, django_capture_on_commit_callbacks, mailers
):
    settings.MAILERS = mailers
    cut(world, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    for notice in Notification.objects.all():
        assert notice.email_state == EmailState.PENDING
        assert notice.email_attempts == 1
        assert notice.email_not_before > timezone.now()
        assert notice.email_error

    # Not before its backoff, however often a job runs.
    assert notification_mail.send_pending() == (0, 0)

    # Still down a minute later: another try, and a longer wait.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1, seconds=5)):
        assert notification_mail.send_pending() == (0, 2)
    assert {n.email_attempts for n in Notification.objects.all()} == {2}

    # The server is back: the next due job sends them all, once.
    settings.MAILERS = LOCMEM
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        # The worker's sweep finds them due and runs a job (at once, in tests).
        assert "due" in notification_mail.enqueue_due_work()
        assert notification_mail.send_pending() == (0, 0)  # that job sent them
    assert sorted(m.to[0] for m in mail.outbox) == ["audit@example.org", "coord@example.org"]
    assert {n.email_state for n in Notification.objects.all()} == {EmailState.SENT}


def test_backoff_doubles_up_to_six_hours():
    assert [notification_mail.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [
        1,
        2,
        4,
        8,
    ]
    assert notification_mail.backoff(40) == dt.timedelta(hours=6)


def test_a_leased_notification_is_not_sent_twice(world, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        rows = services.notify_capacity_cut(world.hub, "artillery", ["2027-W05"])
    ids = [r.pk for r in rows]
    taken = notification_mail._claim(ids, [EmailState.PENDING], timezone.now())
    assert len(taken) == 2
    # Another worker at the same moment finds them leased.
    assert notification_mail.send_pending(ids) == (0, 0)
    # A worker killed while sending: after the lease, they are sent after all.
    with time_machine.travel(timezone.now() + notification_mail.LEASE + dt.timedelta(seconds=1)):
        assert notification_mail.send_pending(ids) == (2, 0)


def test_the_digest_sends_one_mail_per_user_with_the_days_notices(
    world, people, django_capture_on_commit_callbacks
):
    services.preference_save(
        actor=people.coord,
        user=people.coord,
        email_kinds=list(Kind.values),
        daily_digest=True,
    )
    cut(world, django_capture_on_commit_callbacks)
    cut(world, django_capture_on_commit_callbacks)
    # The auditor (no choice made) got one mail each; the coordinator waits for the digest.
    assert [m.to[0] for m in mail.outbox] == ["audit@example.org"] * 2
    assert {n.email_state for n in inbox(people.coord)} == {EmailState.DIGEST}
    mail.outbox.clear()

    assert notification_mail.send_digest() == (1, 0)
    [digest] = mail.outbox
    assert digest.to == ["coord@example.org"]
    assert digest.subject == "[coordcell] 2 notifications from coordcell"
    assert digest.body.count(world.hub.name) >= 2
    assert {n.email_state for n in inbox(people.coord)} == {EmailState.SENT}
    assert notification_mail.send_digest() == (0, 0)  # nothing twice


def test_a_failed_digest_is_sent_by_a_later_job(
    world, people, settings, django_capture_on_commit_callbacks
):
    services.preference_save(
        actor=people.coord, user=people.coord, email_kinds=list(Kind.values), daily_digest=True
    )
    cut(world, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    settings.MAILERS = REFUSING
    assert notification_mail.send_digest() == (0, 1)
    assert {n.email_state for n in inbox(people.coord)} == {EmailState.DIGEST}
    settings.MAILERS = LOCMEM
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        assert notification_mail.send_digest(retry_only=True) == (1, 0)
    assert [m.to for m in mail.outbox] == [["coord@example.org"]]


def test_the_worker_enqueues_the_digest_once_a_day_from_its_hour(
    world, people, settings, django_capture_on_commit_callbacks
):
    settings.COORDCELL_NOTIFY_DIGEST_HOUR = 7
    services.preference_save(
        actor=people.coord, user=people.coord, email_kinds=list(Kind.values), daily_digest=True
    )
    with time_machine.travel(dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.UTC)):
        cut(world, django_capture_on_commit_callbacks)
        mail.outbox.clear()
        kinds.run_periodic()  # before the hour: no digest
        assert mail.outbox == []
    with time_machine.travel(dt.datetime(2027, 3, 1, 7, 1, tzinfo=dt.UTC)):
        kinds.run_periodic()
        kinds.run_periodic()  # every worker's every sweep: still one digest
    assert [m.to for m in mail.outbox] == [["coord@example.org"]]
    assert list(DailyRun.objects.filter(what="digest").values_list("day", flat=True)) == [
        dt.date(2027, 3, 1)
    ]


def test_every_mail_job_is_registered_with_the_queue():
    from coordcell.notifications import tasks

    every = (
        tasks.send_notification_mail,
        tasks.send_due_mail,
        tasks.send_digest,
        tasks.check_late_shipments,
    )
    for task in every:
        assert task.module_path in kinds.KINDS
    assert notification_mail.enqueue_due_work in kinds.PERIODIC


def test_the_digest_command_sends_what_waits(world, people, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    services.preference_save(
        actor=people.coord, user=people.coord, email_kinds=list(Kind.values), daily_digest=True
    )
    cut(world, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    out = StringIO()
    call_command("notifications_digest", stdout=out)
    assert "Digests: 1 mailed" in out.getvalue()
    assert [m.to for m in mail.outbox] == [["coord@example.org"]]
    assert DailyRun.objects.filter(what="digest", day=timezone.now().date()).exists()
