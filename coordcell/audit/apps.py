from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "coordcell.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.contrib.auth import signals

        from . import auth_events

        signals.user_logged_in.connect(auth_events.on_login, dispatch_uid="cc-audit-login")
        signals.user_logged_out.connect(auth_events.on_logout, dispatch_uid="cc-audit-logout")
        signals.user_login_failed.connect(
            auth_events.on_login_failed, dispatch_uid="cc-audit-login-failed"
        )
