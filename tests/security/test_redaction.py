"""One redaction for every reader: contact details and restricted parties, in API JSON and in web HTML."""

import pytest
from django.urls import reverse

from forewarn.cases.redaction import redact_parties
from forewarn.organisations.models import Role
from tests.api.conftest import client_for
from tests.factories import CaseFactory, PartyFactory, make_user, name_on_case, sign_in

pytestmark = pytest.mark.django_db

CONTACTS = ("ada.fictional@example.org", "01632 960123", "7 Imaginary Lane", "ZZ9 9ZZ")


@pytest.fixture
def case_with_parties(db):
    """A Met complaint with a complainant (with contact details) and a witness whose presence is restricted."""
    case = CaseFactory()
    PartyFactory(case=case, full_name="Ada Fictional", email=CONTACTS[0], phone=CONTACTS[1], address=CONTACTS[2],
                 postcode=CONTACTS[3], is_vulnerable=True, vulnerability_notes="Needs an interpreter")
    PartyFactory(case=case, role="witness", eligibility_basis="", full_name="Wren Hidden-Witness",
                 email="wren@example.org", restricted=True)
    return case


def _subject_side(case):
    officer, rep = make_user(Role.SUBJECT_OFFICER), make_user(Role.SUBJECT_REPRESENTATIVE)
    name_on_case(officer, case, "subject_officer")
    name_on_case(rep, case, "subject_representative")
    return officer, rep


def _no_contacts(text: str) -> bool:
    return not any(c in text for c in CONTACTS) and "Needs an interpreter" not in text and "wren@" not in text


def test_the_owning_forces_casework_sees_everything(case_with_parties, handler, client):
    body = client_for(handler).get(f"/api/cases/{case_with_parties.id}").json()
    complainant, witness = body["parties"]
    assert (complainant["email"], complainant["postcode"], complainant["contact_details_withheld"]) == (
        CONTACTS[0], CONTACTS[3], False)
    assert witness["full_name"] == "Wren Hidden-Witness" and witness["restricted"]
    sign_in(client, handler)
    html = client.get(reverse("web:case-detail", args=[case_with_parties.id])).content.decode()
    assert all(c in html for c in CONTACTS) and "Wren Hidden-Witness" in html


def test_the_subject_side_sees_no_contacts_and_no_restricted_party(case_with_parties, client):
    for user in _subject_side(case_with_parties):
        body = client_for(user).get(f"/api/cases/{case_with_parties.id}").json()
        (complainant,) = body["parties"]
        assert complainant["full_name"] == "Ada Fictional" and complainant["contact_details_withheld"]
        assert complainant["email"] is None and complainant["vulnerability_notes"] is None
        text = str(body)
        assert _no_contacts(text) and "Wren" not in text
        timeline = client_for(user).get(f"/api/cases/{case_with_parties.id}/timeline").json()
        assert "Wren" not in str(timeline)

        sign_in(client, user)
        html = client.get(reverse("web:case-detail", args=[case_with_parties.id])).content.decode()
        assert "Ada Fictional" in html and _no_contacts(html) and "Wren" not in html
        assert "Withheld" in html


def test_staff_named_as_the_subject_are_redacted_as_the_subject(case_with_parties):
    """A case handler who is the subject of their own force's case reads it as a subject does."""
    handler_subject = make_user(Role.CASE_HANDLER)
    name_on_case(handler_subject, case_with_parties, "subject_officer")
    shown = redact_parties(actor=handler_subject, case=case_with_parties, parties=case_with_parties.parties.all())
    assert [p.full_name for p in shown] == ["Ada Fictional"] and shown[0].email is None


def test_other_readers_see_parties_without_contacts(case_with_parties, iopc):
    case_with_parties.referred_on = case_with_parties.came_to_attention_on
    case_with_parties.save(update_fields=["referred_on"])
    investigator = make_user(Role.INVESTIGATOR)
    name_on_case(investigator, case_with_parties, "investigator")
    kent_named = make_user(Role.CASE_HANDLER, organisation="KEN")  # named on another force's case
    name_on_case(kent_named, case_with_parties, "case_handler")
    for user in (iopc, investigator, kent_named):
        body = client_for(user).get(f"/api/cases/{case_with_parties.id}").json()
        assert _no_contacts(str(body)) and len(body["parties"]) == 2, user  # restricted parties: subject side only


def test_a_new_party_comes_back_redacted_for_its_author(case_with_parties, iopc):
    """The API answer to adding a party goes through the same redaction (an IOPC author sees no contacts)."""
    case_with_parties.referred_on = case_with_parties.came_to_attention_on
    case_with_parties.save(update_fields=["referred_on"])
    body = client_for(iopc).post(f"/api/cases/{case_with_parties.id}/parties", {
        "role": "witness", "full_name": "Bo Fictional", "email": "bo@example.org"}).json()
    assert body["contact_details_withheld"] and body["email"] is None
    # Redaction changes what is shown, never what is stored.
    assert case_with_parties.parties.get(full_name="Bo Fictional").email == "bo@example.org"
