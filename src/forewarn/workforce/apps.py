from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "forewarn.workforce"
    label = "workforce"
    verbose_name = "Workforce"
