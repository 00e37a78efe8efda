from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "forewarn.organisations"
    label = "organisations"
    verbose_name = "Organisations and users"
