"""Documents attached to a case: uploaded evidence and statements, and letters sent to parties.

Files live under MEDIA_ROOT at a random name (never the uploaded name, never a public URL): they are
only ever sent through a view that checks the reader's scope.
"""

from __future__ import annotations

import uuid

from django.db import models


class DocumentKind(models.TextChoices):
    LETTER = "letter", "Letter to a party"
    EVIDENCE = "evidence", "Evidence"
    STATEMENT = "statement", "Statement"
    OTHER = "other", "Other"


def storage_name(document: Document, filename: str) -> str:
    """A path nobody can guess or collide with; the uploaded name is kept apart, in `filename`."""
    return f"documents/{document.case_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=storage_name, max_length=200)
    filename = models.CharField(max_length=150, help_text="The cleaned original name, used for downloads.")
    content_type = models.CharField(max_length=100, help_text="Found from the content, not from the name.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("organisations.User", null=True, on_delete=models.PROTECT, related_name="+")
    recipient_party = models.ForeignKey("cases.Party", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="letters")
    template = models.CharField(max_length=40, blank=True, help_text="For a generated letter: its template.")
    # What a generated letter told its recipient (e.g. review body and deadline), so the complainant
    # portal shows the same facts as the letter.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"]),
                   models.Index(fields=["recipient_party", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="letter", recipient_party__isnull=False) | ~models.Q(kind="letter"),
                name="document_letter_has_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_kind_display()})"
