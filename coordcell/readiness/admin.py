from django.contrib import admin

from coordcell.audit.admin import AuditedAdmin

from . import services
from .models import CapabilityPackage, PackageItem
from .wording import Wording


class PackageItemInline(admin.TabularInline):
    model = PackageItem
    raw_id_fields = ["requirement"]
    extra = 1


@admin.register(CapabilityPackage)
class CapabilityPackageAdmin(AuditedAdmin):
    record_actions = services
    list_display = ["reference", "name", "capability", "ready_on", "bottleneck_in_words"]
    search_fields = ["reference", "name"]
    readonly_fields = [
        "reference",  # the cell's number, given by package_save
        "version",
        "ready_on",
        "bottleneck",
        "critical_path",
        "components",
        "computed_at",
    ]
    inlines = [PackageItemInline]

    @admin.display(description="bottleneck")
    def bottleneck_in_words(self, package: CapabilityPackage) -> str:
        # The admin is the cell's staff's: the cell's words.
        return Wording.for_the_cell().bottleneck(package)
