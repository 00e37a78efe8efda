"""Forms for the register's history, check, application and disclosure pages. They parse what was typed;
the services decide (and their refusals are shown on the form, field by field)."""

from __future__ import annotations

from django import forms

from forewarn.core.errors import DomainError
from forewarn.register.disclosures import DEFAULT_GRANT_DAYS, MAX_GRANT_DAYS
from forewarn.register.models import ApplicationKind, ApplicationOutcome, LawfulBasis
from forewarn.web.forms import DateField, domain_error_to_form


def errors_to_form(form: forms.Form, err: DomainError) -> None:
    """Every field a refusal names (a check lists them all in `errors`), or the refusal above the form."""
    listed = err.context.get("errors") if isinstance(err.context.get("errors"), list) else None
    if not listed:
        domain_error_to_form(form, err)
        return
    for item in listed:
        field, message = item.get("field") or "", item.get("message", "")
        if message.startswith(f"{field}: "):
            message = message[len(field) + 2:]
        form.add_error(field if field in form.fields else None, message)


class CheckForm(forms.Form):
    lawful_basis = forms.ChoiceField(choices=LawfulBasis.choices, widget=forms.RadioSelect, label="Lawful basis")
    purpose = forms.CharField(widget=forms.Textarea, max_length=2000, label="Purpose",
                              help_text="What the check is for, e.g. the post and the applicant's reference. "
                                        "It is recorded with the check and audited.")
    application_kind = forms.ChoiceField(choices=ApplicationKind.choices, widget=forms.RadioSelect,
                                         label="Application")
    reference = forms.CharField(max_length=60, required=False, label="Your reference")
    person_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False, label="Person id",
                                   help_text="If you know the person's Forewarn id. Otherwise give the three "
                                             "identifiers below.")
    given_name = forms.CharField(max_length=100, required=False, label="Given name")
    family_name = forms.CharField(max_length=100, required=False, label="Family name",
                                  help_text="Current or former (married name, deed poll).")
    date_of_birth = DateField(required=False, label="Date of birth")
    previous_forces = forms.CharField(max_length=300, required=False, label="Previous forces (optional)",
                                      help_text="Force codes separated by spaces or commas, e.g. KEN CNC. At least "
                                                "one must match an appointment.")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["previous_forces"] = [c for c in (data.get("previous_forces") or "").replace(",", " ").split() if c]
        return data


class ApplicationCloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=ApplicationOutcome.choices, widget=forms.RadioSelect, label="Outcome")
    reason = forms.CharField(widget=forms.Textarea, max_length=2000, required=False, label="Note (optional)")


class DisclosureRequestForm(forms.Form):
    subject_allegation_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea, max_length=2000, label="Why your force needs the case file",
                             help_text="The owning force's head of professional standards decides on this.")


class DisclosureDecideForm(forms.Form):
    grant = forms.TypedChoiceField(choices=[("yes", "Grant access to the case file"), ("no", "Refuse")],
                                   coerce=lambda v: v == "yes", widget=forms.RadioSelect, label="Decision")
    days = forms.IntegerField(min_value=1, max_value=MAX_GRANT_DAYS, initial=DEFAULT_GRANT_DAYS, required=False,
                              label="Days the grant lasts", help_text=f"At most {MAX_GRANT_DAYS}.")
    reason = forms.CharField(widget=forms.Textarea, max_length=2000, label="Reasons")
