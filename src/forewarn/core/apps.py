from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "forewarn.core"
    label = "core"
