from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "coordcell.audit"
    verbose_name = "Audit trail"
