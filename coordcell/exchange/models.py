from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
