from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "forewarn.register"
    label = "register"
    verbose_name = "National allegations register"
