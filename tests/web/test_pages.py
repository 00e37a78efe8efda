"""Every page needs sign-in, renders for a signed-in user, and hides what is out of scope."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from forewarn.cases.models import Case, CaseStatus
from forewarn.organisations.models import Role
from tests.factories import CaseFactory, make_user, sign_in

pytestmark = pytest.mark.django_db


def _urls(case):
    allegation = case.allegations.get()
    unlinked = case.subjects.filter(person__isnull=True).get()
    person = case.subjects.filter(person__isnull=False).get().person
    return [
        reverse("web:my-work"),
        reverse("web:overdue"),
        reverse("web:case-list"),
        reverse("web:case-new"),
        reverse("web:case-detail", args=[case.id]),
        reverse("web:party-add", args=[case.id]),
        reverse("web:allegation-add", args=[case.id]),
        reverse("web:subject-add", args=[case.id, allegation.id]) + "?q=Fictionalson",
        reverse("web:subject-link", args=[unlinked.id]),
        reverse("web:person-search") + "?q=424242",
        reverse("web:person-detail", args=[person.id]),
    ]


def test_anonymous_users_are_sent_to_sign_in(client, met_case):
    sign_in = reverse("web:sign-in")
    for url in _urls(met_case):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{sign_in}?next="), url


def test_every_page_renders_for_a_signed_in_case_handler(client, handler, met_case):
    sign_in(client, handler)
    for url in _urls(met_case):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "govuk-template__body" in html and "Forewarn" in html, url
        assert 'class="govuk-phase-banner"' in html


def test_sign_in_page_and_sign_in_by_post(client, handler):
    response = client.get(reverse("web:sign-in"))
    assert response.status_code == 200 and b"csrfmiddlewaretoken" in response.content
    response = client.post(reverse("web:sign-in"), {"username": handler.username,
                                                    "password": "correct horse battery staple"})
    # The password is only the first step: next comes the authenticator code (tests/web/test_auth_flow.py).
    assert response.status_code == 302
    assert response["Location"] == reverse("web:two-factor") + "?next=%2F"
    client.logout()
    response = client.post(reverse("web:sign-in"), {"username": handler.username, "password": "wrong"})
    assert response.status_code == 200 and b"govuk-error-summary" in response.content


def test_sign_out_is_post_only(client, handler):
    sign_in(client, handler)
    assert client.get(reverse("web:sign-out")).status_code == 405
    assert client.post(reverse("web:sign-out")).status_code == 302
    assert client.get(reverse("web:my-work")).status_code == 302


def test_pages_carry_csrf_tokens_and_govuk_assets(client, handler, met_case):
    sign_in(client, handler)
    html = client.get(reverse("web:case-new")).content.decode()
    assert "csrfmiddlewaretoken" in html
    assert "/static/govuk/govuk-frontend.min.css" in html
    # GOV.UK Frontend's start-up scripts are files, not inline, for the Content Security Policy.
    assert '<script src="/static/forewarn/js-enabled.js"></script>' in html
    assert '<script type="module" src="/static/forewarn/govuk-init.js"></script>' in html
    assert "<script>" not in html and "initAll()" not in html
    assert client.get("/static/govuk/govuk-frontend.min.css").status_code == 200
    assert b"govuk-frontend-supported" in b"".join(client.get("/static/forewarn/js-enabled.js").streaming_content)
    init = b"".join(client.get("/static/forewarn/govuk-init.js").streaming_content)
    assert b"from '../govuk/govuk-frontend.min.js'" in init and b"initAll();" in init


def test_another_forces_case_and_its_records_are_404(client, other_force_handler, met_case):
    sign_in(client, other_force_handler)
    allegation = met_case.allegations.get()
    subject = met_case.subjects.first()
    for url in [reverse("web:case-detail", args=[met_case.id]), reverse("web:party-add", args=[met_case.id]),
                reverse("web:allegation-add", args=[met_case.id]),
                reverse("web:subject-add", args=[met_case.id, allegation.id]),
                reverse("web:subject-link", args=[subject.id]),
                reverse("web:action", args=["case", met_case.id, "log"])]:
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("web:case-list")).content.decode()
    assert met_case.reference not in listing


def test_person_page_needs_a_role_that_may_read_people(client, met_case):
    person = met_case.subjects.filter(person__isnull=False).get().person
    sign_in(client, make_user(Role.PANEL_MEMBER))
    assert client.get(reverse("web:person-detail", args=[person.id])).status_code == 404
    sign_in(client, make_user(Role.VETTING_OFFICER))
    assert client.get(reverse("web:person-detail", args=[person.id])).status_code == 200


def test_my_work_lists_open_clocks_with_overdue_tag_and_citation(client, handler, met_case):
    sign_in(client, handler)
    html = client.get(reverse("web:my-work")).content.decode()
    assert met_case.reference in html
    assert "Refer to the IOPC" in html  # ClockKind label
    assert "C&amp;M Regs 2020 reg 4" in html  # citation from CLOCK_RULES, escaped
    assert "govuk-tag--red" in html and "Overdue" in html


def test_overdue_list_filters_by_organisation(client, met_case):
    iopc_and_met = make_user(Role.CASE_HANDLER)
    sign_in(client, iopc_and_met)
    met_id = met_case.organisation_id
    html = client.get(reverse("web:overdue"), {"organisation": met_id}).content.decode()
    assert met_case.reference in html
    kent = make_user(Role.CASE_HANDLER, organisation="KEN")
    sign_in(client, kent)
    assert met_case.reference not in client.get(reverse("web:overdue")).content.decode()


def test_case_list_filters_and_paginates(client, handler, met_case):
    CaseFactory.create_batch(55, status=CaseStatus.LOGGED, summary="Bulk case")
    sign_in(client, handler)
    first = client.get(reverse("web:case-list")).content.decode()
    assert "56 cases" in first and "govuk-pagination" in first
    assert len(re.findall(r'href="/cases/\d+/"', first)) == 50
    second = client.get(reverse("web:case-list"), {"page": 2}).content.decode()
    assert len(re.findall(r'href="/cases/\d+/"', second)) == 6
    only_received = client.get(reverse("web:case-list"), {"status": "received"}).content.decode()
    assert "1 case<" in only_received and met_case.reference in only_received
    searched = client.get(reverse("web:case-list"), {"q": "Smythe"}).content.decode()
    assert met_case.reference in searched and "1 case<" in searched
    overdue = client.get(reverse("web:case-list"), {"overdue": "on"}).content.decode()
    assert "1 case<" in overdue


def test_case_page_shows_parties_allegations_clocks_and_timeline(client, handler, met_case):
    sign_in(client, handler)
    html = client.get(reverse("web:case-detail", args=[met_case.id])).content.decode()
    assert "Vulnerable" in html
    assert "Smythe" in html and "Ada Fictionalson" in html
    assert "Opened the case" in html
    assert "Open statutory steps" in html and "16 Jan 2024" in html


def test_hostile_text_is_escaped(client, handler):
    hostile = "<script>alert(1)</script>"
    case = CaseFactory(summary=hostile, incident_location=hostile)
    sign_in(client, handler)
    for url in [reverse("web:case-detail", args=[case.id]), reverse("web:case-list") + "?q=%3Cscript%3E"]:
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html, url
    html = client.get(reverse("web:case-detail", args=[case.id])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_case_page_query_count_does_not_grow_with_records(client, handler, met_case, django_assert_max_num_queries):
    from tests.factories import AllegationFactory, PartyFactory, SubjectAllegationFactory

    sign_in(client, handler)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("web:case-detail", args=[met_case.id])).status_code == 200
    for n in range(2, 8):
        allegation = AllegationFactory(case=met_case, number=n)
        SubjectAllegationFactory.create_batch(2, allegation=allegation)
        PartyFactory(case=met_case)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("web:case-detail", args=[met_case.id])).status_code == 200


def test_case_list_query_count(client, handler, django_assert_max_num_queries):
    CaseFactory.create_batch(30)
    sign_in(client, handler)
    # A fixed number whatever the page holds (30 cases here): session, user, roles, the cases the user
    # is named on (once for the count, once for the page), the count, the page.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("web:case-list"))
    assert response.status_code == 200 and Case.objects.count() == 30


def test_my_work_query_count(client, handler, met_case, django_assert_max_num_queries):
    from forewarn.core.models import Clock

    for case in CaseFactory.create_batch(10):
        Clock.objects.create(case=case, kind="outcome_report", started_on=dt.date(2024, 2, 1),
                             due_on=dt.date(2024, 2, 8))
    sign_in(client, handler)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("web:my-work")).status_code == 200


def test_person_page_shows_findings_in_words(client, handler, met_case):
    subject = met_case.subjects.filter(person__isnull=False).get()
    subject.finding = "gross_misconduct"
    subject.save(update_fields=["finding"])
    sign_in(client, handler)
    html = client.get(reverse("web:person-detail", args=[subject.person_id])).content.decode()
    assert "Gross misconduct" in html and "gross_misconduct" not in html
