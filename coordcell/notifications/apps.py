from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "coordcell.notifications"
    verbose_name = "Notifications"
    # Notifications and preferences (services); their e-mail state and the digest days (mail).
    action_modules = ("services", "mail")

    def ready(self) -> None:
        from coordcell.jobs.kinds import register, register_periodic

        from . import mail, tasks

        register(tasks.send_notification_mail, on_lost=mail.notification_mail_lost)
        register(tasks.send_due_mail, on_lost=mail.due_mail_lost)
        register(tasks.send_digest, on_lost=mail.digest_lost)
        register(tasks.check_late_shipments, on_lost=mail.late_check_lost)
        register_periodic(mail.enqueue_due_work)
