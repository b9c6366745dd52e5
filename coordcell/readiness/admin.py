from django.contrib import admin

from coordcell.audit.admin import AuditedAdmin

from .models import CapabilityPackage, PackageItem


class PackageItemInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PackageItem
    raw_id_fields = ["requirement"]
    extra = 1


@admin.register(CapabilityPackage)
class CapabilityPackageAdmin(AuditedAdmin):
    list_display = ["reference", "name", "capability", "ready_on", "bottleneck"]
    search_fields = ["reference", "name"]
    readonly_fields = [
        "ready_on",
        "bottleneck",
        "bottleneck_kind",
        "bottleneck_donor",
        "critical_path",
        "components",
        "computed_at",
    ]
    inlines = [PackageItemInline]
