"""Abstract bases shared by every app."""

from django.db import models


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimestampedModel):
    """An editable aggregate with an optimistic-locking version number.

    Services bump `version` on every change and refuse a change made against an older version
    (errors.StaleVersion), so two people editing the same record never overwrite each other.
    """

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class Clock(models.Model):
    """One statutory period running on a case, a subject-allegation or a proceeding.

    Rules (periods, citations) are in core/clocks.py; transitions start and stop clocks.
    `paused_on` is set while a suspension overlay holds the matter; resuming pushes `due_on`
    back by the working days lost.
    """

    # No index of its own: (case, stopped_on) serves lookups by case.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clocks", db_index=False)
    subject_allegation = models.ForeignKey("cases.SubjectAllegation", null=True, blank=True,
                                           on_delete=models.CASCADE, related_name="clocks")
    proceeding = models.ForeignKey("proceedings.Proceeding", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(max_length=40)
    started_on = models.DateField()
    due_on = models.DateField(db_index=True)
    stopped_on = models.DateField(null=True, blank=True)
    paused_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["case", "stopped_on"])]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_on}"
