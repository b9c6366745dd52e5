from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent
from .services import delete_audited, record, save_audited, snapshot


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin changes go through the same audited save as every other change."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_audited(
            actor=request.user, instance=obj, verb="admin-" + ("update" if change else "create")
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        from django.db import transaction

        with transaction.atomic():
            before = snapshot(form.instance)
            super().save_related(request, form, formsets, change)
            after = snapshot(form.instance)
            if before != after:
                record(
                    actor=request.user,
                    verb="admin-update-related",
                    target=form.instance,
                    data={"before": before, "after": after},
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_audited(actor=request.user, instance=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            delete_audited(actor=request.user, instance=obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["seq", "at", "actor_name", "verb", "target_type", "target_id"]
    list_filter = ["verb", "target_type"]
    search_fields = ["actor_name", "target_repr", "target_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
