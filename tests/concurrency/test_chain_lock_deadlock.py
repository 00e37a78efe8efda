"""Writers on one case at once never deadlock on the audit chain's lock (PostgreSQL).

Found by benchmarks/notification_latency.py: `allegation_add` holds its case FOR UPDATE and queues for
the chain lock; a concurrent `subject_add` on the same case had appended (holding the chain lock) and
then, at COMMIT, ran Django's deferred foreign-key checks, whose key-share lock on the case waited
for the first writer: a deadlock, and one of the two changes lost. audit.services now runs the
pending checks before taking the chain lock. Without that fix this test fails within a few rounds.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from forewarn.cases import services
from forewarn.cases.models import Allegation, SubjectAllegation
from forewarn.organisations.models import Role
from tests.concurrency.test_concurrent_writers import needs_row_locks
from tests.factories import AllegationFactory, AppointmentFactory, CaseFactory, PersonFactory, make_user, org

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_row_locks]
WRITERS = 4
PER_WRITER = 12


def test_concurrent_allegations_and_subjects_on_one_case_all_commit():
    actor = make_user(Role.CASE_HANDLER, organisation="MET")
    case = CaseFactory(organisation=org("MET"))
    person = PersonFactory()
    AppointmentFactory(person=person, organisation=org("KEN"))
    seed = AllegationFactory(case=case, number=1, category="sexual_conduct", subcategory="Sexual harassment")
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(kind: int) -> None:
        try:
            start.wait()
            for _ in range(PER_WRITER):
                if kind % 2:
                    services.allegation_add(actor=actor, case_id=case.id, category="property",
                                            description="Fictional.")
                else:
                    services.subject_add(actor=actor, allegation_id=seed.id, person_id=person.id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(k,)) for k in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    half = WRITERS // 2 * PER_WRITER
    assert Allegation.objects.filter(case=case).count() == 1 + half
    assert SubjectAllegation.objects.filter(allegation=seed).count() == half
