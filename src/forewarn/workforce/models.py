"""People who serve or served with the police, and their appointments across forces."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models.functions import Lower

from forewarn.core.models import TimestampedModel, VersionedModel


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Not known"


class Person(VersionedModel):
    """One human being, stable across forces, numbers and names (the register's key)."""

    given_name = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=100)  # indexed with given_name (Meta)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["family_name", "given_name"]),
                   # Identity resolution blocks on the normalised family name (linkage/realtime.py).
                   models.Index(Lower("family_name"), name="person_family_lower_idx")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.middle_names, self.family_name) if part)


class PersonName(TimestampedModel):
    """A name the person has been known by (name history: marriage, deed poll, anglicisation)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    given_name = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=100)  # indexed in Meta (no LIKE twin)
    used_from = models.DateField(null=True, blank=True)
    used_until = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["used_from", "id"]
        indexes = [models.Index(fields=["family_name"], name="personname_family_name_idx"),
                   models.Index(Lower("family_name"), name="personname_family_lower_idx")]

    def __str__(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_names, self.family_name) if p)


class RoleType(models.TextChoices):
    OFFICER = "officer", "Police officer"
    SPECIAL = "special", "Special constable"
    STAFF = "staff", "Police staff"
    VOLUNTEER = "volunteer", "Designated volunteer"


class EndReason(models.TextChoices):
    RESIGNED = "resigned", "Resigned"
    RETIRED = "retired", "Retired"
    DISMISSED = "dismissed", "Dismissed"
    TRANSFERRED = "transferred", "Transferred to another force"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Rank(models.TextChoices):
    # Ordered from lowest to highest; Metropolitan/City equivalents share a code.
    CONSTABLE = "PC", "Constable"
    SERGEANT = "PS", "Sergeant"
    INSPECTOR = "INSP", "Inspector"
    CHIEF_INSPECTOR = "CI", "Chief Inspector"
    SUPERINTENDENT = "SUPT", "Superintendent"
    CHIEF_SUPERINTENDENT = "CSUPT", "Chief Superintendent"
    ASSISTANT_CHIEF_CONSTABLE = "ACC", "Assistant Chief Constable / Commander"
    DEPUTY_CHIEF_CONSTABLE = "DCC", "Deputy Chief Constable / Deputy Assistant Commissioner"
    CHIEF_CONSTABLE = "CC", "Chief Constable / Commissioner"
    STAFF_GRADE = "STAFF", "Police staff (no rank)"

    @classmethod
    def order(cls, code: str) -> int:
        return list(cls.values).index(code)


class Appointment(VersionedModel):
    """A period of service in one organisation. A transfer ends one appointment and starts another."""

    # No indexes of their own: the composite indexes below lead with each.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments", db_index=False)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="appointments",
                                     db_index=False)
    role_type = models.CharField(max_length=16, choices=RoleType.choices, default=RoleType.OFFICER)
    service_number = models.CharField(max_length=20, blank=True, help_text="Warrant, collar or staff number.")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    station = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            models.Index(fields=["organisation", "service_number"]),
            models.Index(fields=["person", "start_date"]),
            models.Index("organisation", Lower("station"), name="appointment_org_station_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="appointment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.organisation.code} {self.service_number}"

    def is_current_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    @property
    def current_rank(self) -> str | None:
        latest = self.ranks.order_by("-start_date", "-id").first()
        return latest.rank if latest else None


class RankHeld(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="ranks")
    rank = models.CharField(max_length=8, choices=Rank.choices)
    start_date = models.DateField()
    acting = models.BooleanField(default=False)

    class Meta:
        ordering = ["start_date", "id"]

    def __str__(self) -> str:
        return f"{self.get_rank_display()} from {self.start_date:%d %b %Y}"
