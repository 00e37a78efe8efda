"""The append-only record of every action: the statutory timeline and the security audit trail.

Three kinds of event share one table and one hash chain:
- `change`: a write that took effect (a lifecycle step, a party added…); the case timeline shows these;
- `read`: someone looked at a case, person or party record (UK GDPR art 5(1)(f), art 32; ASVS V7);
- `refused`: a write that was refused (wrong state, role, version, data) — nothing else was written.

Rows are never updated or deleted: services only insert (`audit.services`), and on PostgreSQL a
trigger refuses UPDATE and DELETE (migration 0004). Each row carries `hash` = SHA-256 over its own
canonical content including `prev_hash`, the previous row's hash, so removing, editing or reordering
any row breaks the chain at that row (`forewarn audit verify`).
"""

import json

from django.db import models
from django.utils import timezone

from forewarn.audit.chain import canonical_json


class CanonicalJSONField(models.TextField):
    """A JSON value stored as its canonical text (`audit.chain.canonical_json`): the stored bytes are
    the hashed bytes, the same on SQLite and PostgreSQL (jsonb would re-format them), so `audit
    verify` hashes what it reads without parsing it. Python sees the value (a dict).

    A str given to it is taken as canonical text already (what `chain.seal` produces).
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return canonical_json(value)


class EventKind(models.TextChoices):
    CHANGE = "change", "Change"
    READ = "read", "Read"
    REFUSED = "refused", "Refused"


class Event(models.Model):
    # Set by the service before the hash is computed (not auto_now_add, which would set it after).
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    occurred_on = models.DateField(help_text="The date the step took effect (may be historic).")
    # Indexes cost every request (reads are events too): actor and case are served by the composite
    # indexes below, so their foreign keys carry none of their own.
    # No database constraints on these keys (Django still refuses to delete what they name): an
    # append holds the chain's lock until commit, and a foreign-key check takes a key-share lock on
    # the case (or user) row, which waits behind any transaction holding that row FOR UPDATE while it
    # queues for the chain lock: a deadlock (two writers on one case; benchmarks/notification_latency.py).
    actor = models.ForeignKey("organisations.User", null=True, on_delete=models.PROTECT, related_name="+",
                              db_index=False, db_constraint=False)
    organisation = models.ForeignKey("organisations.Organisation", null=True, on_delete=models.PROTECT,
                                     related_name="+", db_constraint=False)
    kind = models.CharField(max_length=10, choices=EventKind.choices, default=EventKind.CHANGE)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    case = models.ForeignKey("cases.Case", null=True, on_delete=models.PROTECT, related_name="events",
                             db_index=False, db_constraint=False)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    data = CanonicalJSONField(default=dict, blank=True)  # the step's data as submitted
    changes = CanonicalJSONField(default=dict, blank=True)  # {field: [old, new]} for the fields it changed
    reason = models.TextField(blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    # Text, not GenericIPAddressField: PostgreSQL's inet re-formats some addresses, which would
    # change the hashed content on the way back.
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64, default="")
    hash = models.CharField(max_length=64, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["case", "occurred_on"]),
            models.Index(fields=["actor", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.object_type}:{self.object_id}"
