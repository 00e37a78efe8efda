from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "forewarn.documents"
    label = "documents"
    verbose_name = "Documents"
