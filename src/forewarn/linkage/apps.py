from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "forewarn.linkage"
    label = "linkage"
    verbose_name = "Identity resolution (linkage)"
