"""API writes go through the register's form and save service, exactly like the pages.

The serializer has parsed the request into objects; here they become the form's data (merged over
the stored record for a partial update), the form applies every rule the page applies, and the
register's ``save`` service validates again, checks the version and records the audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import prefetch_related_objects
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail

from coordcell.registry.registers import Register


def _form_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet):
        return [obj.pk for obj in value]
    if isinstance(value, list | tuple | set):
        return [_form_value(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def form_errors(form: Any) -> exceptions.ValidationError:
    detail: dict[str, list[ErrorDetail]] = {}
    for name, errors in form.errors.as_data().items():
        key = "non_field_errors" if name == "__all__" else name
        for error in errors:
            for message in error.messages:
                detail.setdefault(key, []).append(ErrorDetail(message, error.code or "invalid"))
    return exceptions.ValidationError(detail)


def save_through_form(
    register: Register,
    *,
    user: Any,
    validated: Mapping[str, Any],
    instance: models.Model | None = None,
) -> models.Model:
    """Validate ``validated`` with the register's form and save it with its service."""
    assert register.form_class is not None and register.save is not None
    if instance is not None:
        # Both forms read the record's many-to-many values: one query each, not one per form.
        prefetch_related_objects([instance], *(f.name for f in instance._meta.many_to_many))
    probe = register.form_class(instance=instance, user=user)
    names: Iterable[str] = list(probe.fields)
    data: dict[str, Any] = {}
    if instance is not None:
        # The unbound form's initial values are the stored record's (model_to_dict).
        data.update({n: probe.initial[n] for n in names if n != "version" and n in probe.initial})
    else:
        # A field left out takes the model's default, as the API schema says.
        model = register.model
        model_fields = {f.name for f in model._meta.get_fields()}
        for name in names:
            # A form's own field (a cohort's course path) has no model default.
            field = model._meta.get_field(name) if name in model_fields - {"version"} else None
            if isinstance(field, models.Field) and field.has_default():
                data[name] = field.get_default()
    data.update(validated)
    if "quantity_undisclosed" in names:
        # The page's explicit tick; the API says the same with a null quantity (its schema
        # requires the field, so a client never sends null by leaving it out).
        data["quantity_undisclosed"] = data.get("quantity") is None
    form = register.form_class(
        data={k: _form_value(v) for k, v in data.items()}, instance=instance, user=user
    )
    _refuse_fields_not_offered(form, validated)
    if not form.is_valid():
        raise form_errors(form)
    return register.save(actor=user, form=form)


def _refuse_fields_not_offered(form: Any, validated: Mapping[str, Any]) -> None:
    """A field the page does not offer this user (a donor liaison's donor) cannot be changed."""
    errors = {}
    for name, value in validated.items():
        if name in form.fields or name == "version":
            continue
        field = form.instance._meta.get_field(name)
        current = field.value_from_object(form.instance)
        if _form_value(value) != _form_value(current):
            errors[name] = [
                ErrorDetail(
                    f"You cannot set {field.verbose_name} to this value; leave it out or send "
                    f"the value it has.",
                    "not_allowed",
                )
            ]
    if errors:
        raise exceptions.ValidationError(errors)
