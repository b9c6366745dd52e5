import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import INTEGER, between


class SavedMapping(models.Model):
    """A user's column mapping for a kind of spreadsheet, kept to reuse on the next file."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_mappings"
    )
    kind = models.CharField(_("import type"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "name"], name="saved_mapping_unique_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


def _new_public_id() -> str:
    return uuid.uuid4().hex


class ImportUpload(models.Model):
    """A spreadsheet a user sent to import, with its column mapping, kept while the user works
    on it (dry runs, a commit) and for two days after: only that user ever sees it."""

    public_id = models.CharField(max_length=32, unique=True, default=_new_public_id)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_uploads"
    )
    kind = models.CharField(_("import type"), max_length=30)
    name = models.CharField(_("file name"), max_length=255)  # as the user's machine called it
    stored_as = models.CharField(max_length=100)  # the file's name under COORDCELL_IMPORT_DIR
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    # Values the registers did not know in the last dry run: the page offers a select for each.
    unknown = models.JSONField(default=dict)
    # A dry run finished since the upload: the page offers to commit.
    checked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ImportRun(models.Model):
    """One dry run or commit of an upload, run by the background worker: its progress while it
    runs, then its report; its error and rejected-rows files are kept beside the upload."""

    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", _("Dry run")
        COMMIT = "commit", _("Commit, all or nothing")
        COMMIT_VALID = "commit_valid", _("Commit the valid rows, reject the others")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    upload = models.ForeignKey(ImportUpload, on_delete=models.CASCADE, related_name="runs")
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    phase = models.CharField(_("phase"), max_length=200, blank=True)
    rows_done = models.PositiveIntegerField(default=0, validators=between(0, INTEGER[1]))
    rows_expected = models.PositiveIntegerField(
        null=True, blank=True, validators=between(0, INTEGER[1])
    )
    mapping = models.JSONField(default=dict)
    # The outcome: the report's summary and figures (ImportReport.as_dict), or why the job failed.
    summary = models.TextField(blank=True)
    report = models.JSONField(default=dict)
    committed = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} of {self.upload}"

    @property
    def active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def percent(self) -> int | None:
        if not self.rows_expected:
            return None
        return min(100, round(100 * self.rows_done / self.rows_expected))
