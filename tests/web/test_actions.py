"""Forms that write: recording a case, adding to it, and the generic lifecycle action forms."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.cases.models import Allegation, Case, CaseStatus, InvestigationMode, SubjectAllegation
from forewarn.core.registry import machine_for
from forewarn.organisations.models import Role
from forewarn.web import forms
from tests.factories import CaseFactory, make_user, only_refused, seat_on_panel, sign_in

pytestmark = pytest.mark.django_db


def _date(prefix: str, day: dt.date) -> dict:
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


def _action_hrefs(html: str, machine: str) -> set[str]:
    import re

    return set(re.findall(rf'href="/actions/{machine}/\d+/([a-z_]+)/"', html))


# -- which actions a user is offered -------------------------------------------------------------------
def test_case_page_offers_only_what_the_table_allows_the_user(client, handler, iopc):
    received = CaseFactory(status=CaseStatus.RECEIVED)
    sign_in(client, handler)
    html = client.get(reverse("web:case-detail", args=[received.id])).content.decode()
    offered = {t.action for t in machine_for("case").available(actor=handler, obj=received)}
    assert offered and _action_hrefs(html, "case") == offered
    assert "log" in offered

    referred = CaseFactory(status=CaseStatus.REFERRED_TO_IOPC, referred_on=dt.date(2024, 2, 1))
    iopc_only = {t.action for t in machine_for("case").transitions
                 if CaseStatus.REFERRED_TO_IOPC in t.sources and not (t.roles & handler.role_codes)}
    assert iopc_only, "the table has IOPC-only steps from Referred to the IOPC"
    handler_html = client.get(reverse("web:case-detail", args=[referred.id])).content.decode()
    assert not (_action_hrefs(handler_html, "case") & iopc_only)

    sign_in(client, iopc)
    iopc_html = client.get(reverse("web:case-detail", args=[referred.id])).content.decode()
    assert "determine_mode" in _action_hrefs(iopc_html, "case")


def test_a_user_without_casework_roles_sees_no_actions(client):
    case = CaseFactory(status=CaseStatus.RECEIVED)
    panel = make_user(Role.PANEL_MEMBER)  # sits on a hearing of the case: may read it, takes no case step
    seat_on_panel(panel, case=case, status="notice_of_referral")
    sign_in(client, panel)
    html = client.get(reverse("web:case-detail", args=[case.id])).content.decode()
    assert "/actions/" not in html and 'id="no-actions"' in html
    nobody = make_user()
    sign_in(client, nobody)
    assert client.get(reverse("web:case-detail", args=[case.id])).status_code == 404


def test_an_action_not_offered_does_not_open_a_form(client, handler):
    case = CaseFactory(status=CaseStatus.REFERRED_TO_IOPC, referred_on=dt.date(2024, 2, 1))
    sign_in(client, handler)
    # An IOPC step on a case the handler can see: the role is missing, so 403 (organisations.access).
    assert client.get(reverse("web:action", args=["case", case.id, "determine_mode"])).status_code == 403
    assert client.get(reverse("web:action", args=["no_such_machine", case.id, "log"])).status_code == 404
    assert client.get(reverse("web:action", args=["case", case.id, "no_such_action"])).status_code == 404


# -- generic action forms ------------------------------------------------------------------------------
def test_generic_action_succeeds_and_redirects_with_a_banner(client, handler):
    case = CaseFactory(status=CaseStatus.RECEIVED)
    sign_in(client, handler)
    url = reverse("web:action", args=["case", case.id, "log"])
    page = client.get(url).content.decode()
    assert 'name="on_day"' in page and 'name="expected_version"' in page and "csrfmiddlewaretoken" in page
    response = client.post(url, {**_date("on", timezone.localdate()), "expected_version": case.version},
                           follow=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.LOGGED
    assert Event.objects.filter(case=case, action="case.log").count() == 1
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("web:case-detail", args=[case.id])
    assert "govuk-notification-banner--success" in html and "Log the complaint" in html


def test_refused_action_shows_the_error_summary_and_writes_nothing(client, handler):
    case = CaseFactory(status=CaseStatus.RECEIVED)
    sign_in(client, handler)
    url = reverse("web:action", args=["case", case.id, "log"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(url, {**_date("on", tomorrow), "expected_version": case.version})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and 'href="#id_on_day"' in html and "in the future" in html
    stale = client.post(url, {**_date("on", timezone.localdate()), "expected_version": case.version + 5})
    assert "has changed since you opened it" in stale.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED and not Event.objects.filter(case=case).exists()


def test_payload_errors_are_shown_against_the_field(client, iopc):
    case = CaseFactory(status=CaseStatus.REFERRED_TO_IOPC, referred_on=dt.date(2024, 2, 1))
    sign_in(client, iopc)
    url = reverse("web:action", args=["case", case.id, "determine_mode"])
    page = client.get(url).content.decode()
    assert 'name="reasons"' in page and "<textarea" in page and 'type="radio" value="independent"' in page
    response = client.post(url, {**_date("on", timezone.localdate()), "investigation_mode": "independent",
                                 "reasons": ""})
    html = response.content.decode()
    assert "govuk-error-summary" in html and 'href="#id_reasons"' in html
    assert "govuk-form-group--error" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED_TO_IOPC
    ok = client.post(url, {**_date("on", timezone.localdate()), "investigation_mode": "independent",
                           "reasons": "Serious allegation of assault."})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.investigation_mode) == (CaseStatus.UNDER_INVESTIGATION, InvestigationMode.INDEPENDENT)


def test_payload_form_builder_maps_types_to_govuk_components():
    import pydantic

    from forewarn.cases.models import ReviewBody
    from forewarn.cases.vocabulary import MandatoryReferral
    from forewarn.core.lifecycle import Payload

    class Example(Payload):
        grounds: str
        review_body: ReviewBody
        referral_categories: list[MandatoryReferral] = pydantic.Field(default_factory=list)
        special_procedures: bool = False
        decided_on: dt.date | None = None
        count: int = 3
        panel: list[dict] = pydantic.Field(default_factory=list)

    form_class = forms.payload_form_class(Example)
    fields = form_class().fields
    assert isinstance(fields["grounds"].widget, forms.forms.Textarea) and fields["grounds"].required
    assert isinstance(fields["review_body"].widget, forms.forms.RadioSelect)
    assert isinstance(fields["referral_categories"].widget, forms.forms.CheckboxSelectMultiple)
    assert isinstance(fields["special_procedures"], forms.forms.BooleanField)
    assert isinstance(fields["decided_on"], forms.DateField) and not fields["decided_on"].required
    assert isinstance(fields["count"], forms.forms.IntegerField) and fields["count"].initial == 3
    assert isinstance(fields["panel"], forms.forms.JSONField)
    form = form_class({**_date("on", dt.date(2024, 3, 1)), "grounds": "g", "review_body": "iopc",
                       "referral_categories": ["MR-DSI"], "count": "4", "panel": '[{"role": "chair"}]'})
    assert form.is_valid(), form.errors
    assert form.payload() == {"grounds": "g", "review_body": "iopc", "referral_categories": ["MR-DSI"],
                              "special_procedures": False, "count": 4, "panel": [{"role": "chair"}]}
    assert Example.model_validate(form.payload()).count == 4
    bad = form_class({"on_day": "31", "on_month": "2", "on_year": "2024", "grounds": "g", "review_body": "x"})
    assert not bad.is_valid() and "on" in bad.errors and "review_body" in bad.errors


# -- recording a case and adding to it -----------------------------------------------------------------
def test_record_a_complaint_creates_the_case(client, handler):
    sign_in(client, handler)
    response = client.post(reverse("web:case-new"), {
        "case_type": "complaint", **_date("came_to_attention_on", dt.date(2025, 6, 2)),
        "summary": "Complainant says the officer swore at them."})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:case-detail", args=[case.id])
    assert case.reference == "MET-2025-00001" and case.created_by == handler


def test_record_a_complaint_shows_field_errors_and_creates_nothing(client, handler):
    sign_in(client, handler)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = client.post(reverse("web:case-new"), {"case_type": "complaint",
                                                   **_date("came_to_attention_on", tomorrow), "summary": "x"})
    html = future.content.decode()
    assert future.status_code == 200 and "govuk-error-summary" in html
    assert 'href="#id_came_to_attention_on_day"' in html and "is in the future" in html
    empty = client.post(reverse("web:case-new"), {"case_type": "complaint",
                                                  **_date("came_to_attention_on", dt.date(2025, 6, 2)),
                                                  "summary": "  "})
    html = empty.content.decode()
    assert 'href="#id_summary"' in html and "this field is required" in html
    invalid = client.post(reverse("web:case-new"), {"case_type": "complaint", "came_to_attention_on_day": "40",
                                                    "came_to_attention_on_month": "1",
                                                    "came_to_attention_on_year": "2025", "summary": "x"})
    assert "must be a real date" in invalid.content.decode()
    # The future date and the blank summary were refused by the service (one refused event each);
    # the impossible date never left the form.
    assert Case.objects.count() == 0 and only_refused(2)


def test_iopc_chooses_the_force_when_recording(client, iopc):
    sign_in(client, iopc)
    page = client.get(reverse("web:case-new")).content.decode()
    assert 'name="organisation"' in page
    response = client.post(reverse("web:case-new"), {"case_type": "dsi_matter",
                                                     **_date("came_to_attention_on", dt.date(2025, 6, 2)),
                                                     "summary": "Death following contact."})
    assert "the IOPC must say which force" in response.content.decode() and Case.objects.count() == 0


def test_add_party_allegation_and_subjects(client, handler, met_case):
    sign_in(client, handler)
    url = reverse("web:party-add", args=[met_case.id])
    refused = client.post(url, {"role": "complainant", "full_name": "Ada Example"})
    assert 'href="#id_eligibility_basis_0"' in refused.content.decode()
    assert client.post(url, {"role": "complainant", "full_name": "Ada Example", "eligibility_basis": "directed_at",
                             "is_vulnerable": "on"}).status_code == 302
    assert met_case.parties.filter(full_name="Ada Example", is_vulnerable=True).exists()

    page = client.get(reverse("web:allegation-add", args=[met_case.id])).content.decode()
    assert '<optgroup label="Sexual conduct">' in page and 'type="checkbox" value="SPB-HI"' in page
    response = client.post(reverse("web:allegation-add", args=[met_case.id]), {
        "category": "sexual_conduct", "subcategory": "Sexual harassment", "standards": ["SPB-DC", "SPB-ARC"],
        "description": "Remarks at the custody desk."})
    assert response.status_code == 302
    allegation = Allegation.objects.get(case=met_case, number=2)
    assert allegation.standards == ["SPB-DC", "SPB-ARC"]

    subject_url = reverse("web:subject-add", args=[met_case.id, allegation.id])
    person = met_case.subjects.filter(person__isnull=False).first().person
    found = client.get(subject_url, {"q": "Fictionalson"}).content.decode()
    assert "Ada Fictionalson (MET 424242)" in found
    assert client.post(subject_url + "?q=Fictionalson", {"person": str(person.id)}).status_code == 302
    assert client.post(subject_url, {"rank_as_given": "PS", "station_as_given": "Holborn",
                                     "approximate_age": "40"}).status_code == 302
    assert SubjectAllegation.objects.filter(allegation=allegation).count() == 2
    empty = client.post(subject_url, {})
    assert "govuk-error-summary" in empty.content.decode()


def test_link_an_unidentified_subject_to_a_person(client, handler, met_case):
    sign_in(client, handler)
    subject = met_case.subjects.get(person__isnull=True)
    person = met_case.subjects.get(person__isnull=False).person
    url = reverse("web:subject-link", args=[subject.id]) + "?q=424242"
    assert "Ada Fictionalson" in client.get(url).content.decode()
    response = client.post(url, {"person": str(person.id), "reason": "Collar number from CCTV."})
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.person == person
    assert Event.objects.get(action="subject.link_person").reason == "Collar number from CCTV."


def test_refer_to_proceedings_is_offered_to_the_appropriate_authority_and_refuses_bad_input(client, handler, aa,
                                                                                          met_case):
    sign_in(client, handler)
    url = reverse("web:case-service", args=[met_case.id, "refer"])
    assert url not in client.get(reverse("web:case-detail", args=[met_case.id])).content.decode()
    sign_in(client, aa)
    assert url in client.get(reverse("web:case-detail", args=[met_case.id])).content.decode()
    page = client.get(url).content.decode()
    assert 'name="subject_allegation_ids"' in page and 'type="radio" value="hearing"' in page
    assert 'name="notice_on_day"' in page
    response = client.post(url, {"form": "hearing", **_date("notice_on", timezone.localdate())})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert 'href="#id_subject_allegation_ids_0"' in html
    assert not met_case.proceedings.exists()
    assert client.get(reverse("web:case-service", args=[met_case.id, "nonsense"])).status_code == 404
