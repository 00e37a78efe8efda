from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "forewarn.intelligence"
    label = "intelligence"
    verbose_name = "Intelligence records"
