from django.contrib import admin

from coordcell.audit.admin import AuditedAdmin

from .models import Requirement


@admin.register(Requirement)
class RequirementAdmin(AuditedAdmin):
    list_display = [
        "reference",
        "priority",
        "capability",
        "category",
        "quantity",
        "need_by",
        "status",
    ]
    list_filter = ["status", "priority"]
    search_fields = ["reference"]
