"""The authorisation matrix: every role × every web view and API operation × an in-scope and an
out-of-scope record, checked against the live endpoints (issue #3 §4).

Nothing here lists who may do what. The expected answer is generated:

- the role half from the rule each endpoint declares (`organisations.access.requires` → the table
  in `organisations.permissions`, or a lifecycle step's roles in its statutory table);
- the scope half from the access helper of each record the URL names (`access.OBJECT_PARAMETERS`,
  or the endpoint's own override).

Expected: out of scope → 404 (whatever the role); in scope without the role → 403; otherwise the
request passes the guard (any answer but 401/403/404, and never a 5xx). The endpoints are found by
walking Django's URL resolver and the ninja API's routers, so a new endpoint that declares no
permission fails here, and so does one whose URL parameter, lifecycle model or request body this test
does not know how to fill — add it to the tables below.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from forewarn.api import api
from forewarn.core.errors import NotFound
from forewarn.core.registry import all_machines
from forewarn.documents.models import Document
from forewarn.organisations import access, permissions
from forewarn.organisations.models import Role
from forewarn.proceedings.models import Challenge
from forewarn.register.models import Alert, AlertRecipient
from forewarn.web.views import CASE_SERVICE_ACTIONS
from tests.api.conftest import client_for
from tests.factories import (
    AllegationFactory,
    CaseFactory,
    PartyFactory,
    PersonFactory,
    SubjectAllegationFactory,
    make_user,
    name_on_case,
    org,
    seat_on_panel,
    sign_in,
)
from tests.proceedings.builders import proceeding_in

pytestmark = pytest.mark.django_db

# Where each role's single-role user works (everyone else: the Metropolitan Police).
ROLE_ORGANISATION = {Role.IOPC_CASEWORKER: "IOPC"}
# How each role is brought into the in-scope case's scope when its organisation does not do it.
NAMED_AS = {Role.INVESTIGATOR: "investigator", Role.SUBJECT_OFFICER: "subject_officer",
            Role.SUBJECT_REPRESENTATIVE: "subject_representative"}
# The world record that a lifecycle machine over each model acts on.
MODEL_RECORDS = {"cases.Case": "case", "cases.SubjectAllegation": "subject", "proceedings.Proceeding": "proceeding",
                 "proceedings.Challenge": "challenge"}
API_NAMESPACE = "api"


@dataclass
class World:
    """One case and everything hanging off it."""

    case: Any
    party: Any
    allegation: Any
    subject: Any
    person: Any
    proceeding: Any
    challenge: Any
    document: Any
    named_user: Any  # a user named on the case (participant removal)
    seated_user: Any  # a user seated on the proceeding's panel (panel removal)
    alert: Any = None  # the force's professional standards copy of a register alert about the person


def build_world(force: str, actors: dict[str, Any], *, in_scope: bool) -> World:
    """The in-scope world is a Met case referred to the IOPC with every named role named on it; the
    out-of-scope world is a Kent case nobody is named on."""
    today = timezone.localdate()
    case = CaseFactory(organisation=org(force), referred_on=dt.date(2024, 2, 1) if in_scope else None)
    party = PartyFactory(case=case)
    person = PersonFactory()
    allegation = AllegationFactory(case=case, number=1)
    subject = SubjectAllegationFactory(allegation=allegation, person=person)
    proceeding = proceeding_in("scheduled", case=case)
    challenge = Challenge.objects.create(proceeding=proceeding, route="judicial_review", status="lodged",
                                         status_since=today, applicant="The officer", grounds="Unfair.", lodged_on=today)
    document = Document.objects.create(case=case, kind="statement", title="Statement",
                                       file=ContentFile(b"A fictional statement.", name="statement.txt"),
                                       filename="statement.txt", content_type="text/plain", size=22, sha256="0" * 64)
    named_user = make_user(Role.INVESTIGATOR, organisation=force)
    name_on_case(named_user, case, "investigator")
    seated_user = make_user(Role.PANEL_MEMBER, organisation=force)
    seat_on_panel(seated_user, proceeding=proceeding)
    if in_scope:
        for role, user in actors.items():
            if role in NAMED_AS:
                name_on_case(user, case, NAMED_AS[role])
            if role == Role.PANEL_MEMBER:
                seat_on_panel(user, proceeding=proceeding)
    world = World(case, party, allegation, subject, person, proceeding, challenge, document, named_user, seated_user)
    alert = Alert.objects.create(person=person, trigger="serious_allegation", dedupe_key=f"matrix:{force}",
                                 occurred_on=today, summary={})
    world.alert = AlertRecipient.objects.create(alert=alert, organisation=org(force), unit="standards",
                                                basis="employs", acknowledge_by=today)
    return world


# -- finding the endpoints ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    surface: str  # "web" or "api"
    method: str  # for the API; the web tries GET, then POST
    route: str  # Django route or ninja path, for messages
    name: str  # URL name (web) or operation id (api)
    params: tuple[str, ...]
    view: Any


def _route_params(pattern) -> tuple[str, ...]:
    return tuple(getattr(pattern, "converters", {}).keys())


def web_endpoints() -> list[Endpoint]:
    found = []

    def walk(patterns, prefix: str, namespace: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == API_NAMESPACE:
                    continue  # the ninja API: enumerated from its routers below
                walk(p.url_patterns, prefix + str(p.pattern), ":".join(filter(None, [namespace, p.namespace])))
            elif isinstance(p, URLPattern):
                found.append(Endpoint("web", "GET", prefix + str(p.pattern), f"{namespace}:{p.name}",
                                      _route_params(p.pattern), p.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


def api_endpoints() -> list[Endpoint]:
    found = []
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                params = tuple(part[1:-1] for part in path.split("/") if part.startswith("{"))
                for method in operation.methods:
                    found.append(Endpoint("api", method, "/api" + path, operation.view_func.__name__, params,
                                          operation.view_func))
    return found


def test_every_endpoint_declares_its_permission():
    endpoints = web_endpoints() + api_endpoints()
    assert len(endpoints) > 40, "the walk found too few endpoints to be a real walk"
    undeclared = [f"{e.surface} {e.method} {e.route} ({e.name})" for e in endpoints
                  if access.permission_of(e.view) is None]
    assert not undeclared, ("every view and API operation must declare its permission action with "
                            "forewarn.organisations.access.requires(...):\n" + "\n".join(undeclared))
    for e in endpoints:
        declared = access.permission_of(e.view)
        if isinstance(declared, str):
            permissions.rule_for(declared)  # a declared name must be in the table


def test_every_operation_documents_its_permission_in_openapi(db):
    doc = Client().get("/api/openapi.json").json()
    missing = [(m, p) for p, ops in doc["paths"].items() for m, op in ops.items() if "x-permission" not in op]
    assert not missing


# -- filling a request ---------------------------------------------------------------------------------------
def _variants(endpoint: Endpoint, world: World, everyone) -> list[dict[str, Any]]:
    """The concrete URL parameters to try: one per lifecycle machine or case service where the URL names one."""
    if "machine" in endpoint.params:
        variants = []
        for machine in all_machines():
            if machine.model not in MODEL_RECORDS:
                pytest.fail(f"MODEL_RECORDS has no world record for lifecycle model {machine.model}")
            record = getattr(world, MODEL_RECORDS[machine.model])
            if endpoint.surface == "web":
                # The web form opens only for a step offered now: take one that some role could take.
                offered = machine.available(actor=everyone, obj=record)
                if not offered:
                    continue
                step = offered[0]
            else:
                step = (machine.from_state(getattr(record, machine.state_field)) or list(machine.transitions))[0]
            variants.append({"machine": machine.name, "obj_id": record.pk, "action": step.action})
        assert variants, endpoint
        return variants
    if "service" in endpoint.params:
        return [{"service": key} for key in CASE_SERVICE_ACTIONS]
    return [{}]


def web_url(endpoint: Endpoint, kwargs: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), endpoint.route)


def _list_entry(world: World):
    """The world's barred list entry, awaiting its report: the case's force holds it (register.lists)."""
    from forewarn.register.models import ListEntry

    today = timezone.localdate()
    return ListEntry.objects.filter(case=world.case).first() or ListEntry.objects.create(
        person=world.person, kind="barred", basis="dismissed", status_since=today, case=world.case,
        organisation_id=world.case.organisation_id, proceeding=world.proceeding, name_at_listing="Matrix Officer",
        decided_on=today, report_due_on=today)


def _webhook_endpoint(world: World):
    """The world's force's webhook endpoint (register.webhooks.manage: its own organisation's only)."""
    from forewarn.register.models import WebhookEndpoint

    return WebhookEndpoint.objects.get_or_create(
        organisation_id=world.case.organisation_id, unit="standards",
        defaults={"url": "https://matrix.example/hook", "secret": "fwhk_matrix"})[0]


def _identification(world: World):
    """A proposal awaiting review for the world's subject, with one candidate (linkage.identification)."""
    from forewarn.linkage.models import Candidate, Identification

    found, created = Identification.objects.get_or_create(
        subject_allegation=world.subject, defaults={"case": world.case, "status": "review", "model_version": 0,
                                                    "auto_link_threshold": 0.99, "review_threshold": 0.3,
                                                    "details": {}})
    if created:
        Candidate.objects.create(identification=found, person=world.person, position=1, probability=0.5,
                                 match_weight=0, evidence=[])
    return found


def _schedule(world: World):
    """A disclosure schedule on the world's case for its subject person, with one item."""
    from forewarn.disclosure.models import Schedule, ScheduleItem

    found, created = Schedule.objects.get_or_create(
        case=world.case, defaults={"person": world.person, "kind": "misconduct_hearing", "title": "Matrix",
                                   "disclosure_officer": world.seated_user})
    if created:
        from forewarn.disclosure.material import material_for

        ScheduleItem.objects.bulk_create([
            ScheduleItem(schedule=found, key=m.key, source=m.source, facts=m.facts,
                         subject_allegation_id=m.subject_allegation_id, proceeding_id=m.proceeding_id,
                         list_entry_id=m.list_entry_id) for m in material_for(world.person.pk)])
    return found


def _intelligence(world: World):
    """An intelligence record held by the world's force (intelligence: the owning force's staff only)."""
    from forewarn.intelligence.models import IntelligenceRecord

    return IntelligenceRecord.objects.get_or_create(
        organisation_id=world.case.organisation_id, reference="MATRIX/1",
        defaults={"received_on": dt.date(2024, 3, 1), "source_evaluation": "2", "intelligence_assessment": "B",
                  "handling_code": "P", "summary": "Matrix report.", "name_as_given": "Matrix Officer"})[0]


def _register_records(world: World) -> dict[str, int]:
    """The world's force's vetting application and check for the person, and a request from another
    force (Surrey) for the world's case file (register.checks, register.disclosures)."""
    from forewarn.register.models import Application, DisclosureRequest, RegisterCheck

    force_id = world.case.organisation_id
    application = Application.objects.get_or_create(organisation_id=force_id, person=world.person, kind="vetting",
                                                     defaults={"opened_on": timezone.localdate()})[0]
    check = RegisterCheck.objects.get_or_create(
        organisation_id=force_id, lawful_basis="vetting_review", purpose="Matrix check.", application_kind="vetting",
        defaults={"matches": [{"person_id": world.person.pk, "evidence": [], "application_id": application.pk}]})[0]
    disclosure = DisclosureRequest.objects.get_or_create(
        case=world.case, defaults={"requesting_organisation": org("SUR"), "owning_organisation_id": force_id,
                                   "person": world.person, "subject_allegation": world.subject,
                                   "reason": "Matrix request."})[0]
    return {"application_id": application.pk, "check_id": check.pk, "disclosure_id": disclosure.pk}


def fill(endpoint: Endpoint, world: World, variant: dict[str, Any]) -> dict[str, Any]:
    values = {"case_id": world.case.pk, "allegation_id": world.allegation.pk, "subject_id": world.subject.pk,
              "subject_allegation_id": world.subject.pk, "person_id": world.person.pk,
              "proceeding_id": world.proceeding.pk, "challenge_id": world.challenge.pk,
              "document_id": world.document.pk, "list_entry_id": _list_entry(world).pk, "alert_id": world.alert.pk,
              "webhook_id": _webhook_endpoint(world).pk, **_register_records(world),
              "identification_id": _identification(world).pk, "organisation_id": world.case.organisation_id,
              "schedule_id": _schedule(world).pk, "intelligence_id": _intelligence(world).pk, "item_id": _schedule(world).items.first().pk,
              # The user under a parent: the seat on a panel, or the person named on a case.
              "user_id": world.seated_user.pk if "proceeding_id" in endpoint.params else world.named_user.pk,
              **variant}
    unknown = [p for p in endpoint.params if p not in values]
    if unknown:
        pytest.fail(f"{endpoint.route}: the matrix does not know how to fill {unknown}; add them to fill()")
    return {p: values[p] for p in endpoint.params}


# Operations whose URL names no record but whose body does: the guard checks the role, the service the
# scope of what the body names (NotFound, as everywhere).
BODY_NAMES_RECORDS = {("POST", "/api/proceedings"), ("POST", "/api/list-referrals"),
                      ("POST", "/api/register/disclosures")}


def api_body(endpoint: Endpoint, world: World) -> tuple[str, Any] | None:
    """A request body that passes the operation's schema, so the request reaches the access guard."""
    on = "2024-03-01"
    bodies = {
        ("POST", "/api/cases"): {"case_type": "complaint", "came_to_attention_on": on, "summary": "Matrix case.",
                                 "organisation_id": world.case.organisation_id},
        ("POST", "/api/cases/{case_id}/parties"): {"role": "witness", "full_name": "Matrix Witness"},
        ("POST", "/api/register/alerts/{alert_id}/acknowledge"): {"note": "Seen."},
        ("POST", "/api/register/checks"): {"lawful_basis": "vetting_review", "purpose": "Matrix check purpose.",
                                           "application_kind": "vetting", "person_id": world.person.pk},
        ("POST", "/api/register/applications"): {"person_id": world.person.pk, "kind": "transfer",
                                                 "reason": "Matrix application."},
        ("POST", "/api/register/applications/{application_id}/close"): {"outcome": "withdrawn"},
        ("POST", "/api/register/disclosures"): {"subject_allegation_id": world.subject.pk,
                                                "reason": "Matrix disclosure reason."},
        ("POST", "/api/register/disclosures/{disclosure_id}/decide"): {"grant": False,
                                                                       "reason": "Matrix decision reason."},
        ("POST", "/api/cases/{case_id}/allegations"): {"category": "property", "description": "Matrix."},
        ("POST", "/api/allegations/{allegation_id}/subjects"): {"name_as_given": "Jones"},
        ("POST", "/api/subjects/{subject_id}/link"): {"person_id": world.person.pk},
        ("POST", "/api/cases/{case_id}/restriction"): {"restricted": True, "kind": "covert", "reason": "Matrix."},
        ("POST", "/api/cases/{case_id}/participants"): {"user_id": world.seated_user.pk, "role": "investigator"},
        ("POST", "/api/cases/{case_id}/break-glass"): {"reason": "Matrix."},
        ("POST", "/api/cases/{case_id}/letters"): {"party_id": world.party.pk, "template": "recording_decision"},
        ("POST", "/api/proceedings"): {"subject_allegation_ids": [world.subject.pk], "form": "hearing",
                                       "notice_on": on},
        ("POST", "/api/proceedings/{proceeding_id}/challenges"): {"route": "pat", "applicant": "The officer",
                                                                  "grounds": "Unfair.", "lodged_on": on},
        ("POST", "/api/proceedings/{proceeding_id}/panel"): {"user_id": world.named_user.pk, "role": "member"},
        ("POST", "/api/list-referrals"): {"kind": "advisory", "reported_on": on, "conduct_description": "Matrix.",
                                          "proceeding_id": world.proceeding.pk},
        ("POST", "/api/register/lists/{list_entry_id}/report"): {"reported_on": on, "conduct_description": "Matrix."},
        ("POST", "/api/register/lists/{list_entry_id}/publication"): {"publish": False, "reason": "national_security"},
        ("POST", "/api/register/lists/{list_entry_id}/removal"): {"reason": "entered_in_error", "note": "Matrix."},
        ("POST", "/api/register/webhooks"): {"unit": "standards", "url": "https://matrix.example/new"},
        ("POST", "/api/register/webhooks/{webhook_id}/rotate"): {},
        ("POST", "/api/register/webhooks/{webhook_id}/deactivate"): {},
        ("POST", "/api/{machine}/{obj_id}/actions/{action}"): {"payload": {}},
        ("POST", "/api/subjects/{subject_id}/identify"): {},
        ("POST", "/api/cases/{case_id}/disclosure-schedules"): {"kind": "civil", "person_id": world.person.pk},
        ("POST", "/api/disclosure-schedules/{schedule_id}/items/{item_id}/decision"): {"decision": "disclosed"},
        ("POST", "/api/disclosure-schedules/{schedule_id}/serve"): {"served_to": "Matrix court"},
        ("POST", "/api/disclosure-schedules/{schedule_id}/complete"): {},
        ("POST", "/api/subjects/{subject_id}/unlink"): {"reason": "Matrix."},
        ("POST", "/api/identifications/{identification_id}/accept"): {"candidate_id": 1},
        ("POST", "/api/identifications/{identification_id}/reject"): {"candidate_id": 1, "reason": "Matrix."},
        ("POST", "/api/identifications/{identification_id}/none"): {"reason": "Matrix."},
        ("PUT", "/api/organisations/{organisation_id}/match-thresholds"): {"auto_link": 0.99, "review": 0.3},
        ("POST", "/api/proceedings/{proceeding_id}/guidance"): {"culpability": 3, "harm": 3},
        ("POST", "/api/intelligence"): {"reference": "MATRIX/2", "received_on": on, "source_evaluation": "1",
                                        "intelligence_assessment": "A", "handling_code": "P",
                                        "summary": "Matrix report.", "person_id": world.person.pk},
        ("POST", "/api/intelligence/{intelligence_id}/link"): {"person_id": world.person.pk},
        ("POST", "/api/intelligence/{intelligence_id}/unlink"): {"reason": "Matrix."},
    }
    multipart = {
        ("POST", "/api/cases/{case_id}/documents"): {
            "kind": "statement", "title": "Matrix statement",
            "file": SimpleUploadedFile("m.txt", b"A fictional statement.", content_type="text/plain")},
    }
    key = (endpoint.method, endpoint.route)
    if endpoint.method in {"GET", "DELETE"}:
        return None
    if key in bodies:
        return "json", bodies[key]
    if key in multipart:
        return "multipart", multipart[key]
    pytest.fail(f"{endpoint.method} {endpoint.route}: no example body; add one to api_body()")


# -- what to expect ------------------------------------------------------------------------------------------
def expected(actor, endpoint: Endpoint, kwargs: dict[str, Any]) -> str:
    """'allowed', 'forbidden' (403) or 'not_found' (404), from the permissions table and the access helpers."""
    declared = access.permission_of(endpoint.view)
    if not callable(declared) and permissions.rule_for(declared).scope in access.SELF_SCOPED:
        return permissions.rule_for(declared).scope.value  # 'public' or 'complainant': checked apart
    helpers = access.object_helpers_of(endpoint.view)
    for name, value in kwargs.items():
        if name.endswith("_id"):
            try:
                helpers[name](actor, value, kwargs)
            except NotFound:
                return "not_found"
    rule = access.rule_of(declared, kwargs)
    return "allowed" if permissions.has_role_for(actor, rule) else "forbidden"


def check(response, outcome: str, where: str) -> None:
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    if outcome == "not_found":
        assert status == 404, f"{where}: expected 404, got {status}"
    elif outcome == "forbidden":
        assert status == 403, f"{where}: expected 403, got {status}"
    elif outcome == "allowed":
        assert status not in {401, 403, 404, 405}, f"{where}: expected to pass the guard, got {status}"
        assert not (status == 302 and "/sign-in/" in response.get("Location", "")), where
    elif outcome == "public":
        assert status not in {401, 403, 404}, f"{where}: a public page answered {status}"
    elif outcome == "complainant":
        # Staff accounts never reach a complainant's case: the portal sends them to its start page.
        assert status in {302, 303, 404}, f"{where}: a staff account reached the complainant portal ({status})"
    else:  # pragma: no cover - a new kind of outcome needs a rule here
        pytest.fail(f"{where}: unknown outcome {outcome}")


@pytest.fixture
def actors(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return {role: make_user(role, organisation=ROLE_ORGANISATION.get(role, "MET")) for role in Role.values}


@pytest.fixture
def everyone(db):
    """A user holding every role (only to ask the tables which steps are offered now)."""
    return make_user(*Role.values)


@pytest.fixture
def worlds(actors):
    inside = build_world("MET", actors, in_scope=True)
    outside = build_world("KEN", actors, in_scope=False)
    # The worlds are what they claim: every role that can have a case in scope has the Met case, nobody the Kent one.
    for role, actor in actors.items():
        assert permissions.case_in_scope(actor, inside.case) == (role in permissions.CASE_READERS), role
        assert not permissions.case_in_scope(actor, outside.case), role
    return {"in scope": inside, "out of scope": outside}


def _rolled_back(send, *args):
    """Send one request and undo whatever it wrote, so every cell of the matrix starts from the same world."""
    with transaction.atomic():
        response = send(*args)
        transaction.set_rollback(True)
    return response


# Query parameters an operation needs before its guard runs (ninja validates them first).
API_QUERIES = {("GET", "/api/people"): "q=Fictional"}


def api_send(client, endpoint: Endpoint, path: str, body):
    query = API_QUERIES.get((endpoint.method, endpoint.route))
    if query:
        path = f"{path}?{query}"
    if body is None:
        return client.client.generic(endpoint.method, path, **client.headers)
    kind, data = body
    if kind == "multipart":  # a fresh file each time: an upload is read once
        data = {k: (SimpleUploadedFile(v.name, b"A fictional statement.", "text/plain")
                    if isinstance(v, SimpleUploadedFile) else v) for k, v in data.items()}
        return client.client.post(path, data, **client.headers)
    return client.client.generic(endpoint.method, path, json.dumps(data), content_type="application/json",
                                 **client.headers)


def web_send(client, url: str):
    """GET the page; a POST-only page (a removal button) is POSTed instead."""
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def test_api_matrix(actors, worlds, everyone):
    checked = 0
    for role, actor in actors.items():
        client = client_for(actor)
        for endpoint in api_endpoints():
            for world_name, world in worlds.items():
                for variant in _variants(endpoint, world, everyone):
                    kwargs = fill(endpoint, world, variant)
                    path = endpoint.route.format(**kwargs)
                    body = api_body(endpoint, world)
                    outcome = expected(actor, endpoint, kwargs)
                    if (outcome == "allowed" and world_name == "out of scope"
                            and (endpoint.method, endpoint.route) in BODY_NAMES_RECORDS):
                        outcome = "not_found"  # the record the body names does not exist for this caller
                    response = _rolled_back(api_send, client, endpoint, path, body)
                    check(response, outcome, f"{role} {endpoint.method} {path} ({world_name})")
                    checked += 1
    assert checked > 500


def test_web_matrix(actors, worlds, everyone):
    checked = 0
    for role, actor in actors.items():
        client = Client()
        sign_in(client, actor)
        for endpoint in web_endpoints():
            for world_name, world in worlds.items():
                for variant in _variants(endpoint, world, everyone):
                    kwargs = fill(endpoint, world, variant)
                    url = web_url(endpoint, kwargs)
                    outcome = expected(actor, endpoint, kwargs)
                    if outcome in {"public", "complainant"}:
                        # Sign-in, sign-out and the portal change the session: use a throwaway one.
                        scratch = Client()
                        sign_in(scratch, actor)
                        response = _rolled_back(web_send, scratch, url)
                    else:
                        response = _rolled_back(web_send, client, url)
                    check(response, outcome, f"{role} {url} ({world_name})")
                    checked += 1
    assert checked > 300


def test_signed_out_callers_reach_nothing_but_public_pages(worlds, everyone):
    world = worlds["in scope"]
    anonymous = Client()
    for endpoint in api_endpoints():
        for variant in _variants(endpoint, world, everyone):
            path = endpoint.route.format(**fill(endpoint, world, variant))
            assert anonymous.generic(endpoint.method, path).status_code == 401, path
    for endpoint in web_endpoints():
        declared = access.permission_of(endpoint.view)
        if not callable(declared) and permissions.rule_for(declared).scope in access.SELF_SCOPED:
            continue
        for variant in _variants(endpoint, world, everyone):
            url = web_url(endpoint, fill(endpoint, world, variant))
            response = anonymous.get(url)
            assert response.status_code == 302 and "/sign-in/" in response["Location"], url
