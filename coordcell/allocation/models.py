"""Allocation runs (a solve of the situation, or of a what-if copy of it) and their lines."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import FLOAT, PERCENT, QUANTITY_MAX, SMALLINT, VERSION_MAX, WEEKS_MAX, between
from coordcell.pledges.models import Pledge
from coordcell.registry.models import Location
from coordcell.requirements.models import Requirement


class AllocationRun(models.Model):
    class Kind(models.TextChoices):
        PLAN = "plan", _("Plan")
        WHAT_IF = "what_if", _("What-if scenario")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SOLVED = "solved", _("Solved, awaiting review")
        FAILED = "failed", _("Failed")
        COMMITTED = "committed", _("Committed")
        DISCARDED = "discarded", _("Discarded")

    class Method(models.TextChoices):
        OPTIMISER = "optimiser", _("Optimiser (HiGHS)")
        GREEDY = "greedy", _("Greedy hand method (comparison only)")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PLAN)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, default=Method.OPTIMISER
    )
    planning_start = models.DateField(_("week 0 starts (Monday)"))
    horizon_weeks = models.PositiveSmallIntegerField(
        _("horizon (weeks)"), default=26, validators=between(4, WEEKS_MAX)
    )
    replan_from = models.DateField(
        _("re-plans from (Monday)"),
        null=True,
        blank=True,
        help_text=_(
            "Planned shipments leaving on or after this day are re-planned: committing the run "
            "cancels them. What already moved or is loading is kept."
        ),
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    changes = models.JSONField(
        _("what-if changes"),
        default=list,
        blank=True,
        help_text=_("The changes this scenario makes to the current situation."),
    )
    base_run = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="what_ifs",
        verbose_name=_("compared against"),
    )
    input_hash = models.CharField(_("input hash (SHA-256)"), max_length=64, blank=True)
    instance_json = models.BinaryField(_("solver input (gzip JSON)"), null=True, blank=True)
    objective = models.FloatField(_("objective"), null=True, blank=True, validators=between(*FLOAT))
    lp_bound = models.FloatField(_("LP bound"), null=True, blank=True, validators=between(*FLOAT))
    gap = models.FloatField(
        _("gap to the LP bound"), null=True, blank=True, validators=between(*FLOAT)
    )
    greedy_objective = models.FloatField(
        _("greedy objective"), null=True, blank=True, validators=between(*FLOAT)
    )
    stats = models.JSONField(_("solver statistics"), default=dict, blank=True)
    # exposure of the plan to the loss of a hub, the N-1 table when asked for, and the plain
    # plan's figures beside a resilient one (route and timing information: the run's readers)
    resilience = models.JSONField(_("exposure to the loss of a hub"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=between(*PERCENT)
    )
    progress_message = models.CharField(max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    version = models.PositiveIntegerField(default=1, validators=between(1, VERSION_MAX))

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_kind_display()}, {self.get_status_display()})"

    def week_start(self, week: int) -> dt.date:
        """The Monday of planning week ``week`` (0-based)."""
        return self.planning_start + dt.timedelta(weeks=week)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class AllocationLine(models.Model):
    """So many units of a pledge, through a hub, to a requirement, in given weeks."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="lines")
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="allocation_lines")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="allocation_lines"
    )
    hub = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="allocation_lines")
    quantity = models.PositiveIntegerField(_("quantity"), validators=between(0, QUANTITY_MAX))
    dispatch_week = models.PositiveSmallIntegerField(
        _("leaves origin (week)"), validators=between(0, SMALLINT[1])
    )
    hub_week = models.PositiveSmallIntegerField(
        _("leaves hub (week)"), validators=between(0, SMALLINT[1])
    )
    arrival_week = models.PositiveSmallIntegerField(
        _("arrives (week)"), validators=between(0, SMALLINT[1])
    )
    weeks_late = models.PositiveSmallIntegerField(
        _("weeks late"), default=0, validators=between(0, SMALLINT[1])
    )
    edited = models.BooleanField(_("edited by hand"), default=False)

    class Meta:
        ordering = ["requirement__priority", "arrival_week", "id"]
        indexes = [models.Index(fields=["run", "pledge"]), models.Index(fields=["run", "hub"])]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.pledge.reference} → {self.requirement.reference}"


class Shortfall(models.Model):
    """A requirement the run does not meet in full and on time, with the reasons why."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="shortfalls")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    requested = models.PositiveIntegerField(validators=between(0, QUANTITY_MAX))
    on_time = models.PositiveIntegerField(validators=between(0, QUANTITY_MAX))
    late = models.PositiveIntegerField(validators=between(0, QUANTITY_MAX))
    missing = models.PositiveIntegerField(validators=between(0, QUANTITY_MAX))
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["requirement__priority", "requirement__need_by", "id"]

    def __str__(self) -> str:
        return f"{self.requirement.reference}: {self.missing} missing, {self.late} late"
