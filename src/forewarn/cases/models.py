"""Complaints, conduct matters and DSI matters; their parties, allegations and subjects.

States are TextChoices here; the transitions between them are data in `cases/lifecycle.py`.
"""

from __future__ import annotations

from django.db import models

from forewarn.core.models import VersionedModel
from forewarn.core.regimes import Regime
from forewarn.workforce.models import Rank


class CaseType(models.TextChoices):
    COMPLAINT = "complaint", "Complaint"
    CONDUCT_MATTER = "conduct_matter", "Conduct matter"
    RECORDABLE_CONDUCT_MATTER = "recordable_conduct_matter", "Recordable conduct matter"
    DSI_MATTER = "dsi_matter", "Death or serious injury matter"


class CaseStatus(models.TextChoices):
    # Complaint intake (domain §3A)
    RECEIVED = "received", "Received"
    LOGGED = "logged", "Logged"
    NOT_A_COMPLAINT = "not_a_complaint", "Not a valid complaint"
    HANDLED_OUTSIDE_SCH3 = "handled_outside_sch3", "Being handled outside Schedule 3"
    FINALISED_OUTSIDE_SCH3 = "finalised_outside_sch3", "Finalised outside Schedule 3"
    # Conduct and DSI matters (§3D)
    IDENTIFIED = "identified", "Identified"
    # Recording and referral (§3A C3b, §3B)
    RECORDED = "recorded", "Recorded"
    REFERRED_TO_IOPC = "referred_to_iopc", "Referred to the IOPC"
    # Handling (§3C)
    AWAITING_HANDLING = "awaiting_handling", "Awaiting handling decision"
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    HANDLED_OTHERWISE = "handled_otherwise", "Handled otherwise than by investigation"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    INVESTIGATION_REPORTED = "investigation_reported", "Investigation report submitted"
    OUTCOME_NOTIFIED = "outcome_notified", "Outcome given to complainant"
    REVIEW_REQUESTED = "review_requested", "Review requested"
    FINALISED = "finalised", "Finalised"
    # Side exits
    WITHDRAWN = "withdrawn", "Withdrawn"
    DISCONTINUED = "discontinued", "Investigation discontinued"


class SuspensionStatus(models.TextChoices):
    """Overlay: an investigation or procedure paused so as not to prejudice criminal proceedings."""

    ACTIVE = "active", "Not suspended"
    SUSPENDED = "suspended", "Suspended for criminal proceedings"


class HandlingRoute(models.TextChoices):
    OUTSIDE_SCH3 = "outside_sch3", "Outside Schedule 3"
    SCH3_OTHERWISE = "sch3_otherwise", "Schedule 3 – otherwise than by investigation"
    SCH3_INVESTIGATION = "sch3_investigation", "Schedule 3 – investigation"
    CONDUCT_REGS = "conduct_regs", "Conduct Regulations only (not recorded)"


class InvestigationMode(models.TextChoices):
    LOCAL = "local", "Local"
    DIRECTED = "directed", "Directed by the IOPC"
    INDEPENDENT = "independent", "Independent (IOPC)"
    # R2012 only (PRA 2002 Sch 3 before the Policing and Crime Act 2017).
    SUPERVISED = "supervised", "Supervised (2012 regime)"
    MANAGED = "managed", "Managed (2012 regime)"


class ReviewBody(models.TextChoices):
    IOPC = "iopc", "IOPC"
    LOCAL_POLICING_BODY = "lpb", "Local policing body"


class RestrictionKind(models.TextChoices):
    """Why a case is restricted to named participants."""

    ANTI_CORRUPTION = "anti_corruption", "Anti-corruption"
    COVERT = "covert", "Covert investigation"
    PSD_SUBJECT = "psd_subject", "The subject works in professional standards"


class Case(VersionedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="cases",
        help_text="The force whose appropriate authority owns the case.",
        db_index=False,  # three composite indexes below lead with it
    )
    # Unique by a Meta constraint, not unique=True: on PostgreSQL that would add a second,
    # varchar_pattern_ops index for LIKE that no query here uses (search is icontains, which cannot).
    reference = models.CharField(max_length=24)
    case_type = models.CharField(max_length=32, choices=CaseType.choices)
    status = models.CharField(max_length=32, choices=CaseStatus.choices)  # indexed in Meta (no LIKE twin)
    status_since = models.DateField()
    regime = models.CharField(max_length=8, choices=Regime.choices)

    came_to_attention_on = models.DateField(help_text="When the complaint was made or the matter came to attention.")
    incident_date = models.DateField(null=True, blank=True)
    incident_location = models.CharField(max_length=200, blank=True)
    summary = models.TextField(max_length=20_000)

    handling_route = models.CharField(max_length=24, choices=HandlingRoute.choices, blank=True)
    special_procedures = models.BooleanField(null=True)
    recorded_on = models.DateField(null=True, blank=True)
    referral_basis = models.CharField(max_length=16, blank=True)
    referral_categories = models.JSONField(default=list, blank=True)
    referred_on = models.DateField(null=True, blank=True)
    investigation_mode = models.CharField(max_length=16, choices=InvestigationMode.choices, blank=True)
    outcome_summary = models.TextField(blank=True)
    review_body = models.CharField(max_length=8, choices=ReviewBody.choices, blank=True)

    suspension_status = models.CharField(
        max_length=16, choices=SuspensionStatus.choices, default=SuspensionStatus.ACTIVE)
    suspension_since = models.DateField(null=True, blank=True)

    # Restricted cases are visible only to their named participants (organisations.permissions).
    restricted = models.BooleanField(default=False, help_text="Anti-corruption, covert or PSD subject.")
    restriction_kind = models.CharField(max_length=24, choices=RestrictionKind.choices, blank=True)
    created_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-came_to_attention_on", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "-came_to_attention_on"]),
            # Counting a force's unrestricted cases (every case list) from the index alone: without it
            # the count read 120,000 heap rows at national scale (152 ms; 8 ms with it).
            models.Index(fields=["organisation", "restricted"], name="case_org_restricted_idx"),
            # A Meta index, not db_index: on PostgreSQL db_index on a text column adds a second
            # varchar_pattern_ops index for LIKE that no query here uses.
            models.Index(fields=["status"], name="case_status_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["reference"], name="case_reference_unique")]

    def __str__(self) -> str:
        return self.reference


class PartyRole(models.TextChoices):
    COMPLAINANT = "complainant", "Complainant"
    ADVERSELY_AFFECTED = "adversely_affected", "Person adversely affected"
    WITNESS = "witness", "Witness"


class EligibilityBasis(models.TextChoices):
    """Who may complain about conduct (PRA 2002 s12(1)-(1B))."""

    CONDUCT_DIRECTED_AT = "directed_at", "The conduct was directed at them"
    ADVERSELY_AFFECTED = "adversely_affected", "Adversely affected by the conduct"
    WITNESS = "witness", "Witnessed the conduct"
    ON_BEHALF = "on_behalf", "Acting on behalf of one of these"


class Party(VersionedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=24, choices=PartyRole.choices)
    eligibility_basis = models.CharField(max_length=24, choices=EligibilityBasis.choices, blank=True)
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(max_length=1000, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    is_vulnerable = models.BooleanField(default=False)
    vulnerability_notes = models.TextField(max_length=2000, blank=True)
    # A party whose very presence is withheld from the subject officer and their representative
    # (e.g. a witness at risk); see cases.redaction.
    restricted = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"


class Allegation(VersionedModel):
    # No index of its own: unique (case, number) serves lookups by case.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="allegations", db_index=False)
    number = models.PositiveSmallIntegerField(help_text="1, 2, 3… within the case.")
    category = models.CharField(max_length=32)  # indexed in Meta (no LIKE twin)
    subcategory = models.CharField(max_length=120, blank=True)
    standards = models.JSONField(default=list, help_text="Standards of Professional Behaviour alleged (codes).")
    flags = models.JSONField(default=list, blank=True, help_text="Allegation flags (vocabulary.AllegationFlag).")
    description = models.TextField(max_length=20_000)

    class Meta:
        ordering = ["case_id", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="unique_allegation_number")]
        indexes = [models.Index(fields=["category"], name="allegation_category_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} allegation {self.number}"


class Severity(models.TextChoices):
    """Severity assessment (Conduct Regs 2020 reg 14; C&M Regs 2020 reg 16)."""

    NO_MISCONDUCT = "no_misconduct", "No misconduct"
    PRACTICE_REQUIRING_IMPROVEMENT = "pri", "Practice requiring improvement"
    MISCONDUCT = "misconduct", "Misconduct"
    GROSS_MISCONDUCT = "gross_misconduct", "Gross misconduct"


class SubjectStatus(models.TextChoices):
    RAISED = "raised", "Allegation raised"
    SEVERITY_ASSESSED = "severity_assessed", "Severity assessed"
    INVESTIGATOR_APPOINTED = "investigator_appointed", "Investigator appointed"
    UNDER_INVESTIGATION = "under_investigation", "Notice served, under investigation"
    REPORT_SUBMITTED = "report_submitted", "Investigation report submitted"
    CASE_TO_ANSWER = "case_to_answer", "Case to answer"
    NO_CASE_TO_ANSWER = "no_case_to_answer", "No case to answer"
    REFERRED_TO_PROCEEDINGS = "referred_to_proceedings", "Referred to proceedings"
    REFLECTIVE_PRACTICE = "reflective_practice", "In reflective practice review"
    RPRP_COMPLETED = "rprp_completed", "Reflective practice completed"
    REFERRED_TO_PERFORMANCE = "referred_to_performance", "Referred to performance procedures"
    CLOSED_NO_ACTION = "closed_no_action", "Closed – no further action"
    PROCEEDINGS_WITHDRAWN = "proceedings_withdrawn", "Proceedings withdrawn"
    PROCEEDINGS_CONCLUDED = "proceedings_concluded", "Proceedings concluded"


class CriminalStatus(models.TextChoices):
    """Overlay: misconduct proceedings delayed for criminal proceedings (Conduct Regs 2020 reg 10)."""

    NONE = "none", "No criminal proceedings pending"
    SUSPENDED_FOR_CRIMINAL = "suspended_for_criminal", "Suspended pending criminal proceedings"


class CaseToAnswer(models.TextChoices):
    MISCONDUCT = "misconduct", "Case to answer for misconduct"
    GROSS_MISCONDUCT = "gross_misconduct", "Case to answer for gross misconduct"


class SubjectAllegation(VersionedModel):
    """One officer × one allegation. The officer may not yet be identified."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="subjects")
    allegation = models.ForeignKey(Allegation, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey(
        "workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="subject_allegations",
        db_index=False)  # the (person, status) index serves it
    # As described by the complainant, kept after linking (the evidence for the link).
    name_as_given = models.CharField(max_length=200, blank=True)
    rank_as_given = models.CharField(max_length=8, choices=Rank.choices, blank=True)
    number_as_given = models.CharField(max_length=20, blank=True, help_text="Collar, warrant or staff number.")
    station_as_given = models.CharField(max_length=120, blank=True)
    approximate_age = models.PositiveSmallIntegerField(null=True, blank=True)
    date_of_birth_as_given = models.DateField(null=True, blank=True)
    sex_as_given = models.CharField(max_length=1, blank=True, help_text="M or F, when the complainant said.")
    description_as_given = models.TextField(max_length=2000, blank=True)

    status = models.CharField(max_length=32, choices=SubjectStatus.choices, default=SubjectStatus.RAISED)
    status_since = models.DateField()
    severity = models.CharField(max_length=24, choices=Severity.choices, blank=True)
    likely_proceedings = models.CharField(max_length=16, blank=True)
    investigator_name = models.CharField(max_length=200, blank=True)
    notice_served_on = models.DateField(null=True, blank=True)
    case_to_answer = models.CharField(max_length=24, choices=CaseToAnswer.choices, blank=True)
    # Conduct Regs 2020 reg 42(5)-(6): a written warning in force, or several unconnected incidents,
    # route misconduct to a hearing and widen the outcomes available.
    final_written_warning_in_force = models.BooleanField(default=False)
    is_former_officer = models.BooleanField(default=False)
    left_service_on = models.DateField(null=True, blank=True)
    criminal_status = models.CharField(max_length=32, choices=CriminalStatus.choices, default=CriminalStatus.NONE)
    criminal_status_since = models.DateField(null=True, blank=True)
    finding = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["allegation__number", "id"]
        indexes = [models.Index(fields=["person", "status"]), models.Index(fields=["status"], name="subject_status_idx")]

    def __str__(self) -> str:
        return f"{self.subject_label} — allegation {self.allegation.number}"

    @property
    def subject_label(self) -> str:
        if self.person_id:
            return self.person.full_name
        parts = [self.get_rank_as_given_display() if self.rank_as_given else "", self.name_as_given,
                 f"#{self.number_as_given}" if self.number_as_given else ""]
        return " ".join(p for p in parts if p) or "Unidentified officer"


class ParticipantRole(models.TextChoices):
    """How a user is named on a case. A participant must hold the organisation role of the same name."""

    CASE_HANDLER = "case_handler", "Case handler"
    APPROPRIATE_AUTHORITY = "appropriate_authority", "Appropriate authority"
    HEAD_OF_STANDARDS = "head_of_standards", "Head of professional standards"
    INVESTIGATOR = "investigator", "Investigator"
    IOPC_CASEWORKER = "iopc_caseworker", "IOPC caseworker"
    SUBJECT_OFFICER = "subject_officer", "Subject officer"
    SUBJECT_REPRESENTATIVE = "subject_representative", "Subject officer's representative"


class CaseParticipant(models.Model):
    """A user named on a case: it gives them sight of it, restricted or not (organisations.permissions)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey("organisations.User", on_delete=models.CASCADE, related_name="case_participations")
    role = models.CharField(max_length=32, choices=ParticipantRole.choices)
    added_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="unique_case_participant")]
        indexes = [models.Index(fields=["user", "case"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} on {self.case_id}"


class BreakGlassGrant(models.Model):
    """Time-limited sight of a restricted case for an administrator who gave a reason.

    Each grant is also an audit event and a notice to the force's head of professional standards,
    who sees the grants on their My work page.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="break_glass_grants")
    user = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="break_glass_grants")
    reason = models.TextField(max_length=2000)
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} opened {self.case_id} at {self.opened_at:%Y-%m-%d %H:%M}"
