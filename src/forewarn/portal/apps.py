from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "forewarn.portal"
    label = "portal"
    verbose_name = "Complainant portal"
