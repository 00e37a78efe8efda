"""Forces and other bodies, staff users and their roles."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models


class OrganisationKind(models.TextChoices):
    TERRITORIAL_FORCE = "territorial_force", "Territorial police force"
    NATIONAL_FORCE = "national_force", "Non-Home Office police force"
    IOPC = "iopc", "Independent Office for Police Conduct"
    LOCAL_POLICING_BODY = "local_policing_body", "Local policing body"
    COLLEGE = "college", "College of Policing"


class Organisation(models.Model):
    code = models.CharField(max_length=12, unique=True, help_text="Short code used in case references, e.g. MET.")
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    # A local policing body oversees one force (PRA 2002 s29; Conduct Regs 2020 reg 2: the LPB is
    # the appropriate authority for a chief officer).
    oversees = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="local_policing_body"
    )

    # The contact point other forces are given with a register entry (issue #4 §1): the case file
    # stays with the owning force, so a reader needs to know whom to ask.
    standards_contact = models.EmailField(blank=True, help_text="Professional standards contact point.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_force(self) -> bool:
        return self.kind in (OrganisationKind.TERRITORIAL_FORCE, OrganisationKind.NATIONAL_FORCE)


class Role(models.TextChoices):
    CASE_HANDLER = "case_handler", "Case handler"
    APPROPRIATE_AUTHORITY = "appropriate_authority", "Appropriate authority"
    INVESTIGATOR = "investigator", "Investigator"
    IOPC_CASEWORKER = "iopc_caseworker", "IOPC caseworker"
    VETTING_OFFICER = "vetting_officer", "Vetting officer"
    PANEL_MEMBER = "panel_member", "Panel member"
    ADMINISTRATOR = "administrator", "Administrator"
    # Head of the force's professional standards department: restricts cases, is told of every
    # break-glass opening, and reads who has viewed a record (issue #3).
    HEAD_OF_STANDARDS = "head_of_standards", "Head of professional standards"
    # The officer a case is about, and their representative (Police Federation, staff association or
    # lawyer; Conduct Regs 2020 reg 7): they see only the cases they are named on, redacted.
    SUBJECT_OFFICER = "subject_officer", "Subject officer"
    SUBJECT_REPRESENTATIVE = "subject_representative", "Subject officer's representative"


class User(AbstractUser):
    """A member of staff. Every user belongs to exactly one organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users", null=True)

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(self.roles.values_list("role", flat=True))

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return bool(self.role_codes & set(roles))

    def role_labels(self) -> list[str]:
        return [str(Role(code).label) for code in sorted(self.role_codes)]


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class ReferenceCounter(models.Model):
    """Next case number per organisation and year, for references such as MET-2020-00123."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="unique_counter_org_year")]

    def __str__(self) -> str:
        return f"{self.organisation.code}-{self.year}: {self.last_number}"


class ApiTokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


class ApiToken(models.Model):
    """A bearer token for the REST API, acting as its user.

    Only the SHA-256 of the secret is stored: a database leak must not hand out working tokens
    (OWASP ASVS 3.5.2). The secret is shown once, when the token is issued.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="The first characters of the secret, to tell tokens apart.")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
