"""Letters to complainants: rendered from templates, filed as documents, refused before their time."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases.models import CaseStatus, PartyRole
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.documents import services
from forewarn.documents.models import Document, DocumentKind
from forewarn.organisations.models import Role
from tests.documents.builders import (
    OUTCOME,
    complaint_recorded,
    complaint_with_complainant,
    complaint_with_outcome,
    step,
    stored_files,
)
from tests.factories import PartyFactory, SubjectAllegationFactory, change_events, make_user

pytestmark = pytest.mark.django_db


def _text(document: Document) -> str:
    with document.file.open("rb") as handle:
        return handle.read().decode("utf-8")


def test_outcome_letter_states_the_outcome_the_review_body_and_the_deadline(caseworker, media_root):
    case, party = complaint_with_outcome(caseworker)
    SubjectAllegationFactory(allegation__case=case, name_as_given="Smythe-Fictional")
    letter = services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id, template="outcome",
                                   review_body="lpb")

    text = _text(letter)
    # C&M Regs 2020 reg 29: 28 days starting with the day after the outcome was given.
    deadline = case.status_since + dt.timedelta(days=28)
    assert f"Dear {party.full_name}," in text and case.reference in text
    assert OUTCOME in text
    assert "Mayor's Office for Policing and Crime" in text  # the Met's local policing body
    assert deadline.strftime("%A %-d %B %Y") in text
    assert "regulation 29" in text and "/follow/" in text
    assert "Smythe-Fictional" not in text and case.summary not in text
    assert "&#x27;" not in text and "&amp;" not in text  # plain text, not HTML-escaped
    assert (letter.kind, letter.recipient_party, letter.template) == (DocumentKind.LETTER, party, "outcome")
    assert letter.content_type == "text/plain" and letter.size == len(text.encode())
    assert letter.details == {"template": "outcome", "review_body": "lpb", "review_deadline": deadline.isoformat()}
    event = change_events().get(action="document.issue_letter")
    assert event.data["recipient_party_id"] == party.id and event.data["review_body"] == "lpb"


def test_a_referred_complaint_is_reviewed_by_the_iopc(caseworker):
    case, party = complaint_with_outcome(caseworker)
    case.referred_on = case.recorded_on
    case.save(update_fields=["referred_on"])
    letter = services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id, template="outcome")
    assert "Independent Office for Police Conduct (IOPC)" in _text(letter)
    assert letter.details["review_body"] == "iopc"
    with pytest.raises(ValidationFailed) as refused:
        services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id, template="outcome",
                              review_body="lpb")
    assert (refused.value.code, refused.value.field) == ("review.body_must_be_iopc", "review_body")


def test_an_outcome_letter_for_a_complaint_not_referred_needs_the_review_body(caseworker, media_root):
    case, party = complaint_with_outcome(caseworker)
    with pytest.raises(ValidationFailed) as refused:
        services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id, template="outcome")
    assert (refused.value.code, refused.value.field) == ("validation.required", "review_body")
    assert not Document.objects.exists() and stored_files(media_root) == []
    assert Event.objects.filter(kind="refused", action="letter.issue").count() == 1


def test_recording_decision_letter_after_recording(caseworker):
    case, party = complaint_recorded(caseworker)
    text = _text(services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id,
                                       template="recording_decision"))
    assert f"On {case.recorded_on:%-d %B %Y} we recorded your complaint under Schedule 3" in text
    assert "right to a review" not in text


def test_recording_decision_letter_when_not_a_complaint(caseworker):
    case, party = complaint_with_complainant(status=CaseStatus.RECEIVED)
    step(case, caseworker, "log")
    step(case, caseworker, "reject_as_not_a_complaint", {"reasons": "Not about the conduct of a person serving."})
    text = _text(services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id,
                                       template="recording_decision"))
    assert "it is not a complaint that can be dealt with under Part 2" in text


def test_letters_are_refused_before_their_step_and_nothing_is_written(caseworker, media_root):
    case, party = complaint_with_complainant(status=CaseStatus.RECEIVED)
    for template, code in [("recording_decision", "letter.recording_decision_not_ready"),
                           ("outcome", "letter.outcome_not_ready")]:
        with pytest.raises(GuardFailed) as refused:
            services.letter_issue(actor=caseworker, case_id=case.id, party_id=party.id, template=template)
        assert refused.value.code == code and refused.value.field == "template"
    assert not Document.objects.exists() and stored_files(media_root) == []


def test_unknown_template_and_wrong_recipient_are_named(caseworker):
    case, party = complaint_with_outcome(caseworker)
    witness = PartyFactory(case=case, role=PartyRole.WITNESS, eligibility_basis="")
    stranger = PartyFactory()
    cases = [({"party_id": party.id, "template": "apology"}, "template", "validation.choice"),
             ({"party_id": witness.id, "template": "outcome"}, "party_id", "letter.recipient_not_complainant"),
             ({"party_id": stranger.id, "template": "outcome"}, "party_id", "validation.unknown_party")]
    for kwargs, field, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            services.letter_issue(actor=caseworker, case_id=case.id, review_body="lpb", **kwargs)
        assert (refused.value.field, refused.value.code) == (field, code)
    assert not Document.objects.exists()


def test_letter_scope_and_role(caseworker, other_force_handler):
    case, party = complaint_with_outcome(caseworker)
    with pytest.raises(NotFound):
        services.letter_issue(actor=other_force_handler, case_id=case.id, party_id=party.id, template="outcome",
                              review_body="lpb")
    admin = make_user(Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        services.letter_issue(actor=admin, case_id=case.id, party_id=party.id, template="outcome",
                              review_body="lpb")
    assert not Document.objects.exists()
