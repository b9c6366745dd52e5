from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from coordcell.audit.admin import AuditedAdmin

from .models import (
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


@admin.register(User)
class CoordcellUserAdmin(UserAdmin, AuditedAdmin):  # type: ignore[misc]
    list_display = ["username", "first_name", "last_name", "role", "nation", "is_active"]
    list_filter = ["role", "nation", "is_active"]
    fieldsets = (
        *UserAdmin.fieldsets,
        ("coordcell", {"fields": ("role", "nation", "organisation")}),
    )


class HubCapacityInline(admin.TabularInline):  # type: ignore[type-arg]
    model = HubCapacity
    extra = 0


class StockNumberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = StockNumber
    extra = 0


@admin.register(Location)
class LocationAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "nation"]
    list_filter = ["kind", "nation"]
    search_fields = ["code", "name"]
    inlines = [HubCapacityInline]


@admin.register(ItemCategory)
class ItemCategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "domain", "unit", "nsc", "sensitive"]
    list_filter = ["domain", "sensitive"]
    search_fields = ["code", "name"]
    filter_horizontal = ["can_serve"]
    inlines = [StockNumberInline]


for model in (Nation, Organisation, CapabilityCoalition, Capability):
    admin.site.register(model, AuditedAdmin)
