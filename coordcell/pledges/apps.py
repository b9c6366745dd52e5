from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "coordcell.pledges"
    verbose_name = "Pledges"
    action_modules = ("services", "deliveries")
