"""Reads of case, party and person records are audited, with who, from where and why."""

import json

import pytest
from click.testing import CliRunner
from django.urls import reverse

from forewarn import cli
from forewarn.audit.models import Event, EventKind
from forewarn.audit.selectors import chain_verify
from forewarn.organisations.models import Role
from tests.api.conftest import client_for
from tests.factories import CaseFactory, PartyFactory, PersonFactory, make_user, sign_in

UA = "Mozilla/5.0 (forewarn-test)"


@pytest.fixture
def case_with_complainant(db):
    case = CaseFactory()
    party = PartyFactory(case=case)
    return case, party


def _reads(**filters):
    return Event.objects.filter(kind=EventKind.READ, **filters)


def test_the_case_page_audits_the_case_and_each_party_shown(client, handler, case_with_complainant):
    case, party = case_with_complainant
    sign_in(client, handler)
    response = client.get(reverse("web:case-detail", args=[case.id]), HTTP_USER_AGENT=UA,
                          HTTP_X_REQUEST_ID="req-0123456789")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-0123456789"
    case_read = _reads(action="case.read").get()
    assert (case_read.actor, case_read.organisation_id, case_read.object_id, case_read.case_id) == (
        handler, handler.organisation_id, case.id, case.id)
    assert (case_read.ip_address, case_read.user_agent, case_read.correlation_id) == ("127.0.0.1", UA,
                                                                                     "req-0123456789")
    party_read = _reads(action="party.read").get()
    assert (party_read.object_type, party_read.object_id, party_read.correlation_id) == (
        "cases.party", party.id, "req-0123456789")
    assert chain_verify().ok


def test_a_malformed_request_id_is_replaced(client, handler, case_with_complainant):
    case, _ = case_with_complainant
    sign_in(client, handler)
    response = client.get(reverse("web:case-detail", args=[case.id]), HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32
    assert _reads(action="case.read").get().correlation_id == response["X-Request-ID"]


def test_an_out_of_scope_case_is_not_found_and_no_read_is_recorded(client, other_force_handler, case_with_complainant):
    case, _ = case_with_complainant
    sign_in(client, other_force_handler)
    assert client.get(reverse("web:case-detail", args=[case.id])).status_code == 404
    assert not _reads().exists()


def test_the_api_audits_reads_of_cases_and_people(handler, case_with_complainant):
    case, _ = case_with_complainant
    api = client_for(handler)
    assert api.get(f"/api/cases/{case.id}").status_code == 200
    assert _reads(action="case.read", object_id=case.id, actor=handler).count() == 1
    person = PersonFactory(family_name="Quillfeather")
    assert api.get(f"/api/people/{person.id}").status_code == 200
    assert _reads(action="person.read", object_id=person.id).count() == 1
    assert api.get("/api/people", {"q": "Quillfeather"}).status_code == 200
    search = _reads(action="person.search").get()
    assert search.data == {"q": "Quillfeather", "person_ids": [person.id]}


def test_the_head_of_standards_sees_who_viewed_a_complainant_record(client, handler, case_with_complainant):
    case, party = case_with_complainant
    head = make_user(Role.HEAD_OF_STANDARDS, username="head-psd")
    sign_in(client, handler)
    client.get(reverse("web:case-detail", args=[case.id]), HTTP_USER_AGENT=UA)

    sign_in(client, head)
    page = client.get(reverse("web:case-detail", args=[case.id])).content.decode()
    link = reverse("web:record-viewers", args=[case.id]) + f"?party={party.id}"
    assert link in page  # one click from the case page
    html = client.get(link).content.decode()
    assert handler.username in html and "127.0.0.1" in html
    # The head's own look at the case page is a read too, listed under the case.
    assert "head-psd" in client.get(reverse("web:record-viewers", args=[case.id])).content.decode()


def test_who_viewed_is_only_for_the_head_of_standards(client, handler, case_with_complainant):
    case, party = case_with_complainant
    sign_in(client, handler)
    assert client.get(reverse("web:record-viewers", args=[case.id])).status_code == 403
    assert "record-viewers" not in client.get(reverse("web:case-detail", args=[case.id])).content.decode()


def test_viewers_of_a_party_on_another_case_is_not_found(client, case_with_complainant):
    case, _ = case_with_complainant
    other_party = PartyFactory(case=CaseFactory())
    sign_in(client, make_user(Role.HEAD_OF_STANDARDS))
    url = reverse("web:record-viewers", args=[case.id]) + f"?party={other_party.id}"
    assert client.get(url).status_code == 404


# -- the command line -------------------------------------------------------------------------------

@pytest.fixture
def run(monkeypatch):
    monkeypatch.setattr(cli, "_setup_django", lambda: None)
    return lambda *args: CliRunner().invoke(cli.main, [str(a) for a in args])


def test_audit_verify_reports_an_intact_chain(run, handler, case_with_complainant):
    case, _ = case_with_complainant
    client_for(handler).get(f"/api/cases/{case.id}")
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output and f"{Event.objects.count()} events" in result.output


def test_audit_verify_exits_1_naming_the_first_broken_link(run, handler, case_with_complainant):
    from tests.audit.test_chain import _tamper

    case, _ = case_with_complainant
    api = client_for(handler)
    api.get(f"/api/cases/{case.id}")
    api.get(f"/api/cases/{case.id}")
    victim = Event.objects.filter(kind=EventKind.READ).first()
    _tamper("UPDATE audit_event SET actor_id = NULL WHERE id = %s", [victim.id])
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at event {victim.id}" in result.output


def test_audit_export_gives_the_history_needs_a_reason_and_is_itself_audited(run, handler, case_with_complainant):
    case, _ = case_with_complainant
    client_for(handler).get(f"/api/cases/{case.id}")
    make_user(Role.HEAD_OF_STANDARDS, username="head")
    refused = run("audit", "export", "--user", "head", "--object", f"cases.case:{case.id}", "--reason", " ")
    assert refused.exit_code == 2 and "reason" in refused.output
    result = run("audit", "export", "--user", "head", "--object", f"cases.case:{case.id}", "--reason", "SAR 2026/17")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert {"case.read", "party.read"} <= {line["action"] for line in lines}
    assert all(len(line["hash"]) == 64 for line in lines)
    export = Event.objects.get(action="audit.export")
    assert (export.reason, export.actor.username, export.object_id) == ("SAR 2026/17", "head", case.id)


def test_audit_export_is_denied_to_other_roles_and_other_forces(run, handler, case_with_complainant):
    case, _ = case_with_complainant
    client_for(handler).get(f"/api/cases/{case.id}")
    ref = f"cases.case:{case.id}"
    assert "permission.denied" in run("audit", "export", "--user", handler.username, "--object", ref,
                                      "--reason", "x").output
    make_user(Role.HEAD_OF_STANDARDS, username="kent-head", organisation="KEN")
    result = run("audit", "export", "--user", "kent-head", "--object", ref, "--reason", "x")
    assert result.exit_code == 2 and "not_found" in result.output
    assert not Event.objects.filter(action="audit.export").exists()


def test_the_viewers_selector_checks_scope_then_role_itself(handler, other_force_handler, case_with_complainant):
    """Whatever interface asks (web, a future API or CLI), the rule lives in the selector."""
    from forewarn.audit.selectors import record_viewers
    from forewarn.core.errors import NotFound, PermissionDenied

    case, party = case_with_complainant
    with pytest.raises(NotFound):
        record_viewers(actor=make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"), case_id=case.id)
    with pytest.raises(PermissionDenied):
        record_viewers(actor=handler, case_id=case.id, party_id=party.id)
    head = make_user(Role.HEAD_OF_STANDARDS)
    client_for(handler).get(f"/api/cases/{case.id}")
    _, shown, reads = record_viewers(actor=head, case_id=case.id, party_id=party.id)
    assert shown == party and [e.actor for e in reads] == [handler]
