"""Complainant access without a staff account: one-time codes and the ledger that rate-limits them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AccessCode(models.Model):
    """A one-time code e-mailed to a complainant party.

    Only a keyed hash of the code is stored (HMAC with the site's SECRET_KEY and a per-code salt), so
    a copy of the database alone cannot be used to recover live codes (OWASP ASVS 2.7.6).
    """

    party = models.ForeignKey("cases.Party", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    salt = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when too many wrong codes were tried, or a newer code replaced this one.
    invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["party", "-created_at"])]

    def __str__(self) -> str:
        return f"access code {self.pk} for party {self.party_id}"


class AttemptKind(models.TextChoices):
    REQUEST = "request", "Code requested"
    VERIFY = "verify", "Code entered"


class AccessAttempt(models.Model):
    """Every code request and every code entered, keyed by hashes of what was typed.

    The ledger rate-limits requests per case reference and per e-mail address whether or not they
    matched anyone, so a limit never reveals a match; it stores no address in the clear.
    """

    kind = models.CharField(max_length=8, choices=AttemptKind.choices)
    reference_key = models.CharField(max_length=64)
    email_key = models.CharField(max_length=64)
    matched = models.BooleanField(default=False)
    throttled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reference_key", "kind", "created_at"]),
                   models.Index(fields=["email_key", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"
