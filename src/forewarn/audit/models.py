"""The append-only record of every action: the statutory timeline and the security audit trail.

Services write events explicitly (never signals), in the same transaction as the change they
record. Rows are never updated or deleted by the application.
"""

from django.db import models


class Event(models.Model):
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    occurred_on = models.DateField(help_text="The date the step took effect (may be historic).")
    actor = models.ForeignKey("organisations.User", null=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", null=True, on_delete=models.PROTECT,
                                     related_name="+")
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    case = models.ForeignKey("cases.Case", null=True, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["case", "occurred_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.object_type}:{self.object_id}"
