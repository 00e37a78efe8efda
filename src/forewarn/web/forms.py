"""Forms for the web UI. They only parse and convert what was typed; every rule is checked by the
service or lifecycle transition the view hands the data to, and its DomainError is shown on the form.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import types
import typing
from collections.abc import Callable, Iterable

import pydantic
from django import forms
from django.contrib import messages
from django.utils import timezone
from pydantic_core import PydanticUndefined

from forewarn.cases.models import CaseStatus, CaseType, EligibilityBasis, PartyRole, RestrictionKind
from forewarn.cases.vocabulary import SUBCATEGORIES, AllegationFlag, Category, Standard
from forewarn.core.errors import DomainError, StaleVersion
from forewarn.workforce.models import Rank

# Free-text fields long enough to deserve a textarea, whatever payload or service they come from.
TEXTAREA_NAMES = ("reasons", "summary", "description", "grounds", "notes", "conclusion", "reason", "details")
# Up to this many options are shown as radios; more become a select.
MAX_RADIOS = 8


# -- GOV.UK date input (day / month / year) ---------------------------------------------------------------
class DateInputWidget(forms.MultiWidget):
    """Three boxes named <name>_day, <name>_month, <name>_year, as the GOV.UK date input pattern."""

    def __init__(self, attrs=None):
        super().__init__({"day": forms.TextInput, "month": forms.TextInput, "year": forms.TextInput}, attrs)

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]


class DateField(forms.MultiValueField):
    widget = DateInputWidget
    govuk_kind = "date"

    def __init__(self, **kwargs):
        fields = (forms.CharField(), forms.CharField(), forms.CharField())
        kwargs.setdefault("require_all_fields", False)
        super().__init__(fields=fields, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        day, month, year = ((part or "").strip() for part in data_list)
        if not (day and month and year):
            raise forms.ValidationError("The date must include a day, month and year.", code="incomplete")
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError("The date must be a real date, for example 27 3 2024.",
                                        code="invalid") from None


class LinesField(forms.CharField):
    """A list of strings, one per line."""

    widget = forms.Textarea

    def to_python(self, value):
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


def posted_id(value: str) -> int | None:
    """A database id posted by a form (a select or hidden field), or None when it is not one."""
    return int(value) if value.isdigit() and len(value) < 12 else None


def run_with_message(request, call: Callable[[], object], success: str) -> bool:
    """Run a service call for a button without a form: its domain error becomes an error message on
    the next page, its success the `success` message. True when it succeeded."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def domain_error_to_form(form: forms.Form, err: DomainError) -> None:
    """Show a refused action on the form: against the field it names, or above the form."""
    # A form whose fields are not the payload's (one box per entry of a list) places the error itself.
    place = getattr(form, "add_domain_error", None)
    if place is not None and place(err):
        return
    field = (err.field or "").split(".")[0]
    message = err.message
    if isinstance(err, StaleVersion):
        # The page the user filled in is out of date: say so plainly and what to do (GOV.UK error pattern).
        message = f"{err.title}. {message} Go back, check what changed, then try again."
    if field and message.startswith(f"{err.field}: "):
        message = message[len(err.field) + 2:]
    if field and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


# -- forms built from a payload model or a service signature --------------------------------------------
def _strip_optional(annotation) -> tuple[typing.Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) < len(typing.get_args(annotation)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True  # noqa: UP007
    return annotation, False


def _choices_of(annotation) -> list[tuple[str, str]] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [(str(v), str(v).replace("_", " ").capitalize()) for v in typing.get_args(annotation)]
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return [(str(m.value), str(getattr(m, "label", m.name.replace("_", " ").capitalize()))) for m in annotation]
    return None


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def form_field_for(name: str, annotation, *, required: bool, default=None, label: str = "",
                   help_text: str = "") -> forms.Field:
    """A form field for one typed parameter (str, bool, date, int, choices, lists; JSON otherwise)."""
    annotation, optional = _strip_optional(annotation)
    required = required and not optional
    common = {"required": required, "label": label or _label(name), "help_text": help_text}
    if default is not None and default is not PydanticUndefined and default is not inspect.Parameter.empty:
        common["initial"] = default.value if isinstance(default, enum.Enum) else default
    choices = _choices_of(annotation)
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return forms.BooleanField(**{**common, "required": False})
    if choices is not None:
        widget = forms.RadioSelect if len(choices) <= MAX_RADIOS else forms.Select
        if widget is forms.Select:
            choices = [("", "Choose…"), *choices]
        return forms.ChoiceField(choices=choices, widget=widget, **common)
    if inspect.isclass(annotation) and issubclass(annotation, dt.date):
        return DateField(**common)
    if annotation is int:
        return forms.IntegerField(**common)
    if annotation is float:
        return forms.FloatField(**common)
    if annotation is str:
        textarea = any(part in name for part in TEXTAREA_NAMES)
        return forms.CharField(widget=forms.Textarea if textarea else forms.TextInput, strip=True, **common)
    if origin in (list, tuple, set, frozenset):
        (inner,) = typing.get_args(annotation)[:1] or (str,)
        inner_choices = _choices_of(inner)
        if inner_choices is not None:
            return forms.MultipleChoiceField(choices=inner_choices, widget=forms.CheckboxSelectMultiple, **common)
        if inner is str:
            return LinesField(**{**common, "help_text": help_text or "One per line."})
    return forms.JSONField(widget=forms.Textarea, **{**common, "help_text": help_text or "As JSON."})


class ActionForm(forms.Form):
    """Base for every generic action form: the date the step took effect and the version seen."""

    on = DateField(required=True, label="Date this took effect",
                   help_text="The date of the decision or step, for example 27 3 2024. Today if it happened today.")
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    payload_fields: tuple[str, ...] = ()

    def payload(self) -> dict:
        """The submitted data for the transition; optional fields left empty take the payload's defaults."""
        data = {}
        for name in self.payload_fields:
            value = self.cleaned_data.get(name)
            if value in (None, "", [], ()) and not self.fields[name].required:
                continue
            data[name] = value
        return data


def payload_form_class(payload: type[pydantic.BaseModel]) -> type[ActionForm]:
    fields: dict[str, forms.Field] = {}
    for name, info in payload.model_fields.items():
        fields[name] = form_field_for(name, info.annotation, required=info.is_required(), default=info.default,
                                      label=info.title or "", help_text=info.description or "")
    return type(f"{payload.__name__}Form", (ActionForm,), {**fields, "payload_fields": tuple(fields)})


def service_form_class(func: Callable, *, skip: Iterable[str] = (),
                       fixed: dict[str, forms.Field] | None = None) -> type[ActionForm]:
    """A form for a keyword-only service's parameters (other than the actor and what the page fixes)."""
    skip = {"actor", *skip}
    fixed = fixed or {}
    hints = typing.get_type_hints(func)
    fields: dict[str, forms.Field] = {}
    for name, param in inspect.signature(func).parameters.items():
        if name in skip:
            continue
        if name in fixed:
            fields[name] = fixed[name]
            continue
        fields[name] = form_field_for(name, hints.get(name, str), required=param.default is inspect.Parameter.empty,
                                      default=param.default)
    takes_on = "on" in fields
    attrs = {**fields, "payload_fields": tuple(n for n in fields if n != "on")}
    if not takes_on:
        attrs["on"] = None  # the service has no date of its own
    return type(f"{func.__name__}Form", (ActionForm,), attrs)


# -- cases -----------------------------------------------------------------------------------------------
class CaseRecordForm(forms.Form):
    case_type = forms.ChoiceField(choices=CaseType.choices, widget=forms.RadioSelect, label="What is being recorded?",
                                  error_messages={"required": "Select what is being recorded."})
    organisation = forms.ChoiceField(required=False, label="Force concerned",
                                     help_text="The IOPC records on behalf of the force concerned.")
    came_to_attention_on = DateField(required=False, label="When was the complaint made or did the matter come to attention?",
                                     help_text="For example, 27 3 2024")
    incident_date = DateField(required=False, label="When did the incident happen? (optional)")
    incident_location = forms.CharField(required=False, label="Where did it happen? (optional)")
    summary = forms.CharField(required=False, widget=forms.Textarea, label="Summary",
                              help_text="What happened, in the complainant's words where possible.")
    restriction_kind = forms.ChoiceField(
        required=False, widget=forms.RadioSelect, label="Restrict the case to the people named on it?",
        choices=[("", "No"), *RestrictionKind.choices],
        help_text="Anti-corruption, covert or a subject in professional standards. You will be named on it.")

    def __init__(self, *args, forces=None, **kwargs):
        super().__init__(*args, **kwargs)
        if forces is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].choices = [("", "Choose the force"), *((str(o.id), o.name) for o in forces)]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        organisation = data.pop("organisation", "")
        data["organisation_id"] = int(organisation) if organisation else None
        data["restricted"] = bool(data.get("restriction_kind"))
        return data


class PartyForm(forms.Form):
    role = forms.ChoiceField(choices=PartyRole.choices, widget=forms.RadioSelect, label="Role",
                             error_messages={"required": "Select the person's role."})
    eligibility_basis = forms.ChoiceField(choices=EligibilityBasis.choices, widget=forms.RadioSelect, required=False,
                                          label="Why may they complain? (complainants only)")
    full_name = forms.CharField(required=False, label="Full name")
    email = forms.CharField(required=False, label="Email address")
    phone = forms.CharField(required=False, label="Telephone number")
    address = forms.CharField(required=False, widget=forms.Textarea, label="Address")
    postcode = forms.CharField(required=False, label="Postcode")
    is_vulnerable = forms.BooleanField(required=False, label="This person is vulnerable")
    vulnerability_notes = forms.CharField(required=False, widget=forms.Textarea, label="Vulnerability notes")


def _subcategory_choices() -> list:
    groups = [(str(Category(cat).label), [(s, s) for s in subs]) for cat, subs in SUBCATEGORIES.items() if subs]
    return [("", "None (the category has no subcategories)"), *groups]


class AllegationForm(forms.Form):
    category = forms.ChoiceField(choices=[("", "Choose a category"), *Category.choices], label="Category",
                                 error_messages={"required": "Select a category."})
    subcategory = forms.ChoiceField(choices=_subcategory_choices, required=False, label="Subcategory",
                                    help_text="Choose one from the chosen category.")
    standards = forms.MultipleChoiceField(choices=Standard.choices, widget=forms.CheckboxSelectMultiple,
                                          required=False, label="Standards of Professional Behaviour alleged")
    flags = forms.MultipleChoiceField(choices=AllegationFlag.choices, widget=forms.CheckboxSelectMultiple,
                                      required=False, label="Flags")
    description = forms.CharField(required=False, widget=forms.Textarea, label="Description of the allegation")


class SubjectForm(forms.Form):
    person = forms.ChoiceField(required=False, widget=forms.RadioSelect, label="Matching people")
    name_as_given = forms.CharField(required=False, label="Name as given")
    rank_as_given = forms.ChoiceField(choices=[("", "Not known"), *Rank.choices], required=False, label="Rank")
    number_as_given = forms.CharField(required=False, label="Collar, warrant or staff number")
    station_as_given = forms.CharField(required=False, label="Station")
    approximate_age = forms.IntegerField(required=False, label="Approximate age")
    date_of_birth_as_given = forms.DateField(required=False, label="Date of birth, if known",
                                             help_text="For example, 17/05/1984")
    sex_as_given = forms.ChoiceField(choices=[("", "Not known"), ("F", "Female"), ("M", "Male")], required=False,
                                     label="Sex")
    description_as_given = forms.CharField(required=False, widget=forms.Textarea, label="Description")

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [*((str(p.id), person_option_label(p)) for p in people),
                                         ("", "None of these: describe the officer below")]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        person = data.pop("person", "")
        data["person_id"] = int(person) if person else None
        return data


class LinkPersonForm(forms.Form):
    person = forms.ChoiceField(widget=forms.RadioSelect, label="Who is the officer?",
                               error_messages={"required": "Select the person, or search again."})
    reason = forms.CharField(required=False, widget=forms.Textarea, label="How was the officer identified?")
    # The subject's version when the page was opened (optimistic locking; see core.versioning).
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(str(p.id), person_option_label(p)) for p in people]


def person_option_label(person) -> str:
    numbers = ", ".join(f"{a.organisation.code} {a.service_number}".strip() for a in person.appointments.all())
    return f"{person.full_name} ({numbers})" if numbers else person.full_name


class CaseFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="Reference, summary or officer's name")
    case_type = forms.ChoiceField(choices=[("", "Any type"), *CaseType.choices], required=False, label="Type")
    status = forms.ChoiceField(choices=[("", "Any status"), *CaseStatus.choices], required=False, label="Status")
    category = forms.ChoiceField(choices=[("", "Any category"), *Category.choices], required=False,
                                 label="Allegation category")
    organisation = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Organisation")
    overdue = forms.BooleanField(required=False, label="Only cases with an overdue step")

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "Any organisation"),
                                               *((str(o.id), o.name) for o in organisations)]

    def selector_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"case_type": d.get("case_type") or "", "status": d.get("status") or "",
                "category": d.get("category") or "", "organisation_id": d.get("organisation"),
                "overdue": bool(d.get("overdue")), "search": d.get("q") or ""}


class OrganisationFilterForm(forms.Form):
    organisation = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Organisation")

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "All organisations in your scope"),
                                               *((str(o.id), o.name) for o in organisations)]


def today() -> dt.date:
    return timezone.localdate()
