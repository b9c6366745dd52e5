from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "coordcell.training"
    verbose_name = "Training"
    # Sessions, cohorts and bookings by hand (services) and by the scheduler (scheduling).
    action_modules = ("services", "scheduling")
