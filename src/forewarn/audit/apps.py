from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "forewarn.audit"
    label = "audit"
    verbose_name = "Audit trail"
