"""Property-based contract test of the whole API with Schemathesis, in-process over WSGI.

The OpenAPI document is loaded from the running Django app (`/api/openapi.json`), and every
operation in it is called with generated input, valid and invalid, as a user whose roles cover
every staff action (bearer token with read and write scopes). Each response must:
- not be a server error (no input reaches a 500);
- have a status code the document declares for the operation;
- match the declared response schema (problem responses included).

Path ids are generated freely, and half the time replaced by ids of real records in the caller's
scope, so the handlers behind a 404 are reached too. Deterministic (derandomize) and small enough
for CI: MAX_EXAMPLES per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from forewarn.organisations.models import Role
from forewarn.organisations.services import api_token_issue
from tests.factories import (
    AllegationFactory,
    PartyFactory,
    PersonFactory,
    SubjectAllegationFactory,
    make_user,
)
from tests.proceedings.builders import decided_proceeding

MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Every staff role; the subject officer's own roles narrow what a user sees and are left out.
STAFF_ROLES = [r for r in Role.values if r not in {Role.SUBJECT_OFFICER, Role.SUBJECT_REPRESENTATIVE}]


@pytest.fixture
def records(db):
    """Real records in the caller's force, so generated requests reach past 'not found'."""
    user = make_user(*STAFF_ROLES)
    proceeding = decided_proceeding("final", subjects=1)
    case = proceeding.case
    PartyFactory(case=case)
    subject = SubjectAllegationFactory(allegation=AllegationFactory(case=case), case=case)
    person = PersonFactory()
    _, secret = api_token_issue(actor=user, user_id=user.id, name="schemathesis", scopes=["read", "write"])
    ids = {"case_id": case.id, "obj_id": case.id, "allegation_id": subject.allegation_id,
           "subject_id": subject.id, "proceeding_id": proceeding.id, "person_id": person.id,
           "user_id": user.id}
    return {"headers": {"Authorization": f"Bearer {secret}"}, "ids": ids}


def _operations() -> list:
    """(method, path) of every operation, read from the same router the app serves (no request needed
    at collection time, when the test database does not exist yet)."""
    from forewarn.api import api

    document = api.get_openapi_schema()
    return [pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
            for path, methods in document["paths"].items() for method in methods]


_loaded: list = []


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """Keep the test's database connection open between in-process WSGI requests.

    Django closes old connections when a request finishes; inside a test that would close the
    connection holding the test's transaction (PostgreSQL; SQLite's in-memory database ignores it).
    Django's own test client suspends the same two receivers for the same reason.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db):
    """The document the app serves, loaded through the app itself as a client would. Once per worker,
    inside the first test's transaction (serving it touches the database, which only a test may do)."""
    if not _loaded:
        _loaded.append(schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()))
    return _loaded[0]


@pytest.mark.parametrize("method, path", _operations())
def test_every_operation_answers_within_its_contract(method, path, records, api_schema):
    operation = api_schema[path][method]
    modes = [operation.as_strategy(GenerationMode.POSITIVE)]
    try:
        modes.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # noqa: BLE001 - an operation with no input has nothing to make invalid
        pass

    @given(case=st.one_of(modes), real_ids=st.booleans())
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def call(case, real_ids):
        if real_ids and case.path_parameters:
            case.path_parameters = {k: records["ids"].get(k, v) for k, v in case.path_parameters.items()}
            if "machine" in case.path_parameters:
                case.path_parameters["machine"] = "case"
        case.call_and_validate(headers=records["headers"], checks=CHECKS)

    call()
