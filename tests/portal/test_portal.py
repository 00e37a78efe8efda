"""The complainant portal: a one-time code by e-mail opens one case for 30 minutes, and nothing else.

Driven through the web pages with Django's locmem mail backend (settings_test), as a complainant
would use it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from forewarn.audit.models import Event, EventKind
from forewarn.cases.models import CaseStatus, PartyRole
from forewarn.cases.selectors import case_detail
from forewarn.documents import services as documents
from forewarn.portal import services
from forewarn.portal.models import AccessCode
from forewarn.portal.selectors import PLAIN_STATUS
from tests.documents.builders import OUTCOME, complaint_with_outcome, pdf_bytes, upload
from tests.factories import PartyFactory, SubjectAllegationFactory

pytestmark = pytest.mark.django_db

NEUTRAL = "If the reference and e-mail address match a complaint, we have sent a code to that address."
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """Ask for a code as the complainant would; returns the response. Mail goes out after commit."""
    def ask(reference, email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("portal:start"), {"reference": reference, "email": email})
    return ask


def _code_from(message) -> str:
    return "".join(re.search(r"\b(\d{4}) (\d{4})\b", message.body).groups())


def _enter(client, code):
    return client.post(reverse("portal:code"), {"code": code})


def _move_clock(monkeypatch, minutes):
    later = timezone.now() + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(timezone, "now", lambda: later)


def _portal_events(action):
    return Event.objects.filter(action=action)


@pytest.fixture
def complaint(caseworker, settings, tmp_path):
    """A complaint whose outcome was given, with a letter to the complainant, a witness, an officer and
    other papers on file that the complainant must never see. Fictional people only."""
    settings.MEDIA_ROOT = tmp_path / "media"
    case, party = complaint_with_outcome(caseworker)
    SubjectAllegationFactory(allegation__case=case, name_as_given="Smythe-Fictional")
    witness = PartyFactory(case=case, role=PartyRole.WITNESS, eligibility_basis="", full_name="Wendy Witness-Fictional",
                           email="wendy@example.org")
    letter = documents.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id, template="outcome",
                                    review_body="lpb")
    evidence = documents.document_upload(actor=caseworker, case_id=case.id, kind="evidence", title="Internal note",
                                         file=upload("note.pdf", pdf_bytes()))
    to_witness = documents.document_upload(actor=caseworker, case_id=case.id, kind="letter", title="Witness letter",
                                           file=upload("w.pdf", pdf_bytes()), recipient_party_id=witness.id)
    # The same person's other complaint: the session must not open it.
    other_case, other_party = complaint_with_outcome(caseworker)
    other_letter = documents.letter_issue(actor=caseworker, case_id=other_case.id, party_id=other_party.id,
                                          template="outcome", review_body="lpb")
    return {"case": case, "party": party, "letter": letter, "evidence": evidence, "to_witness": to_witness,
            "other_case": other_case, "other_letter": other_letter}


def _open(client, ask, complaint):
    party = complaint["party"]
    ask(complaint["case"].reference.lower(), party.email.upper())  # typed loosely: still a match
    response = _enter(client, _code_from(mail.outbox[-1]))
    assert response.status_code == 302 and response["Location"] == reverse("portal:case")
    return response


def test_the_right_code_opens_that_case_and_shows_only_what_the_complainant_may_see(client, ask, complaint):
    case, party = complaint["case"], complaint["party"]
    response = ask(case.reference, party.email)
    assert response.status_code == 302 and response["Location"] == reverse("portal:code")
    [message] = mail.outbox
    assert message.to == [party.email] and case.reference in message.subject
    code = _code_from(message)
    assert len(code) == 8 and code not in AccessCode.objects.get().code_hash  # only a keyed hash is stored

    assert NEUTRAL in client.get(reverse("portal:code")).content.decode()
    _enter(client, code)
    html = client.get(reverse("portal:case")).content.decode()

    assert case.reference in html and PLAIN_STATUS[CaseStatus.OUTCOME_NOTIFIED][0] in html
    deadline = case.status_since + dt.timedelta(days=28)
    assert f"{deadline:%A %-d %B %Y}" in html and "Mayor&#x27;s Office for Policing and Crime" in html
    assert "Last day to apply for a review" in html
    assert complaint["letter"].title in html and reverse("portal:letter", args=[complaint["letter"].id]) in html
    for hidden in ("Smythe-Fictional", "Wendy Witness-Fictional", "Internal note", "Witness letter", case.summary,
                   OUTCOME, complaint["other_case"].reference):
        assert hidden not in html, hidden


def test_letters_download_only_when_addressed_to_the_complainant_of_this_case(client, ask, complaint):
    _open(client, ask, complaint)
    letter = complaint["letter"]
    response = client.get(reverse("portal:letter", args=[letter.id]))
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert OUTCOME.encode() in b"".join(response.streaming_content)
    for other in (complaint["evidence"], complaint["to_witness"], complaint["other_letter"]):
        assert client.get(reverse("portal:letter", args=[other.id])).status_code == 404, other.title


def test_the_portal_session_opens_no_staff_page(client, ask, complaint):
    _open(client, ask, complaint)
    for url in (reverse("web:case-detail", args=[complaint["case"].id]),
                reverse("documents:download", args=[complaint["evidence"].id])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("web:sign-in") in response["Location"], url
    assert client.get(f"/api/cases/{complaint['case'].id}").status_code == 401


def test_every_access_and_attempt_is_audited_with_the_party_and_no_actor(client, ask, complaint):
    case, party, letter = complaint["case"], complaint["party"], complaint["letter"]
    _open(client, ask, complaint)
    client.get(reverse("portal:case"))
    client.get(reverse("portal:letter", args=[letter.id]))
    for action in ("portal.code_sent", "portal.code_accepted"):
        event = _portal_events(action).get()
        assert (event.kind, event.actor_id) == (EventKind.CHANGE, None), action
        assert event.data["party_id"] == party.id and event.data["case_id"] == case.id, action
        # Security events, not steps of the case: the statutory timeline does not show them.
        assert event.case_id is None, action
    reads = Event.objects.filter(kind=EventKind.READ, actor__isnull=True)
    assert {(e.object_type, e.object_id) for e in reads} == {("cases.case", case.id), ("documents.document", letter.id)}
    assert all(e.case_id == case.id and e.data == {"party_id": party.id, "party_role": "complainant",
                                                   "case_id": case.id, "via": "portal"} for e in reads)


def test_portal_events_stay_off_the_case_timeline(client, ask, complaint, caseworker):
    _open(client, ask, complaint)
    client.get(reverse("portal:case"))
    timeline = case_detail(actor=caseworker, case_id=complaint["case"].id)["timeline"]
    assert timeline and not [e for e in timeline if e.action.startswith("portal.") or e.kind != EventKind.CHANGE]


def test_the_same_neutral_answer_whether_or_not_anything_matched(client, ask, complaint):
    case, party = complaint["case"], complaint["party"]
    attempts = [(case.reference, party.email),                      # a match
                ("MET-1999-00001", party.email),                    # no such case
                (case.reference, "someone.else@example.org"),       # not this complainant
                (complaint["other_case"].reference, "wendy@example.org"),  # a witness of another case
                (case.reference, "wendy@example.org")]              # a witness, not a complainant
    pages = []
    for reference, email in attempts:
        response = ask(reference, email)
        assert (response.status_code, response["Location"]) == (302, reverse("portal:code"))
        pages.append(CSRF.sub(b"", client.get(reverse("portal:code")).content))
    assert all(page == pages[0] for page in pages) and NEUTRAL.encode() in pages[0]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [party.email]
    assert _portal_events("portal.code_request_unmatched").count() == 4
    assert all(e.actor_id is None and "party_id" not in e.data
               for e in _portal_events("portal.code_request_unmatched"))


def test_a_wrong_code_is_refused_and_counted(client, ask, complaint):
    ask(complaint["case"].reference, complaint["party"].email)
    right = _code_from(mail.outbox[-1])
    wrong = f"{(int(right) + 1) % 10**8:08d}"
    response = _enter(client, wrong)
    assert response.status_code == 200 and "The code is not valid or has expired" in response.content.decode()
    assert client.get(reverse("portal:case")).status_code == 302  # still outside
    assert AccessCode.objects.get().attempts == 1
    event = _portal_events("portal.code_rejected").get()
    assert event.data == {"party_id": complaint["party"].id, "party_role": "complainant",
                          "case_id": complaint["case"].id, "attempts": 1, "reason": "wrong"}
    assert _enter(client, right).status_code == 302  # a slip does not lock the complainant out


def test_an_expired_code_is_refused(client, ask, complaint, monkeypatch):
    ask(complaint["case"].reference, complaint["party"].email)
    code = _code_from(mail.outbox[-1])
    _move_clock(monkeypatch, 16)
    assert _enter(client, code).status_code == 200
    assert _portal_events("portal.code_rejected").get().data["reason"] == "expired"


def test_a_code_works_once(client, ask, complaint):
    ask(complaint["case"].reference, complaint["party"].email)
    code = _code_from(mail.outbox[-1])
    assert _enter(client, code).status_code == 302
    client.post(reverse("portal:sign-out"))
    assert client.get(reverse("portal:case")).status_code == 302
    session = client.session  # leaving cleared the pending reference; the same browser keeps it here
    session["forewarn_portal_pending"] = {"reference": complaint["case"].reference, "email": complaint["party"].email}
    session.save()
    assert _enter(client, code).status_code == 200
    assert _portal_events("portal.code_rejected").get().data["reason"] == "used"


def test_five_wrong_codes_kill_the_code(client, ask, complaint):
    ask(complaint["case"].reference, complaint["party"].email)
    right = _code_from(mail.outbox[-1])
    for n in range(services.MAX_CODE_ATTEMPTS):
        _enter(client, f"{(int(right) + n + 1) % 10**8:08d}")
    access = AccessCode.objects.get()
    assert access.attempts == services.MAX_CODE_ATTEMPTS and access.invalidated_at is not None
    assert _enter(client, right).status_code == 200  # even the right code is now refused
    assert _portal_events("portal.code_rejected").last().data["reason"] == "locked"
    assert client.get(reverse("portal:case")).status_code == 302


def test_a_new_code_replaces_the_old_one(client, ask, complaint):
    ask(complaint["case"].reference, complaint["party"].email)
    first = _code_from(mail.outbox[-1])
    ask(complaint["case"].reference, complaint["party"].email)
    second = _code_from(mail.outbox[-1])
    assert _enter(client, first).status_code == 200  # checked against the newest code only
    assert AccessCode.objects.filter(invalidated_at__isnull=False).count() == 1
    assert _enter(client, second).status_code == 302


def test_requests_are_rate_limited_per_reference_and_per_address(client, ask, complaint):
    case, party = complaint["case"], complaint["party"]
    for n in range(services.REQUESTS_PER_WINDOW):
        ask(case.reference, f"guess{n}@example.org")  # someone trying addresses against one reference
    response = ask(case.reference, party.email)
    assert response["Location"] == reverse("portal:code")  # the same answer as ever
    assert mail.outbox == []
    throttled = _portal_events("portal.code_request_throttled").get()
    assert throttled.data["party_id"] == party.id and throttled.actor_id is None

    other = complaint["other_case"]
    other_party = other.parties.get()
    for n in range(services.REQUESTS_PER_WINDOW):
        ask(f"MET-2000-{n:05d}", other_party.email)  # one address tried against many references
    ask(other.reference, other_party.email)
    assert mail.outbox == []
    assert _portal_events("portal.code_request_throttled").count() == 2


def test_the_rate_limit_window_passes(client, ask, complaint, monkeypatch):
    case, party = complaint["case"], complaint["party"]
    for _ in range(services.REQUESTS_PER_WINDOW + 1):
        ask(case.reference, party.email)
    assert len(mail.outbox) == services.REQUESTS_PER_WINDOW
    _move_clock(monkeypatch, 61)
    ask(case.reference, party.email)
    assert len(mail.outbox) == services.REQUESTS_PER_WINDOW + 1


def test_the_session_ends_after_30_minutes(client, ask, complaint, monkeypatch):
    _open(client, ask, complaint)
    assert client.get(reverse("portal:case")).status_code == 200
    _move_clock(monkeypatch, 31)
    response = client.get(reverse("portal:case"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:start")
    assert "Your session has ended" in client.get(reverse("portal:start")).content.decode()
    assert client.get(reverse("portal:letter", args=[complaint["letter"].id])).status_code == 302


def test_the_session_ends_when_staff_change_the_complainants_address(client, ask, complaint):
    _open(client, ask, complaint)
    party = complaint["party"]
    party.email = "new.address@example.org"
    party.save(update_fields=["email"])
    assert client.get(reverse("portal:case")).status_code == 302


def test_the_code_step_needs_a_request_first(client):
    assert client.get(reverse("portal:code"))["Location"] == reverse("portal:start")
    assert client.get(reverse("portal:start")).status_code == 200  # public: no staff sign-in


def test_hostile_input_is_answered_like_any_other(client, ask, complaint):
    for reference, email in [("\x00", "a@example.org"), ("X" * 500, "a@example.org"),
                             (complaint["case"].reference, "a\x00@example.org"), ("' OR 1=1 --", "%@%")]:
        response = ask(reference, email)
        assert response.status_code in (200, 302)
    assert mail.outbox == []


def test_every_status_has_plain_words():
    assert set(PLAIN_STATUS) == set(CaseStatus.values)
    assert all(text and next_step for text, next_step in PLAIN_STATUS.values())
