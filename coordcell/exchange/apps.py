from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "coordcell.exchange"
    label = "exchange"
    verbose_name = "Spreadsheet import and export"
