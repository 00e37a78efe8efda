"""Disclosure requests (issue #4 §1): the case file stays with the owning force unless it grants a
request; a grant is time-limited, read-only, for the requesting force's vetting officers, without
contact details; refusals and expiry end it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forewarn.cases.models import CaseParticipant
from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.organisations import permissions
from forewarn.organisations.models import Role
from forewarn.register import disclosures
from forewarn.register.history import person_register_history
from forewarn.register.models import DisclosureRequest
from tests.api.conftest import client_for
from tests.factories import PartyFactory, change_events, make_user, only_refused
from tests.register.history_world import officer_world

pytestmark = pytest.mark.django_db
REASON = "Transfer vetting: the applicant's Kent allegation is undecided."


@pytest.fixture
def world():
    return officer_world()


@pytest.fixture
def met_vetting():
    """The Met employs the officer: its vetting unit sees Kent's entry."""
    return make_user(Role.VETTING_OFFICER, organisation="MET")


@pytest.fixture
def kent_head():
    return make_user(Role.HEAD_OF_STANDARDS, organisation="KEN")


def _entry(user, person):
    (entry,) = person_register_history(actor=user, person_id=person.pk).entries
    return entry


def test_request_then_grant_opens_the_file_to_the_vetting_unit_read_only(world, met_vetting, kent_head):
    PartyFactory(case=world.case, email="complainant@example.org", phone="07700 900123")
    assert _entry(met_vetting, world.person)["may_request_disclosure"]
    request = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    assert (request.status, request.case, request.owning_organisation.code, request.requesting_organisation.code) == (
        "requested", world.case, "KEN", "MET")
    entry = _entry(met_vetting, world.person)
    assert entry["disclosure"]["status"] == "requested" and not entry["may_request_disclosure"]
    with pytest.raises(NotFound):  # not yet
        case_get_for_actor(actor=met_vetting, case_id=world.case.pk)

    granted = disclosures.disclosure_decide(actor=kent_head, disclosure_id=request.pk, grant=True,
                                            reason="Relevant to the transfer decision.")
    assert granted.status == "granted"
    assert abs((granted.expires_at - timezone.now()) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)
    assert case_get_for_actor(actor=met_vetting, case_id=world.case.pk) == world.case
    entry = _entry(met_vetting, world.person)
    assert entry["case_id"] == world.case.pk and "disclosure_granted" in entry["basis"]

    api = client_for(met_vetting)
    body = api.get(f"/api/cases/{world.case.pk}").json()
    assert body["id"] == world.case.pk
    (party,) = body["parties"]
    assert party["contact_details_withheld"] and party["email"] is None and party.get("phone") is None
    # Read-only: the vetting officer role writes to no case.
    assert api.post(f"/api/cases/{world.case.pk}/parties", {"role": "witness", "full_name": "Bo"}).status_code == 403
    actions = list(change_events().filter(case=world.case).order_by("id").values_list("action", "from_state",
                                                                                        "to_state"))
    assert actions == [("register.disclosure.request", "", "requested"),
                       ("register.disclosure.grant", "requested", "granted")]


def test_a_grant_ends_when_it_expires(world, met_vetting, kent_head):
    request = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    disclosures.disclosure_decide(actor=kent_head, disclosure_id=request.pk, grant=True, reason="Granted for vetting.",
                                  days=1)
    assert permissions.case_in_scope(met_vetting, world.case)
    DisclosureRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert not permissions.case_in_scope(met_vetting, world.case)
    entry = _entry(met_vetting, world.person)
    assert entry["case_id"] is None and entry["disclosure"]["status"] == "expired" and entry["may_request_disclosure"]
    # Asking again is allowed once the grant has run out.
    again = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    assert again.status == "requested"


def test_a_refusal_gives_nothing(world, met_vetting):
    kent_aa = make_user(Role.APPROPRIATE_AUTHORITY, organisation="KEN")
    request = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    refused = disclosures.disclosure_decide(actor=kent_aa, disclosure_id=request.pk, grant=False,
                                            reason="A live criminal investigation.")
    assert (refused.status, refused.expires_at) == ("refused", None)
    assert not permissions.case_in_scope(met_vetting, world.case)
    assert _entry(met_vetting, world.person)["disclosure"]["status"] == "refused"
    with pytest.raises(GuardFailed) as twice:
        disclosures.disclosure_decide(actor=kent_aa, disclosure_id=request.pk, grant=True, reason="Changed my mind.")
    assert twice.value.code == "disclosure.decided"


def test_the_grant_reaches_vetting_officers_only(world, met_vetting, kent_head):
    met_head = make_user(Role.HEAD_OF_STANDARDS, organisation="MET")
    request = disclosures.disclosure_request(actor=met_head, subject_allegation_id=world.subject.pk, reason=REASON)
    disclosures.disclosure_decide(actor=kent_head, disclosure_id=request.pk, grant=True, reason="Granted for vetting.")
    assert permissions.case_in_scope(met_vetting, world.case)
    # The head of standards (and an account holding both roles) could change cases in scope: no grant for them.
    assert not permissions.case_in_scope(met_head, world.case)
    both = make_user(Role.VETTING_OFFICER, Role.CASE_HANDLER, organisation="MET")
    assert not permissions.case_in_scope(both, world.case)
    entry = _entry(met_head, world.person)
    assert entry["case_id"] is None and "disclosure_granted" in entry["basis"]
    # Another force's vetting unit gets nothing from the Met's grant.
    assert not permissions.case_in_scope(make_user(Role.VETTING_OFFICER, organisation="TVP"), world.case)


def test_who_may_ask(world, met_vetting):
    stranger = make_user(Role.VETTING_OFFICER, organisation="NBR")
    with pytest.raises(NotFound):  # no relationship: the entry does not exist for them
        disclosures.disclosure_request(actor=stranger, subject_allegation_id=world.subject.pk, reason=REASON)
    with pytest.raises(GuardFailed) as own:
        disclosures.disclosure_request(actor=make_user(Role.VETTING_OFFICER, organisation="KEN"),
                                       subject_allegation_id=world.subject.pk, reason=REASON)
    assert own.value.code == "disclosure.own_case"
    with pytest.raises(PermissionDenied):
        disclosures.disclosure_request(actor=make_user(Role.CASE_HANDLER, organisation="MET"),
                                       subject_allegation_id=world.subject.pk, reason=REASON)
    with pytest.raises(ValidationFailed) as short:
        disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason="why")
    assert short.value.field == "reason"
    assert not DisclosureRequest.objects.exists() and only_refused(4)
    disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    with pytest.raises(GuardFailed) as pending:
        disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    assert pending.value.code == "disclosure.pending" and DisclosureRequest.objects.count() == 1


def test_who_may_decide(world, met_vetting, kent_head):
    request = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    with pytest.raises(NotFound):  # the requesting force does not decide
        disclosures.disclosure_decide(actor=make_user(Role.HEAD_OF_STANDARDS, organisation="MET"),
                                      disclosure_id=request.pk, grant=True, reason="Granting my own request.")
    with pytest.raises(PermissionDenied):  # the owning force's case handler sees it but may not decide
        disclosures.disclosure_decide(actor=make_user(Role.CASE_HANDLER, organisation="KEN"), disclosure_id=request.pk,
                                      grant=True, reason="Not my decision.")
    with pytest.raises(ValidationFailed) as days:
        disclosures.disclosure_decide(actor=kent_head, disclosure_id=request.pk, grant=True, reason="Granted for vetting.",
                                      days=91)
    assert days.value.field == "days"
    assert DisclosureRequest.objects.get().status == "requested"


def test_a_restricted_case_is_decided_only_by_those_named_on_it(met_vetting, kent_head):
    world = officer_world(restricted=True)
    entry = _entry(met_vetting, world.person)
    assert entry["withheld"] and entry["may_request_disclosure"]
    request = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    assert disclosures.disclosures_list(actor=kent_head)["incoming"] == []  # not named: not in their scope
    with pytest.raises(NotFound):
        disclosures.disclosure_decide(actor=kent_head, disclosure_id=request.pk, grant=True, reason="Granted for vetting.")
    CaseParticipant.objects.create(case=world.case, user=kent_head, role="head_of_standards")
    assert [r.pk for r in disclosures.disclosures_list(actor=kent_head)["incoming"]] == [request.pk]
    disclosures.disclosure_decide(actor=kent_head, disclosure_id=request.pk, grant=True, reason="Granted for vetting.")
    assert _entry(met_vetting, world.person)["withheld"] is False  # now in their case scope


def test_the_lists_show_each_side_its_requests(world, met_vetting, kent_head):
    request = disclosures.disclosure_request(actor=met_vetting, subject_allegation_id=world.subject.pk, reason=REASON)
    mine = disclosures.disclosures_list(actor=met_vetting)
    assert [r.pk for r in mine["outgoing"]] == [request.pk] and mine["incoming"] == []
    shown = disclosures.disclosure_as_dict(mine["outgoing"][0])
    assert shown["case_id"] is None and shown["case_reference"] == world.case.reference  # unrestricted: in the entry
    theirs = disclosures.disclosures_list(actor=kent_head)
    assert theirs["outgoing"] == [] and [r.pk for r in theirs["incoming"]] == [request.pk]
    assert disclosures.disclosure_as_dict(theirs["incoming"][0])["case_id"] == world.case.pk
    assert disclosures.disclosures_list(actor=make_user(Role.VETTING_OFFICER, organisation="TVP")) == {
        "outgoing": [], "incoming": []}
