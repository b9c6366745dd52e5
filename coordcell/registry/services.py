"""Changes to the reference registers (nations, categories, locations, coalitions, ...)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from coordcell.audit.services import delete_audited, save_audited

from .access import can_write_registers


def reference_save(*, actor: Any, form: Any) -> models.Model:
    """Save a reference-data form; only the cell's coordinators keep reference data."""
    if not can_write_registers(actor):
        raise PermissionDenied("Only coordinators change reference data.")
    return save_audited(
        actor=actor,
        instance=form.instance,
        m2m=form.m2m_data(),
        expected_version=getattr(form, "expected_version", None),
    )


def reference_delete(*, actor: Any, instance: models.Model) -> None:
    if not can_write_registers(actor):
        raise PermissionDenied("Only coordinators change reference data.")
    try:
        delete_audited(actor=actor, instance=instance)
    except models.ProtectedError as exc:
        from django.core.exceptions import ValidationError

        users = sorted({str(o) for o in exc.protected_objects})[:5]
        raise ValidationError(
            f"{instance} is still in use (by {', '.join(users)}…) and cannot be deleted."
        ) from exc
