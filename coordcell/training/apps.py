from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "coordcell.training"
    verbose_name = "Training"
