from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordcell.audit.admin import AuditedAdmin
from coordcell.audit.services import record

from . import services
from .models import (
    STANDING_FROM,
    Capability,
    CapabilityCoalition,
    HubCapacity,
    ItemCategory,
    Location,
    Nation,
    Organisation,
    StockNumber,
    User,
)
from .services import user_has_acted, user_remove


class PasswordForm(AdminPasswordChangeForm):
    """The admin's password change, saved by the users' actions (the view records the event)."""

    def save(self, commit: bool = True) -> Any:
        self.user.set_password(self.cleaned_data["password1"])
        if commit:
            services.user_save_password(user=self.user)
        return self.user


@admin.register(User)
class CoordcellUserAdmin(UserAdmin, AuditedAdmin):
    """Users, through the audited services: a user who acted is deactivated, never deleted."""

    record_actions = services
    change_password_form = PasswordForm

    list_display = ["username", "first_name", "last_name", "role", "nation", "is_active"]
    list_filter = ["role", "nation", "is_active"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("coordcell", {"fields": ("role", "nation", "organisation")}),
    )

    actions = ["delete_selected"]

    @admin.action(permissions=["delete"], description=gettext_lazy("Delete selected users"))
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> Any:
        """Django's "delete selected" (its confirmation page too, which posts back to this
        name), but a user who acted is deactivated, and the message says which happened."""
        if not request.POST.get("post"):
            return delete_selected(self, request, queryset)
        _, _, perms_needed, protected = self.get_deleted_objects(queryset, request)
        if perms_needed or protected:
            return delete_selected(self, request, queryset)  # Django's refusal page
        users = list(queryset)
        self.log_deletions(request, users)
        outcome = [user_remove(actor=request.user, user=user) for user in users]
        deleted, deactivated = outcome.count(True), outcome.count(False)
        self.message_user(
            request,
            f"Deleted {deleted} user(s); deactivated {deactivated} who had acted "
            "(the audit trail keeps their names)."
            if deactivated
            else f"Deleted {deleted} user(s).",
            messages.SUCCESS,
        )
        return None

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """What the confirmation page lists: a user who acted is kept, deactivated."""
        users = list(objs)
        acted = [user for user in users if user_has_acted(user)]
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            [user for user in users if user not in acted], request
        )
        kept = [
            format_html("{}: has acted, so deactivated instead (the audit trail names them)", u)
            for u in acted
        ]
        return [*kept, *deleted], counts, perms_needed, protected

    def log_deletions(self, request: HttpRequest, queryset: Any) -> list[LogEntry]:
        users = list(queryset)
        deleted = [user for user in users if not user_has_acted(user)]
        # Django passes a list too (its delete view: [obj]); django-stubs say a QuerySet.
        return super().log_deletions(request, deleted)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        user_remove(actor=request.user, user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            user_remove(actor=request.user, user=user)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        if not User.objects.filter(pk=obj_id).exists():
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(
            request,
            f"{obj_display} has acted, so was deactivated instead of deleted "
            "(the audit trail keeps their name).",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:registry_user_changelist"))

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Django's view saves the new password itself: the event goes in the same transaction
        # (without the hash).
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=unquote(id))
                record(
                    actor=request.user,
                    verb="admin-set-password",
                    target=user,
                    data={"usable_password": user.has_usable_password()},
                )
        return response


class HubCapacityInlineForm(forms.ModelForm):
    """A capacity row in the admin: without a first week it is the standing figure."""

    class Meta:
        model = HubCapacity
        fields = ["domain", "weekly_capacity", "valid_from", "valid_until", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].required = False

    def clean_valid_from(self) -> Any:
        return self.cleaned_data.get("valid_from") or STANDING_FROM


class HubCapacityInline(admin.TabularInline):
    """The coordinator's page is /hub-capacities/; the admin keeps the rows for the
    installation's administrator, through the same rules and audit trail."""

    model = HubCapacity
    form = HubCapacityInlineForm
    extra = 0


class StockNumberInline(admin.TabularInline):
    model = StockNumber
    extra = 0


class ReferenceAdmin(AuditedAdmin):
    record_actions = services


@admin.register(Location)
class LocationAdmin(ReferenceAdmin):
    list_display = ["code", "name", "kind", "nation"]
    list_filter = ["kind", "nation"]
    search_fields = ["code", "name"]
    inlines = [HubCapacityInline]


@admin.register(ItemCategory)
class ItemCategoryAdmin(ReferenceAdmin):
    list_display = ["code", "name", "domain", "unit", "nsc", "sensitive"]
    list_filter = ["domain", "sensitive"]
    search_fields = ["code", "name"]
    filter_horizontal = ["can_serve"]
    inlines = [StockNumberInline]


for model in (Nation, Organisation, CapabilityCoalition, Capability):
    admin.site.register(model, ReferenceAdmin)


# Django's and django-otp's own admins for these would change them without an audit event.
admin.site.unregister(Group)
admin.site.unregister(TOTPDevice)


@admin.register(Group)
class AuditedGroupAdmin(ReferenceAdmin, GroupAdmin):
    pass


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(ReferenceAdmin, TOTPDeviceAdmin):
    """Delete only, audited: a user who lost their authenticator enrols again on their own
    two-factor page (audited there), so nobody else ever holds their secret."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
