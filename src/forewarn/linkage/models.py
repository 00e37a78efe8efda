"""Identity resolution in the case flow (issue #5 §1): the subject model, thresholds, proposals, decisions.

A subject recorded with partial details ("DS Smith, Kentish Town, about 40") gets an `Identification`:
the candidate people Forewarn proposed, each with a match probability and the evidence in words. Above
the organisation's upper threshold the subject is linked automatically; between the thresholds the
identification waits in the review queue for a person to accept a candidate, reject candidates, or
mark "none of these". Every decision is an audited event; a link (automatic, reviewed or manual) can
be undone (`cases.services.subject_unlink_person`), which tells the forces alerted of the correction.
"""

from __future__ import annotations

from django.db import models

from forewarn.core.models import TimestampedModel

# Defaults when an organisation has set none (docs/linkage.md: chosen so that automatic links need a
# near-certain, unambiguous match, and anything plausible is put before a person).
DEFAULT_AUTO_LINK_THRESHOLD = 0.99
DEFAULT_REVIEW_THRESHOLD = 0.30


class SubjectModel(models.Model):
    """One version of the Splink model that scores subject descriptions against the workforce.

    `document` is what `linkage.model.model_save` writes (our format version, fields, Splink's settings
    with every trained m and u). Versions only grow; exactly one is active; every proposal names the
    version that scored it, so a decision can be explained later with the model that made it.
    """

    version = models.PositiveIntegerField(unique=True)
    document = models.JSONField()
    people = models.PositiveIntegerField(help_text="Workforce records the u probabilities were estimated on.")
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey("organisations.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    active = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["active"], condition=models.Q(active=True),
                                               name="one_active_subject_model")]

    def __str__(self) -> str:
        return f"subject model v{self.version}"


class MatchThresholds(TimestampedModel):
    """An organisation's thresholds: link automatically at or above `auto_link`; review from `review`."""

    organisation = models.OneToOneField("organisations.Organisation", on_delete=models.CASCADE,
                                        related_name="match_thresholds")
    auto_link = models.FloatField(default=DEFAULT_AUTO_LINK_THRESHOLD)
    review = models.FloatField(default=DEFAULT_REVIEW_THRESHOLD)
    updated_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.organisation.code}: auto {self.auto_link}, review {self.review}"


class IdentificationStatus(models.TextChoices):
    REVIEW = "review", "Awaiting review"
    AUTO_LINKED = "auto_linked", "Linked automatically"
    ACCEPTED = "accepted", "Accepted by a reviewer"
    NONE_OF_THESE = "none_of_these", "None of these"
    NO_CANDIDATES = "no_candidates", "No likely candidate"
    UNDONE = "undone", "Link undone"
    SUPERSEDED = "superseded", "Superseded"


OPEN_STATUSES = (IdentificationStatus.REVIEW,)
LINKED_STATUSES = (IdentificationStatus.AUTO_LINKED, IdentificationStatus.ACCEPTED)


class Identification(TimestampedModel):
    """One matching of one subject: what was compared, what was proposed, and what was decided."""

    subject_allegation = models.ForeignKey("cases.SubjectAllegation", on_delete=models.CASCADE,
                                           related_name="identifications")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=IdentificationStatus.choices)
    model_version = models.PositiveIntegerField()
    auto_link_threshold = models.FloatField()
    review_threshold = models.FloatField()
    details = models.JSONField(help_text="The subject's details as compared (normalised).")
    person = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text="The person linked, once linked.")
    decided_by = models.ForeignKey("organisations.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "case"]), models.Index(fields=["subject_allegation", "status"])]

    def __str__(self) -> str:
        return f"identification {self.pk} of subject {self.subject_allegation_id}: {self.status}"


class CandidateDecision(models.TextChoices):
    PROPOSED = "", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Candidate(models.Model):
    """A person proposed for a subject, with the probability and the evidence of the best appointment."""

    identification = models.ForeignKey(Identification, on_delete=models.CASCADE, related_name="candidates")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey("workforce.Appointment", null=True, on_delete=models.SET_NULL, related_name="+")
    position = models.PositiveSmallIntegerField()
    probability = models.FloatField()
    match_weight = models.FloatField()
    evidence = models.JSONField(help_text="[{field, words, weight}] per compared field, strongest first.")
    decision = models.CharField(max_length=8, choices=CandidateDecision.choices, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["identification", "person"], name="one_candidate_per_person")]

    def __str__(self) -> str:
        return f"candidate {self.person_id} ({self.probability:.3f})"
