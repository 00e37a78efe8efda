"""The national allegations register (issue #4; domain §7, §9).

- `Application`: a force's open vetting or transfer application for a person. While open it gives
  the force sight of the person's register entries and makes it a recipient of alerts.
- `RegisterCheck`: one vetting or transfer check, with its lawful basis, purpose and matches.
- `AlertRule`, `Alert`, `AlertRecipient`: what counts as serious, what happened to whom, and who
  must be told (the in-app inbox, acknowledgement and escalation).
- `OutboxMessage`, `WebhookEndpoint`: the transactional outbox the worker delivers by e-mail and
  signed webhook.
- `ListEntry`: the Police Barred List and Police Advisory List (Police Act 1996 Part 4A).
"""

from __future__ import annotations

from django.db import models

from forewarn.core.models import TimestampedModel, VersionedModel
from forewarn.proceedings.models import ListKind


# -- vetting and transfer applications, and checks ---------------------------------------------
class ApplicationKind(models.TextChoices):
    VETTING = "vetting", "Vetting application (recruitment or clearance)"
    TRANSFER = "transfer", "Transfer application from another force"


class ApplicationOutcome(models.TextChoices):
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Application(TimestampedModel):
    """A force considering a person for vetting clearance or a transfer in."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="register_applications")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="register_applications")
    kind = models.CharField(max_length=16, choices=ApplicationKind.choices)
    reference = models.CharField(max_length=60, blank=True, help_text="The force's own reference.")
    opened_on = models.DateField()
    opened_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey("organisations.User", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    outcome = models.CharField(max_length=16, choices=ApplicationOutcome.choices, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["person", "closed_on"]), models.Index(fields=["organisation", "closed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference or self.pk} ({self.organisation_id})"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class LawfulBasis(models.TextChoices):
    """Why a vetting unit may read a person's register history. Each check records one.

    Vetting is processing for a statutory function (UK GDPR art 6(1)(e); DPA 2018 s8 and Sch 1
    para 6); the Vetting Code of Practice 2023 and the Vetting APP require checks of complaint and
    misconduct history, including from every previous force on transfer (domain §9.2).
    """

    RECRUITMENT_VETTING = "recruitment_vetting", "Recruitment vetting (Vetting Code of Practice 2023)"
    TRANSFER_VETTING = "transfer_vetting", "Transfer vetting: history from every previous force (Vetting APP)"
    VETTING_REVIEW = "vetting_review", "Vetting review after adverse information (Vetting APP)"
    LIST_CHECK = "list_check", "Barred and advisory list check before appointment (Police Act 1996 s88C, s88K)"


class RegisterCheck(TimestampedModel):
    """One check of the register by a vetting officer: what was asked, why, and what matched."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")
    lawful_basis = models.CharField(max_length=32, choices=LawfulBasis.choices)
    purpose = models.TextField(max_length=2000)
    application_kind = models.CharField(max_length=16, choices=ApplicationKind.choices)
    query = models.JSONField(default=dict, help_text="What the vetting officer entered.")
    matches = models.JSONField(default=list, help_text='[{"person_id": 1, "evidence": ["…"]}, …]')
    # The matched people again, as rows: a person's history lists the checks that found them through
    # an index, not by scanning every check's JSON.
    matched_people = models.ManyToManyField("workforce.Person", blank=True, related_name="register_checks")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"Check {self.pk} by {self.organisation_id}"


class DisclosureStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"


class DisclosureRequest(TimestampedModel):
    """A force's request for another force's case file behind a register entry (issue #4 §1).

    The owning force's head of professional standards or appropriate authority grants it for a
    limited time, or refuses it; while a grant runs the case is in the case scope of the requesting
    force's vetting officers (organisations.permissions), without complainants' contact details.
    """

    requesting_organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                                related_name="+", db_index=False)  # disclosure_live_idx leads
    requested_by = models.ForeignKey("organisations.User", null=True, on_delete=models.SET_NULL, related_name="+")
    # The case's force, kept here so a force's incoming requests are one indexed lookup.
    owning_organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                            related_name="+")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="+", db_index=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    subject_allegation = models.ForeignKey("cases.SubjectAllegation", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=16, choices=DisclosureStatus.choices, default=DisclosureStatus.REQUESTED)
    decided_by = models.ForeignKey("organisations.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(max_length=2000, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When a grant ends.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The case-scope lookup: a force's live grants (organisations.permissions._named_case_ids).
            models.Index(fields=["requesting_organisation", "status", "expires_at"], name="disclosure_live_idx"),
            models.Index(fields=["person", "requesting_organisation"], name="disclosure_person_idx"),
        ]

    def __str__(self) -> str:
        return f"Disclosure of case {self.case_id} to {self.requesting_organisation_id} ({self.status})"


# -- alerts ------------------------------------------------------------------------------------
class AlertRuleField(models.TextChoices):
    """What part of an allegation a rule looks at."""

    CATEGORY = "category", "IOPC allegation category"
    SUBCATEGORY = "subcategory", "IOPC allegation subcategory"
    STANDARD = "standard", "Standard of Professional Behaviour alleged"
    FLAG = "flag", "Allegation flag (VAWG, domestic abuse)"
    MANDATORY_REFERRAL = "mandatory_referral", "Mandatory referral category (any value: '*')"
    SEVERITY = "severity", "Severity assessment"


class AlertRule(TimestampedModel):
    """One criterion that makes an allegation serious enough to tell other forces (issue #4 §2).

    The default set is loaded by a migration; administrators switch rules on and off or add their
    own (`forewarn register rules`), so the rule set is data, not code.
    """

    field = models.CharField(max_length=24, choices=AlertRuleField.choices)
    value = models.CharField(max_length=200)
    description = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["field", "value"]
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="unique_alert_rule")]

    def __str__(self) -> str:
        return f"{self.get_field_display()} = {self.value}"


class AlertTrigger(models.TextChoices):
    SERIOUS_ALLEGATION = "serious_allegation", "Serious allegation recorded"
    SEVERITY_CHANGE = "severity_change", "Severity assessment changed"
    SUSPENSION = "suspension", "Matter suspended or resumed"
    OUTCOME = "outcome", "Outcome of proceedings"
    TRANSFER = "transfer", "Transfer in: the person's whole history"
    LIST_ENTRY = "list_entry", "Barred or advisory list entry"
    CORRECTION = "correction", "Correction: an earlier alert was about the wrong person"
    # Issue #6 §2: an outcome below the outcomes guidance's range (guidance.services.outlier_alert_raise).
    OUTCOME_OUTLIER = "outcome_outlier", "Outcome outlier: below the outcomes guidance"


class Alert(models.Model):
    """Something the forces that employ or are considering a person need to know, once."""

    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="alerts")
    trigger = models.CharField(max_length=24, choices=AlertTrigger.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_allegation = models.ForeignKey("cases.SubjectAllegation", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    # Raised once per key. Its provenance is the audit event that names it (data["alerts_raised"]).
    dedupe_key = models.CharField(max_length=120, unique=True)
    occurred_on = models.DateField()
    reasons = models.JSONField(default=list, help_text="Which rules matched, in words.")
    # The register entry as it stood: what recipients are told (never the case file).
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the subject this alert was about is unlinked from the person (identity resolution's
    # undo): the alert stays, marked withdrawn, and a correction goes to everyone it went to.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="withdraws", help_text="The correction alert.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} — person {self.person_id}"


class Unit(models.TextChoices):
    """Which part of a force an alert is for, and the role whose holders read it."""

    PROFESSIONAL_STANDARDS = "standards", "Professional standards department"
    VETTING = "vetting", "Vetting unit"
    # The IOPC's reading of outcome outliers (it may seek judicial review); never a force's unit.
    OVERSIGHT = "oversight", "Oversight unit (IOPC)"


class RecipientBasis(models.TextChoices):
    EMPLOYS = "employs", "Currently employs the person"
    VETTING_APPLICATION = "vetting_application", "Open vetting application"
    TRANSFER_APPLICATION = "transfer_application", "Open transfer application"
    RECEIVING_FORCE = "receiving_force", "The person has transferred in"
    PREVIOUSLY_TOLD = "previously_told", "Was told of the alert now corrected"
    APPROPRIATE_AUTHORITY = "appropriate_authority", "Appropriate authority for the proceeding"
    OVERSIGHT = "oversight", "Oversight: the IOPC may seek judicial review of the outcome"


class AlertRecipient(models.Model):
    """One organisation unit's copy of an alert: its inbox item, acknowledgement and escalation."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(max_length=16, choices=Unit.choices)
    basis = models.CharField(max_length=24, choices=RecipientBasis.choices)
    acknowledge_by = models.DateField(help_text="2 working days after the alert; escalated if not acknowledged.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey("organisations.User", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-alert_id", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "organisation", "unit"], name="unique_alert_recipient")]
        indexes = [models.Index(fields=["organisation", "unit", "acknowledged_at"]),
                   models.Index(fields=["acknowledged_at", "acknowledge_by"], name="alert_recipient_due_idx")]

    def __str__(self) -> str:
        return f"Alert {self.alert_id} for {self.organisation_id} {self.unit}"


# -- delivery ------------------------------------------------------------------------------------
class WebhookEndpoint(TimestampedModel):
    """A unit's HTTPS receiver for signed alerts. The secret signs; it is never sent."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(max_length=16, choices=Unit.choices)
    url = models.URLField(max_length=500)
    # Kept in clear: HMAC needs the key itself (unlike a password, it cannot be stored hashed).
    secret = models.CharField(max_length=128)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation_id", "unit", "id"]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.unit} → {self.url}"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be delivered"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter: gave up after repeated failures"


class OutboxMessage(models.Model):
    """One delivery owed, written in the same transaction as the change that caused it.

    The worker claims due rows with a lease, delivers, and marks them delivered. A worker killed
    mid-batch leaves leased rows that another picks up when the lease runs out, so a receiver may see
    a message twice: the idempotency key (sent with every attempt) lets it keep exactly one.
    """

    recipient = models.ForeignKey(AlertRecipient, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="messages")
    purpose = models.CharField(max_length=24, default="alert", help_text="alert, escalation, …")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    email = models.EmailField(blank=True)
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.idempotency_key} ({self.status})"


# -- barred and advisory lists ----------------------------------------------------------------
class ListEntryStatus(models.TextChoices):
    AWAITING_REPORT = "awaiting_report", "Awaiting the appropriate authority's report"
    LISTED = "listed", "On the list"
    REMOVED = "removed", "Removed"


class ListBasis(models.TextChoices):
    """Why a person is on a list (Police Act 1996 s88A barred; s88I advisory)."""

    DISMISSED = "dismissed", "Dismissed"
    WOULD_HAVE_BEEN_DISMISSED = "would_have_been_dismissed", "Former officer who would have been dismissed"
    RESIGNED_DURING_INVESTIGATION = "resigned_during_investigation", "Resigned while an allegation was open"
    RETIRED_DURING_INVESTIGATION = "retired_during_investigation", "Retired while an allegation was open"
    ALLEGATION_AFTER_RESIGNING = "allegation_after_resigning", "Allegation came to attention after resigning"
    ALLEGATION_AFTER_RETIRING = "allegation_after_retiring", "Allegation came to attention after retiring"


class RemovalReason(models.TextChoices):
    APPEAL_ALLOWED = "appeal_allowed", "Dismissal overturned on appeal (s88F)"
    REVIEW_SUCCEEDED = "review_succeeded", "Review application succeeded"
    NO_PROCEEDINGS = "no_proceedings", "Decided no proceedings would be brought (s88L(4))"
    PROCEEDINGS_WITHDRAWN = "proceedings_withdrawn", "Proceedings withdrawn (s88L(4))"
    CONCLUDED_WITHOUT_DISMISSAL = "concluded_without_dismissal", "Proceedings concluded without a 'would have been dismissed' finding (s88L(4))"
    MOVED_TO_BARRED_LIST = "moved_to_barred_list", "Moved onto the barred list (s88L(5))"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class ListEntry(VersionedModel):
    """A person on the Police Barred List or Police Advisory List."""

    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="list_entries")
    kind = models.CharField(max_length=16, choices=ListKind.choices)
    basis = models.CharField(max_length=32, choices=ListBasis.choices)
    status = models.CharField(max_length=16, choices=ListEntryStatus.choices, default=ListEntryStatus.AWAITING_REPORT)
    status_since = models.DateField()
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+",
                                     help_text="The force whose appropriate authority reports.")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="list_entries")
    proceeding = models.ForeignKey("proceedings.Proceeding", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    subject_allegation = models.ForeignKey("cases.SubjectAllegation", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey("proceedings.ListReferral", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text="The appropriate authority's report.")
    # What the report holds (Barred List Regs 2017 reg 4, reg 13), as it stood when listed.
    name_at_listing = models.CharField(max_length=300)
    rank = models.CharField(max_length=8, blank=True)
    service_number = models.CharField(max_length=20, blank=True)
    standards = models.JSONField(default=list)
    gross_misconduct = models.BooleanField(default=False)
    decided_on = models.DateField(help_text="Date of the dismissal, the finding, or leaving the service.")
    report_due_on = models.DateField()
    reported_on = models.DateField(null=True, blank=True)
    review_not_before = models.DateField(null=True, blank=True)
    published = models.BooleanField(default=False)
    publish_until = models.DateField(null=True, blank=True)
    publication_withheld_reason = models.TextField(blank=True)
    removed_on = models.DateField(null=True, blank=True)
    removal_reason = models.CharField(max_length=32, choices=RemovalReason.choices, blank=True)
    removal_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name_plural = "list entries"
        indexes = [models.Index(fields=["person", "kind"]), models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name_at_listing}"
