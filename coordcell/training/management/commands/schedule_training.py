import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.registry.models import Role, User
from coordcell.training.models import ScheduleRun
from coordcell.training.scheduling import run_create, run_execute


class Command(BaseCommand):
    help = "Book the cohorts on course sessions with the training scheduler (CP-SAT)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--start",
            type=dt.date.fromisoformat,
            default=None,
            help="Monday of week 0 (default: this week's Monday)",
        )
        parser.add_argument("--horizon", type=int, default=52, help="weeks planned (default 52)")
        parser.add_argument(
            "--time-limit", type=float, default=10.0, help="solver time limit in seconds"
        )
        parser.add_argument(
            "--user", default=None, help="coordinator the run is recorded for (default: the first)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk")
        name = options["user"]
        actor = users.filter(username=name).first() if name else users.first()
        if actor is None:
            raise CommandError(
                "No active coordinator"
                + (f" named {name!r}" if name else "")
                + ": create one first."
            )
        try:
            run = run_create(
                actor=actor,
                planning_start=options["start"],
                horizon_weeks=options["horizon"],
                time_limit_s=options["time_limit"],
                enqueue=False,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{run.reference}: scheduling…")
        run = run_execute(run.pk)
        if run.status == ScheduleRun.Status.FAILED:
            raise CommandError(f"{run.reference} failed: {run.error}")
        outcomes = run.outcomes.all()
        late = sum(1 for o in outcomes if o.scheduled and (o.lateness or 0) > 0)
        untrained = sum(1 for o in outcomes if not o.scheduled)
        self.stdout.write(
            f"{run.reference} {run.solver_status}: objective {run.objective} weighted weeks late, "
            f"bound {run.best_bound}, gap {100 * (run.gap or 0):.2f}%; "
            f"{run.bookings.count()} bookings, {late} cohorts late, {untrained} untrained."
        )
        for o in outcomes.filter(reasons__isnull=False).select_related("cohort")[:10]:
            if o.reasons:
                self.stdout.write(f"  {o.cohort.reference}: {o.binding_reason}")
        for message in run.messages:
            self.stdout.write(f"  note: {message}")
