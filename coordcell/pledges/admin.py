from django.contrib import admin

from coordcell.audit.admin import AuditedAdmin

from .models import Pledge


@admin.register(Pledge)
class PledgeAdmin(AuditedAdmin):
    list_display = ["reference", "donor", "category", "quantity", "allocated_quantity", "status"]
    list_filter = ["status", "donor"]
    search_fields = ["reference", "donor_reference"]
    filter_horizontal = ["allowed_hubs", "allowed_capabilities"]
