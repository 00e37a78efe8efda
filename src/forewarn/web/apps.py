from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "forewarn.web"
    label = "web"
    verbose_name = "Web interface"
