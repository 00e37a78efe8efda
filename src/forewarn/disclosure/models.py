"""Disclosure schedules (issue #6 §1): every record linked to the subject person, a decision on each,
sealed versions, and the continuing duty when new material is linked after a schedule was served.

Not to be confused with `register.DisclosureRequest` (another force asking for a case file).
"""

from __future__ import annotations

from django.db import models

from forewarn.core.models import TimestampedModel, VersionedModel


class ProceedingKind(models.TextChoices):
    MISCONDUCT_MEETING = "misconduct_meeting", "Misconduct meeting"
    MISCONDUCT_HEARING = "misconduct_hearing", "Misconduct hearing"
    APPEAL = "appeal", "Appeal against a misconduct meeting"
    POLICE_APPEALS_TRIBUNAL = "pat", "Police Appeals Tribunal"
    COMPLAINANT_REVIEW = "complainant_review", "Complainant's review"
    JUDICIAL_REVIEW = "judicial_review", "Judicial review"
    CRIMINAL = "criminal", "Criminal proceedings"
    CIVIL = "civil", "Civil proceedings"


class ScheduleStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


class Schedule(VersionedModel):
    """The schedule of material for one proceeding about one person."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="disclosure_schedules",
                             help_text="The case the proceeding arises from (scope: who may see the schedule).")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="disclosure_schedules")
    kind = models.CharField(max_length=24, choices=ProceedingKind.choices)
    proceeding = models.ForeignKey("proceedings.Proceeding", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    challenge = models.ForeignKey("proceedings.Challenge", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    title = models.CharField(max_length=300)
    disclosure_officer = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=ScheduleStatus.choices, default=ScheduleStatus.OPEN)
    served_version = models.PositiveIntegerField(default=0, help_text="The latest version served (0: none yet).")
    created_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class ItemSource(models.TextChoices):
    ALLEGATION = "allegation", "Complaint, conduct or DSI allegation"
    OUTCOME = "outcome", "Outcome of proceedings"
    LIST_ENTRY = "list_entry", "Barred or advisory list entry"
    INTELLIGENCE = "intelligence", "Intelligence record"


class Decision(models.TextChoices):
    PENDING = "", "Awaiting a decision"
    DISCLOSED = "disclosed", "Relevant and disclosed"
    NOT_RELEVANT = "not_relevant", "Not relevant"
    WITHHELD = "withheld", "Withheld under the harm test"


class ScheduleItem(TimestampedModel):
    """One record on a schedule: what it is (a snapshot of its facts), and the officer's decision."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=60, help_text="The record scheduled, e.g. subject_allegation:12.")
    source = models.CharField(max_length=16, choices=ItemSource.choices)
    subject_allegation = models.ForeignKey("cases.SubjectAllegation", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    proceeding = models.ForeignKey("proceedings.Proceeding", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    list_entry = models.ForeignKey("register.ListEntry", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    intelligence_record = models.ForeignKey("intelligence.IntelligenceRecord", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    facts = models.JSONField(help_text="What the record is, as scheduled (refreshed while undecided).")
    added_after_version = models.PositiveIntegerField(
        default=0, help_text="The version served before this item appeared (0: on the schedule from the start).")
    no_longer_linked = models.BooleanField(default=False, help_text="The record was unlinked from the person.")
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    reason = models.TextField(max_length=5000, blank=True)
    decided_by = models.ForeignKey("organisations.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["schedule", "key"], name="one_item_per_record")]

    def __str__(self) -> str:
        return f"{self.key} on schedule {self.schedule_id}"


class ScheduleVersion(models.Model):
    """A served version: its content as served (redacted), the SHA-256 of that content, who, when, to whom."""

    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    served_by = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="+")
    served_at = models.DateTimeField()
    served_to = models.CharField(max_length=300)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["schedule", "number"], name="one_version_number")]

    def __str__(self) -> str:
        return f"schedule {self.schedule_id} v{self.number}"


class DriftNotice(models.Model):
    """Continuing duty: new material linked to the person after the schedule was served."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="drift_notices")
    item = models.ForeignKey(ScheduleItem, on_delete=models.CASCADE, related_name="drift_notices")
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"drift on schedule {self.schedule_id}: {self.item.key}"
