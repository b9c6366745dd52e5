from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


class AuditedAdmin(admin.ModelAdmin):
    """The admin is one more entry point: it changes a record only through the actions of the
    record's app, like the pages, the API and imports do.

    ``record_actions`` is that app's actions module, offering ``admin_save(*, actor, form,
    formsets, change)`` (the record with its inlines, audited) and ``admin_delete(*, actor,
    instance)``. A model whose admin names none is read-only here: it has pages of its own.
    """

    record_actions: Any = None

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.record_actions is not None and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.record_actions is not None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.record_actions is not None and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Saved with its inlines by ``save_related``, in one action and one transaction."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        self.record_actions.admin_save(
            actor=request.user, form=form, formsets=formsets, change=change
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.record_actions.admin_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.record_actions.admin_delete(actor=request.user, instance=obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_name", "verb", "target_type", "target_id"]
    list_filter = ["verb", "target_type"]
    search_fields = ["actor_name", "target_repr", "target_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
