from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "forewarn.disclosure"
    label = "disclosure"
    verbose_name = "Disclosure schedules"
