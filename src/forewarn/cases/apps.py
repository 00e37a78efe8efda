from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "forewarn.cases"
    label = "cases"
    verbose_name = "Cases"
