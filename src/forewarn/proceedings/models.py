"""Misconduct meetings, hearings and accelerated hearings; their findings and outcomes; appeals,
judicial review and remittal; referrals to the barred and advisory lists.

States are TextChoices here; transitions are data in `proceedings/lifecycle.py`; which outcomes
each form may impose, by regime, is data in `proceedings/rules.py`.
"""

from __future__ import annotations

from django.db import models

from forewarn.core.models import TimestampedModel, VersionedModel
from forewarn.core.regimes import PanelRegime, Regime


class ProceedingForm(models.TextChoices):
    MEETING = "meeting", "Misconduct meeting"
    HEARING = "hearing", "Misconduct hearing"
    ACCELERATED_HEARING = "accelerated_hearing", "Accelerated misconduct hearing"


class ProceedingStatus(models.TextChoices):
    NOTICE_OF_REFERRAL = "notice_of_referral", "Notice of referral given"
    OFFICER_RESPONDED = "officer_responded", "Officer has responded"
    WITNESS_LISTS_EXCHANGED = "witness_lists_exchanged", "Witness lists exchanged"
    PRE_HEARING = "pre_hearing", "Pre-hearing held"
    SCHEDULED = "scheduled", "Scheduled"
    HEARD = "heard", "Findings made"
    OUTCOME_DETERMINED = "outcome_determined", "Outcome determined"
    OUTCOME_REPORTED = "outcome_reported", "Outcome reported to the appropriate authority"
    OUTCOME_NOTIFIED = "outcome_notified", "Outcome notified to the officer"
    OUTCOME_PUBLISHED = "outcome_published", "Outcome published"
    APPEALED = "appealed", "Under appeal or challenge"
    FINAL = "final", "Final"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REMITTED = "remitted", "Quashed and remitted"


class Finding(models.TextChoices):
    NOT_PROVEN = "not_proven", "Not proven"
    PROVEN_NOT_MISCONDUCT = "proven_not_misconduct", "Proven, not misconduct (practice requiring improvement)"
    MISCONDUCT = "misconduct", "Misconduct"
    GROSS_MISCONDUCT = "gross_misconduct", "Gross misconduct"


class Sanction(models.TextChoices):
    NO_ACTION = "no_action", "No disciplinary action"
    REFLECTIVE_PRACTICE = "rprp", "Referred to reflective practice review"
    WRITTEN_WARNING = "written_warning", "Written warning"
    FINAL_WRITTEN_WARNING = "final_written_warning", "Final written warning"
    REDUCTION_IN_RANK = "reduction_in_rank", "Reduction in rank"
    DISMISSAL_WITHOUT_NOTICE = "dismissal_without_notice", "Dismissal without notice"
    # Former officers (Conduct Regs 2020 Sch 1): no sanction can bite, the finding is recorded.
    WOULD_HAVE_BEEN_DISMISSED = "would_have_been_dismissed", "Would have been dismissed"
    FORMER_OFFICER_NO_FURTHER_ACTION = "former_officer_nfa", "Misconduct found, no further action (former officer)"
    # 2012 regime only (Conduct Regs 2012 reg 35).
    MANAGEMENT_ADVICE = "management_advice", "Management advice (2012 regime)"
    DISMISSAL_WITH_NOTICE = "dismissal_with_notice", "Dismissal with notice (2012 regime)"


class Level(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    VERY_HIGH = 4, "Very high"


class Proceeding(VersionedModel):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="proceedings")
    person = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="proceedings")
    subject_allegations = models.ManyToManyField("cases.SubjectAllegation", through="ProceedingAllegation",
                                                 related_name="proceedings")
    form = models.CharField(max_length=24, choices=ProceedingForm.choices)
    status = models.CharField(max_length=32, choices=ProceedingStatus.choices)  # indexed in Meta (no LIKE twin)
    status_since = models.DateField()
    regime = models.CharField(max_length=8, choices=Regime.choices)
    panel_regime = models.CharField(max_length=12, choices=PanelRegime.choices, blank=True)
    notice_on = models.DateField()
    scheduled_for = models.DateField(null=True, blank=True)
    is_former_officer = models.BooleanField(default=False)
    final_written_warning_in_force = models.BooleanField(default=False)
    # Conduct Regs 2020 reg 42(6): misconduct from several unconnected incidents goes to a hearing.
    unconnected_incidents = models.BooleanField(default=False)
    # Condition C special determination by the DG for a former officer (Conduct Regs 2020 Sch 1).
    condition_c_determination = models.BooleanField(default=False)
    extension_reason = models.TextField(blank=True, help_text="Why the hearing is held outside the usual period.")
    panel = models.JSONField(default=list, blank=True, help_text='[{"role": "chair", "name": "…"}, …]')
    remitted_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="rehearings")

    # Outcome (Conduct Regs 2020 reg 42 / reg 62), with the structured reasoning the College's
    # outcomes guidance requires (seriousness -> purpose -> outcome; O'Connor [2025] EWCA Civ 27).
    sanction = models.CharField(max_length=32, choices=Sanction.choices, blank=True)
    sanction_effective_on = models.DateField(null=True, blank=True)
    sanction_expires_on = models.DateField(null=True, blank=True)
    # The period the decision-maker stated for a warning; empty means the default [R] applies.
    warning_months = models.PositiveSmallIntegerField(null=True, blank=True)
    reduced_to_rank = models.CharField(max_length=8, blank=True)
    culpability = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    harm = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    aggravating_factors = models.JSONField(default=list, blank=True)
    mitigating_factors = models.JSONField(default=list, blank=True)
    personal_mitigation = models.JSONField(default=list, blank=True)
    seriousness_conclusion = models.TextField(blank=True)
    outcomes_considered = models.JSONField(default=list, blank=True)
    outcome_reasons = models.TextField(blank=True)
    exceptional_circumstances = models.TextField(blank=True)
    guidance_version = models.CharField(max_length=40, blank=True)
    published_on = models.DateField(null=True, blank=True)
    publication_dispensed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["notice_on", "id"]
        indexes = [models.Index(fields=["status"], name="proceeding_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_form_display()} — {self.case.reference}"


class PanelRole(models.TextChoices):
    CHAIR = "chair", "Chair"
    MEMBER = "member", "Member"


class PanelMember(models.Model):
    """A user who sits on a proceeding's panel: they see its case's papers until it closes
    (organisations.permissions.PANEL_CLOSED_STATUSES). Appointed by the appropriate authority
    (Conduct Regs 2020 reg 28)."""

    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="panel_members")
    user = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="panel_seats")
    role = models.CharField(max_length=8, choices=PanelRole.choices)
    added_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proceeding_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proceeding", "user"], name="unique_panel_member"),
            # A hearing panel has one chair (Conduct Regs 2020 reg 28; SI 2024/521 from 7 May 2024).
            models.UniqueConstraint(fields=["proceeding"], condition=models.Q(role="chair"),
                                    name="one_panel_chair"),
        ]
        indexes = [models.Index(fields=["user", "proceeding"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.proceeding_id}"


class ProceedingAllegation(models.Model):
    # No index of its own: unique (proceeding, subject_allegation) serves lookups by proceeding.
    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="items", db_index=False)
    subject_allegation = models.ForeignKey("cases.SubjectAllegation", on_delete=models.PROTECT, related_name="+")
    finding = models.CharField(max_length=24, choices=Finding.choices, blank=True)
    admitted = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proceeding", "subject_allegation"],
                                               name="unique_proceeding_allegation")]

    def __str__(self) -> str:
        return f"{self.proceeding_id}: {self.subject_allegation_id} ({self.finding or 'no finding'})"


class ChallengeRoute(models.TextChoices):
    MEETING_APPEAL = "meeting_appeal", "Appeal against a misconduct meeting"
    POLICE_APPEALS_TRIBUNAL = "pat", "Police Appeals Tribunal"
    JUDICIAL_REVIEW = "judicial_review", "Judicial review"
    COURT_OF_APPEAL = "court_of_appeal", "Court of Appeal"


class ChallengeStatus(models.TextChoices):
    LODGED = "lodged", "Lodged"
    DISMISSED = "dismissed", "Dismissed"
    ALLOWED_SUBSTITUTED = "allowed_substituted", "Allowed – outcome substituted"
    ALLOWED_REMITTED = "allowed_remitted", "Allowed – remitted for a fresh decision"
    WITHDRAWN = "withdrawn", "Withdrawn"
    APPEALED_ONWARD = "appealed_onward", "Appealed to a higher court"


class Challenge(VersionedModel):
    """A post-decision route against a proceeding's outcome: appeal, PAT, judicial review, Court of Appeal."""

    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="challenges")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="onward")
    route = models.CharField(max_length=24, choices=ChallengeRoute.choices)
    status = models.CharField(max_length=24, choices=ChallengeStatus.choices, default=ChallengeStatus.LODGED)
    status_since = models.DateField()
    applicant = models.CharField(max_length=200)
    grounds = models.TextField(max_length=20_000)
    lodged_on = models.DateField()
    late_reason = models.TextField(blank=True)
    citation = models.CharField(max_length=120, blank=True)
    decision_reasons = models.TextField(blank=True)
    substituted_sanction = models.CharField(max_length=32, choices=Sanction.choices, blank=True)

    class Meta:
        ordering = ["lodged_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_route_display()} ({self.get_status_display()})"


class ListKind(models.TextChoices):
    BARRED = "barred", "Police barred list"
    ADVISORY = "advisory", "Police advisory list"


class ListReferral(TimestampedModel):
    """The appropriate authority's report to the College of Policing (Police Act 1996 Part 4A;
    Barred List and Advisory List Regs 2017 reg 3 and reg 12). The lists themselves are the register's.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="list_referrals")
    proceeding = models.ForeignKey(Proceeding, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="list_referrals")
    subject_allegation = models.ForeignKey("cases.SubjectAllegation", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="list_referrals")
    person = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="list_referrals")
    kind = models.CharField(max_length=16, choices=ListKind.choices)
    reported_on = models.DateField()
    standards = models.JSONField(default=list)
    conduct_description = models.TextField(max_length=20_000)
    reported_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["reported_on", "id"]
