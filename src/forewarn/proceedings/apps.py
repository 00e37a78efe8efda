from django.apps import AppConfig


class ProceedingsConfig(AppConfig):
    name = "forewarn.proceedings"
    label = "proceedings"
    verbose_name = "Proceedings, appeals and lists"
