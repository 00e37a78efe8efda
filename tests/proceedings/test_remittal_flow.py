"""A full flow shaped like O'Connor / Mason (domain brief §6.3), with fictional people and citations:
GM hearing 2021 -> FWW for 3 years -> JR dismissed 2023 -> Court of Appeal allows and remits 2025 ->
the officer has left; the rehearing finds he would have been dismissed -> barred list."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases.models import SubjectStatus
from forewarn.core import calendar
from forewarn.core.errors import GuardFailed
from forewarn.core.lifecycle import run_transition
from forewarn.core.models import Clock
from forewarn.proceedings import selectors, services
from forewarn.proceedings.lifecycle import CHALLENGE_MACHINE, PROCEEDING_MACHINE
from forewarn.proceedings.models import Proceeding
from tests.factories import AppointmentFactory, CaseFactory, PersonFactory
from tests.proceedings.builders import officer_allegations

pytestmark = pytest.mark.django_db


def step(actor, proceeding, action, on, **payload):
    obj, ctx = run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, action=action, actor=actor,
                              payload=payload, on=on)
    return obj


def decide(actor, challenge, action, on, **payload):
    obj, ctx = run_transition(machine=CHALLENGE_MACHINE, obj_id=challenge.pk, action=action, actor=actor,
                              payload=payload, on=on)
    return obj, ctx


def test_gm_hearing_fww_jr_dismissed_court_of_appeal_remits_rehearing_would_have_been_dismissed(caseworker, aa):
    officer = PersonFactory(given_name="Tobias", family_name="Quenby")
    appointment = AppointmentFactory(person=officer, start_date=dt.date(2003, 9, 1))
    case = CaseFactory(came_to_attention_on=dt.date(2020, 10, 26))
    assert case.regime == "R2020"
    subjects = officer_allegations(count=3, case=case, person=officer)
    ids = [s.id for s in subjects]

    # 2021: gross misconduct hearing before an LQC-led panel.
    first = services.proceeding_refer(actor=caseworker, subject_allegation_ids=ids, form="hearing",
                                      notice_on=dt.date(2021, 8, 2),
                                      panel=[{"role": "legally_qualified_chair", "name": "Imogen Fairweather"}])
    assert first.panel_regime == "LQC"
    step(caseworker, first, "officer_respond", dt.date(2021, 8, 20), accepts="accepts_in_part")
    step(caseworker, first, "witness_lists_exchange", dt.date(2021, 8, 24))
    step(caseworker, first, "pre_hearing_hold", dt.date(2021, 9, 1))
    step(caseworker, first, "schedule", dt.date(2021, 9, 1), scheduled_for=dt.date(2021, 10, 4))
    step(caseworker, first, "findings_record", dt.date(2021, 10, 5), findings={i: "gross_misconduct" for i in ids},
         admitted=ids[:2])
    assert set(Proceeding.objects.get(pk=first.pk).subject_allegations.values_list("status", flat=True)) \
        == {SubjectStatus.PROCEEDINGS_CONCLUDED}
    step(caseworker, first, "outcome_determine", dt.date(2021, 10, 5), sanction="final_written_warning",
         warning_months=36, reasons="An otherwise excellent service record.", culpability=2, harm=2,
         seriousness_conclusion="Serious.", personal_mitigation=["good_record: Excellent service record"],
         outcomes_considered=[{"sanction": "dismissal_without_notice", "why_not": "Service record."}])
    step(caseworker, first, "outcome_report", dt.date(2021, 10, 8))
    first = step(caseworker, first, "outcome_notify", dt.date(2021, 10, 12))
    assert (first.sanction_effective_on, first.sanction_expires_on) == (dt.date(2021, 10, 12), dt.date(2024, 10, 12))
    step(caseworker, first, "outcome_publish", dt.date(2021, 10, 13))
    with pytest.raises(GuardFailed):  # the PAT window (10 WD [R]) is still open
        step(caseworker, first, "finalise_published", dt.date(2021, 10, 20))
    step(caseworker, first, "finalise_published", dt.date(2021, 11, 1))

    # 2022: the complainant claims judicial review; the officer resigns.
    jr = services.challenge_lodge(actor=caseworker, proceeding_id=first.pk, route="judicial_review",
                                  applicant="The complainant", grounds="The sanction is irrational.",
                                  lodged_on=dt.date(2022, 1, 10))
    assert Proceeding.objects.get(pk=first.pk).status == "appealed"
    appointment.end_date, appointment.end_reason = dt.date(2022, 11, 1), "resigned"
    appointment.save()

    # 17 Nov 2023: JR dismissed; the proceeding is final again.
    decide(caseworker, jr, "dismiss", dt.date(2023, 11, 17), reasons="Not irrational.",
           citation="[2023] EWHC 9001 (Admin)")
    assert Proceeding.objects.get(pk=first.pk).status == "final"

    # Appeal to the Court of Appeal within 21 days [R].
    coa = services.challenge_lodge(actor=caseworker, proceeding_id=first.pk, route="court_of_appeal",
                                   applicant="The complainant", grounds="No analysis of culpability or harm.",
                                   lodged_on=dt.date(2023, 12, 5), parent_id=jr.pk)
    jr.refresh_from_db()
    assert (jr.status, coa.parent_id) == ("appealed_onward", jr.pk)
    assert Proceeding.objects.get(pk=first.pk).status == "appealed"

    # 22 Jan 2025: appeal allowed, sanction quashed and remitted.
    _, ctx = decide(caseworker, coa, "remit", dt.date(2025, 1, 22), citation="[2025] EWCA Civ 9002",
                    reasons="Inadequate reasons on seriousness, culpability and harm.")
    rehearing = ctx.results["rehearing"]
    first.refresh_from_db()
    assert first.status == "remitted" and first.sanction == "final_written_warning"
    assert (rehearing.remitted_from_id, rehearing.status, rehearing.form) == (first.pk, "notice_of_referral", "hearing")
    assert (rehearing.regime, rehearing.panel_regime, rehearing.is_former_officer) == ("R2020", "CHAIR_2024", True)
    assert sorted(rehearing.items.values_list("subject_allegation_id", flat=True)) == sorted(ids)
    assert Clock.objects.filter(proceeding=rehearing, kind="officer_response", stopped_on__isnull=True).exists()

    # June 2025: the fresh hearing, more than 100 WD after notice, so only with a reason.
    step(caseworker, rehearing, "officer_respond", dt.date(2025, 2, 5), accepts="accepts")
    step(caseworker, rehearing, "witness_lists_exchange", dt.date(2025, 2, 10))
    hearing_on = dt.date(2025, 6, 19)
    assert calendar.working_days_between(rehearing.notice_on, hearing_on) > 100
    with pytest.raises(GuardFailed):
        step(caseworker, rehearing, "schedule", dt.date(2025, 2, 10), scheduled_for=hearing_on)
    step(caseworker, rehearing, "schedule", dt.date(2025, 2, 10), scheduled_for=hearing_on,
         extension_reason="A differently constituted panel had to be appointed.")
    subject_events = Event.objects.filter(object_type="cases.subjectallegation").count()
    step(caseworker, rehearing, "findings_record", hearing_on, findings={i: "gross_misconduct" for i in ids})
    assert Event.objects.filter(object_type="cases.subjectallegation").count() == subject_events
    with pytest.raises(GuardFailed) as err:  # he has left: dismissal cannot bite
        step(caseworker, rehearing, "outcome_determine", dt.date(2025, 6, 20), sanction="dismissal_without_notice",
             reasons="r", culpability=4, harm=4, seriousness_conclusion="Very serious.")
    assert err.value.code == "outcome.not_permitted"
    step(caseworker, rehearing, "outcome_determine", dt.date(2025, 6, 20), sanction="would_have_been_dismissed",
         reasons="The high level of harm to a vulnerable victim of crime.", culpability=4, harm=4,
         seriousness_conclusion="Deliberate and targeted sexual impropriety; very high harm.",
         aggravating_factors=["vulnerable_victim: Vulnerable victim",
                              "abuse_of_position_sexual: Abuse of position"], guidance_version="2022-08",
         outcomes_considered=[{"sanction": "former_officer_nfa", "why_not": "Would not reflect the harm done."}])
    step(caseworker, rehearing, "outcome_report", dt.date(2025, 6, 23))
    rehearing = step(caseworker, rehearing, "outcome_notify", dt.date(2025, 6, 24))
    barred_clock = Clock.objects.get(proceeding=rehearing, kind="barred_list_report")
    assert barred_clock.due_on == dt.date(2025, 7, 1)

    referral = services.list_referral_record(actor=aa, kind="barred", proceeding_id=rehearing.pk,
                                             reported_on=dt.date(2025, 6, 26),
                                             conduct_description="Sexual impropriety towards a victim of crime.")
    barred_clock.refresh_from_db()
    assert barred_clock.stopped_on == dt.date(2025, 6, 26)
    assert referral.person_id == officer.pk and referral.case_id == case.pk

    history = selectors.proceedings_for_case(actor=caseworker, case_id=case.pk)
    assert [(p.pk, p.status, p.sanction) for p in history] == [
        (first.pk, "remitted", "final_written_warning"), (rehearing.pk, "outcome_notified", "would_have_been_dismissed")]
    assert [c.route for c in history[0].challenges.all()] == ["judicial_review", "court_of_appeal"]
    actions = list(Event.objects.filter(case=case, object_type__startswith="proceedings.").values_list("action", flat=True))
    assert actions.count("proceeding.refer") == 1 and actions.count("proceeding.rehearing") == 1
    assert actions.count("challenge.lodge") == 2 and actions[-1] == "list_referral.record"
