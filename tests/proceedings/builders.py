"""Builders for proceedings tests: fictional officers, allegations ready for proceedings, and
proceedings placed straight into a given state (for the exhaustive transition tables)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from forewarn.cases.models import SubjectStatus
from forewarn.proceedings.models import Challenge, Finding, Proceeding, ProceedingAllegation, Sanction
from tests.factories import AllegationFactory, CaseFactory, PersonFactory, SubjectAllegationFactory


def officer_allegations(*, count: int = 1, case=None, person=None, case_to_answer: str = "gross_misconduct",
                        status: str = SubjectStatus.CASE_TO_ANSWER, identified: bool = True, **subject_fields):
    """`count` allegations against one officer (identified unless told) on one case, each with a case to answer."""
    case = case or CaseFactory()
    person = (person or PersonFactory()) if identified else None
    return [SubjectAllegationFactory(allegation=AllegationFactory(case=case), person=person, status=status,
                                     case_to_answer=case_to_answer, **subject_fields)
            for _ in range(count)]


def proceeding_in(status: str, *, form: str = "hearing", subjects: int = 2, finding: str = "",
                  sanction: str = "", notified_on: dt.date | None = None, notice_on: dt.date | None = None,
                  case=None, **fields) -> Proceeding:
    """A proceeding put directly into `status` (the table tests then take one step from there)."""
    today = timezone.localdate()
    notice_on = notice_on or today
    sas = officer_allegations(count=subjects, case=case, status=SubjectStatus.REFERRED_TO_PROCEEDINGS)
    proceeding = Proceeding.objects.create(
        case=sas[0].case, person=sas[0].person, form=form, status=status, status_since=notice_on,
        regime=sas[0].case.regime, notice_on=notice_on, sanction=sanction, sanction_effective_on=notified_on,
        **fields)
    ProceedingAllegation.objects.bulk_create(
        [ProceedingAllegation(proceeding=proceeding, subject_allegation=sa, finding=finding) for sa in sas])
    return proceeding


def decided_proceeding(status: str, **kwargs) -> Proceeding:
    """A gross misconduct hearing with an FWW already notified, in `status`."""
    kwargs.setdefault("finding", Finding.GROSS_MISCONDUCT)
    kwargs.setdefault("sanction", Sanction.FINAL_WRITTEN_WARNING)
    kwargs.setdefault("notified_on", timezone.localdate())
    return proceeding_in(status, **kwargs)


def challenge_in(status: str, *, route: str = "judicial_review", proceeding_status: str = "appealed") -> Challenge:
    proceeding = decided_proceeding(proceeding_status)
    today = timezone.localdate()
    return Challenge.objects.create(proceeding=proceeding, route=route, status=status, status_since=today,
                                    applicant="The complainant", grounds="The outcome is irrational.", lodged_on=today)
