from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "forewarn.guidance"
    label = "guidance"
    verbose_name = "Outcome guidance"
