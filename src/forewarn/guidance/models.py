"""The outcome assessment as the panel recorded it, with what the guidance indicated at the time.

The proceeding keeps the decision itself (sanction, culpability, harm, factors, reasons); this keeps
what the outcome step adds under the guidance (issue #6 §2): the purpose, the culpability and harm
factors, the indicative range and the comparable outcomes as they stood, whether the outcome was an
outlier, why, and the panel's explicit reasons for departing. Written in the outcome step's
transaction (one per proceeding), and again for each outcome an appeal body substitutes
(`challenge.substitute`); a re-hearing after remittal is a new proceeding with its own assessment.
"""

from __future__ import annotations

from django.db import models


class AssessedDecision(models.TextChoices):
    OUTCOME = "outcome", "Outcome decided by the panel"
    SUBSTITUTION = "substitution", "Outcome substituted on appeal"


class OutcomeAssessment(models.Model):
    proceeding = models.ForeignKey("proceedings.Proceeding", on_delete=models.CASCADE,
                                   related_name="outcome_assessments")
    decision = models.CharField(max_length=16, choices=AssessedDecision.choices, default=AssessedDecision.OUTCOME)
    guidance_version = models.CharField(max_length=40)
    decided_on = models.DateField()
    sanction = models.CharField(max_length=32)
    culpability_factors = models.JSONField(default=list, blank=True)
    harm_factors = models.JSONField(default=list, blank=True)
    purpose = models.TextField(blank=True, help_text="How the outcome serves the purpose of outcomes.")
    # What the guidance indicated (guidance.rules.IndicativeRange.as_json) and the comparables' distribution.
    indicated = models.JSONField(default=dict)
    range_floor = models.CharField(max_length=32, blank=True)
    range_ceiling = models.CharField(max_length=32, blank=True)
    band = models.CharField(max_length=16, blank=True)
    comparables = models.JSONField(default=dict, blank=True)
    is_outlier = models.BooleanField(default=False)
    outlier_grounds = models.JSONField(default=list, blank=True, help_text="Ids of guidance.data.GROUNDS.")
    outlier_words = models.JSONField(default=list, blank=True)
    outlier_reasons = models.TextField(blank=True)
    reasoning_gaps = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-id"]
        # The IOPC's view of outliers across forces, newest first.
        indexes = [models.Index(fields=["is_outlier", "decided_on"], name="assessment_outlier_idx")]
        # One panel decision per proceeding; substitutions on appeal add to it (PAT, then the courts).
        constraints = [models.UniqueConstraint(fields=["proceeding"], condition=models.Q(decision="outcome"),
                                               name="one_outcome_assessment_per_proceeding")]

    def __str__(self) -> str:
        what = "Substituted outcome" if self.decision == AssessedDecision.SUBSTITUTION else "Outcome"
        return f"{what} assessment of proceeding {self.proceeding_id}{' (outlier)' if self.is_outlier else ''}"
