"""Forms for documents and letters. They only parse what was sent; the services check every rule."""

from __future__ import annotations

from django import forms

from forewarn.cases.models import ReviewBody
from forewarn.documents.letters import LETTER_TEMPLATES
from forewarn.documents.models import DocumentKind
from forewarn.documents.validation import ALLOWED_WORDS


class DocumentUploadForm(forms.Form):
    file = forms.FileField(label="File", required=False, allow_empty_file=True,
                           help_text=f"{ALLOWED_WORDS}. The name must match the content.")
    kind = forms.ChoiceField(choices=DocumentKind.choices, widget=forms.RadioSelect, label="What is it?",
                             error_messages={"required": "Select what the document is."})
    title = forms.CharField(required=False, label="Title", max_length=200)
    recipient_party_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                                label="Sent to (letters only)")

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_party_id"].choices = [("", "Not a letter")] + [
            (p.id, f"{p.full_name} ({p.get_role_display()})") for p in parties]


class LetterIssueForm(forms.Form):
    party_id = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Complainant",
                                      error_messages={"required": "Select the complainant to write to."})
    template = forms.ChoiceField(choices=[(t.key, t.title) for t in LETTER_TEMPLATES.values()],
                                 widget=forms.RadioSelect, label="Letter",
                                 error_messages={"required": "Select the letter to send."})
    review_body = forms.ChoiceField(
        choices=[("", "Not needed, or the IOPC because the complaint was referred to it"), *ReviewBody.choices],
        widget=forms.RadioSelect, required=False, label="Review body (outcome letters)",
        help_text="Who reviews the outcome if the complainant applies (C&M Regs 2020 reg 30).")

    def __init__(self, *args, complainants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_id"].choices = [(p.id, p.full_name) for p in complainants]
