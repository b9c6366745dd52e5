import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.allocation import solver
from coordcell.allocation.instance import build_instance
from coordcell.allocation.models import AllocationRun
from coordcell.allocation.scenarios import ChangeError, apply_changes
from coordcell.allocation.services import (
    default_planning_start,
    run_commit,
    run_create,
    run_execute,
)
from coordcell.registry.models import Role, User


class Command(BaseCommand):
    help = "Run an allocation (or a what-if), export its input, or solve an instance file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--start",
            type=dt.date.fromisoformat,
            default=None,
            help="Monday of week 0 (default: this week's Monday)",
        )
        parser.add_argument("--horizon", type=int, default=26, help="weeks planned (default 26)")
        parser.add_argument(
            "--replan-from",
            type=dt.date.fromisoformat,
            default=None,
            metavar="MONDAY",
            help="re-plan the planned shipments leaving on or after this Monday "
            "(committing cancels them); see docs/allocation.md",
        )
        parser.add_argument(
            "--what-if",
            type=Path,
            default=None,
            help="JSON file with a list of changes (see docs/allocation.md)",
        )
        parser.add_argument(
            "--lexicographic", action="store_true", help="priority 1 first, then 2, ..."
        )
        parser.add_argument(
            "--greedy", action="store_true", help="use the greedy hand method (comparison only)"
        )
        parser.add_argument(
            "--user", default=None, help="coordinator the run is recorded for (default: the first)"
        )
        parser.add_argument("--commit", action="store_true", help="commit the plan when solved")
        parser.add_argument(
            "--export-instance",
            type=Path,
            default=None,
            metavar="FILE.json",
            help="write the solver's input as it would be solved, and stop",
        )
        parser.add_argument(
            "--instance",
            type=Path,
            default=None,
            metavar="FILE.json",
            help="solve an instance file without the database",
        )
        parser.add_argument(
            "--plan",
            type=Path,
            default=None,
            metavar="PLAN.json",
            help="with --instance: where to write the plan (default: stdout)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["instance"]:
            self._solve_file(options["instance"], options["plan"])
            return
        changes = self._changes(options["what_if"])
        parameters = {"lexicographic": True} if options["lexicographic"] else {}
        start = options["start"] or default_planning_start()
        if options["export_instance"]:
            instance = build_instance(
                start=start,
                horizon=options["horizon"],
                parameters=parameters,
                replan_from=options["replan_from"],
            )
            try:
                instance = apply_changes(instance, changes)
            except ChangeError as exc:
                raise CommandError(str(exc)) from exc
            options["export_instance"].write_text(solver.instance_to_json(instance))
            self.stdout.write(
                f"Wrote {len(instance.supplies):,} pledges and "
                f"{len(instance.demands):,} requirements to "
                f"{options['export_instance']}."
            )
            return
        actor = self._coordinator(options["user"])
        try:
            run = run_create(
                actor=actor,
                planning_start=start,
                horizon_weeks=options["horizon"],
                parameters=parameters,
                changes=changes,
                enqueue=False,
                replan_from=options["replan_from"],
                method=(
                    AllocationRun.Method.GREEDY
                    if options["greedy"]
                    else AllocationRun.Method.OPTIMISER
                ),
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{run.reference}: solving…")
        run = run_execute(run.pk)
        if run.status == AllocationRun.Status.FAILED:
            raise CommandError(f"{run.reference} failed: {run.error}")
        stats = run.stats
        self.stdout.write(
            f"{run.reference} solved in {stats.get('end_to_end_seconds', 0):.1f} s: "
            f"objective {run.objective:,.1f}, LP bound {run.lp_bound or 0:,.1f}, "
            f"gap {100 * (run.gap or 0):.3f}%, greedy {run.greedy_objective or 0:,.1f}; "
            f"{run.lines.count():,} lines, {run.shortfalls.count():,} requirements short."
        )
        if options["commit"]:
            try:
                run_commit(actor=actor, run=run)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(self.style.SUCCESS(f"{run.reference} committed."))

    def _changes(self, path: Path | None) -> list[dict[str, Any]]:
        if path is None:
            return []
        try:
            changes = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if not isinstance(changes, list):
            raise CommandError(f"{path}: expected a JSON list of changes")
        return changes

    def _coordinator(self, username: str | None) -> User:
        users = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk")
        user = users.filter(username=username).first() if username else users.first()
        if user is None:
            raise CommandError(
                "No active coordinator"
                + (f" named {username!r}" if username else "")
                + ": create one first."
            )
        return user

    def _solve_file(self, path: Path, plan_path: Path | None) -> None:
        try:
            instance = solver.instance_from_json(path.read_text())
        except (OSError, solver.SchemaError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        plan = solver.solve(instance)
        text = solver.plan_to_json(plan)
        if plan_path:
            plan_path.write_text(text)
            self.stdout.write(
                f"Objective {plan.objective:,.3f}, LP bound {plan.lp_bound:,.3f}, "
                f"{len(plan.flows):,} flows written to {plan_path}.",
                style_func=None,
            )
        else:
            sys.stdout.write(text + "\n")
