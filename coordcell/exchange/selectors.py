"""Reads of the import's own records."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ImportUpload
from .specs import SPECS


def uploads_visible_to(user: Any) -> QuerySet[ImportUpload]:
    """Only the user who uploaded a file sees it, its runs and their files, while that user may
    still import its kind: a spreadsheet is a personal working file (what it committed is in the
    registers and, row by row, in the audit trail). Coordinators included."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ImportUpload.objects.none()
    kinds = [kind for kind, spec in SPECS.items() if spec.can_import(user)]
    return ImportUpload.objects.filter(owner=user, kind__in=kinds)
