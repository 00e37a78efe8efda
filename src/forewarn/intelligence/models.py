"""Intelligence records about officers and staff (issue #6 §1: a disclosure schedule lists
"intelligence and records linked by identity resolution").

Each record is held by one organisation (its owning force), graded on the national 3x5x2
intelligence grading (College of Policing, Authorised Professional Practice "Intelligence
management", intelligence report: source evaluation 1-3, intelligence assessment A-E, handling
code P or C; it replaced the 5x5x5 system), describes its subject as given and, once identified,
is linked to a `workforce.Person`. Only the owning force reads a record; other forces learn that it
exists only through a disclosure schedule about the person, and a `sensitive` record's content never
leaves the owning force at all (listed as "sensitive intelligence held by <force>: ask the owning
force", like a restricted case).
"""

from __future__ import annotations

from django.db import models

from forewarn.core.models import VersionedModel
from forewarn.workforce.models import Rank


class SourceEvaluation(models.TextChoices):
    # APP Intelligence management, 3x5x2: how reliable the source is.
    RELIABLE = "1", "1 — Reliable"
    UNTESTED = "2", "2 — Untested"
    NOT_RELIABLE = "3", "3 — Not reliable"


class IntelligenceAssessment(models.TextChoices):
    # APP Intelligence management, 3x5x2: how the source came to know what it reports.
    KNOWN_DIRECTLY = "A", "A — Known directly to the source"
    INDIRECT_CORROBORATED = "B", "B — Known indirectly to the source but corroborated"
    INDIRECT = "C", "C — Known indirectly to the source"
    NOT_KNOWN = "D", "D — Not known"
    SUSPECTED_FALSE = "E", "E — Suspected to be false or malicious"


class HandlingCode(models.TextChoices):
    # APP Intelligence management, 3x5x2: whether it may be shared lawfully, and on what terms.
    PERMITTED = "P", "P — Lawful sharing permitted"
    CONDITIONS = "C", "C — Lawful sharing permitted with conditions"


class LinkMethod(models.TextChoices):
    CANDIDATE = "candidate", "A proposed match, chosen by a person"
    MANUAL = "manual", "Linked by hand"
    RECORDED = "recorded", "Identified when recorded"


class IntelligenceRecord(VersionedModel):
    """One intelligence report about an officer or member of staff, held by its owning organisation."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                      related_name="intelligence_records")
    reference = models.CharField(max_length=40, help_text="The owning force's own reference (unique within it).")
    received_on = models.DateField()
    # The subject as described (the same fields a case subject has: cases.SubjectAllegation).
    name_as_given = models.CharField(max_length=200, blank=True)
    rank_as_given = models.CharField(max_length=8, choices=Rank.choices, blank=True)
    number_as_given = models.CharField(max_length=20, blank=True, help_text="Collar, warrant or staff number.")
    station_as_given = models.CharField(max_length=120, blank=True)
    approximate_age = models.PositiveSmallIntegerField(null=True, blank=True)
    date_of_birth_as_given = models.DateField(null=True, blank=True)
    sex_as_given = models.CharField(max_length=1, blank=True)
    # 3x5x2 grading.
    source_evaluation = models.CharField(max_length=1, choices=SourceEvaluation.choices)
    intelligence_assessment = models.CharField(max_length=1, choices=IntelligenceAssessment.choices)
    handling_code = models.CharField(max_length=1, choices=HandlingCode.choices)
    handling_conditions = models.TextField(max_length=2000, blank=True,
                                           help_text="The conditions of a C handling code.")
    summary_may_be_disclosed = models.BooleanField(
        default=False, help_text="C only: the owning force decided its conditions allow the summary on a schedule.")
    summary = models.TextField(max_length=5000)
    sensitive = models.BooleanField(default=False, help_text="Content never leaves the owning force.")
    # Identity: the person, once identified, and how.
    person = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="intelligence_records")
    link_method = models.CharField(max_length=16, choices=LinkMethod.choices, blank=True)
    link_probability = models.FloatField(null=True, blank=True)
    linked_by = models.ForeignKey("organisations.User", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    linked_at = models.DateTimeField(null=True, blank=True)
    candidates = models.JSONField(default=list, blank=True,
                                  help_text="Proposed matches when recorded: [{person_id, probability, match_weight}].")
    model_version = models.PositiveIntegerField(default=0, help_text="The linkage model that proposed them.")
    recorded_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "reference"],
                                               name="intelligence_reference_per_organisation")]
        indexes = [models.Index(fields=["person"], name="intelligence_person_idx")]

    def __str__(self) -> str:
        return f"{self.reference} ({self.organisation_id})"

    @property
    def grading(self) -> str:
        """The grading as written on a report, e.g. "2B P"."""
        return f"{self.source_evaluation}{self.intelligence_assessment} {self.handling_code}"

    @property
    def described_as(self) -> str:
        parts = [self.get_rank_as_given_display() if self.rank_as_given else "", self.name_as_given,
                 f"#{self.number_as_given}" if self.number_as_given else "",
                 f"({self.station_as_given})" if self.station_as_given else ""]
        return " ".join(p for p in parts if p) or "Not described"
