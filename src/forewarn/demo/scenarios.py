"""Scenario cases, loaded through the real services and lifecycle transitions with historic dates.

Fictional people throughout. Scenario A follows the public chronology of a reported Metropolitan
Police case (domain brief §6.3: complaint 2020, hearing 2021, FWW, resignation, JR dismissed 2023,
Court of Appeal allowed and remitted 2025, rehearing: would have been dismissed) with invented
names; scenario B is an indecent-exposure report against an officer not identified at the time,
who later moved to another force (the pattern the Angiolini Inquiry examined, §9.2). Scenario C is a
complaint naming "DS Ashdown from Kentish Town, a man of about forty": two sergeants called Ashdown
serve there, so identity resolution proposes both and the match waits in the review queue. Scenario D
is two Kent constables who resign while under investigation for gross misconduct (Police Act 1996
s88I): one report to the advisory list is still owed and overdue; the other officer was listed, and
came off the list by itself when the investigation found no case to answer (s88L).
"""

from __future__ import annotations

import datetime as dt

from forewarn.cases import services as cases
from forewarn.cases.lifecycle import CASE_MACHINE, SUBJECT_ALLEGATION_MACHINE
from forewarn.core.lifecycle import run_transition
from forewarn.disclosure import services as disclosure
from forewarn.organisations.models import Organisation
from forewarn.proceedings import services as proceedings
from forewarn.proceedings.lifecycle import CHALLENGE_MACHINE, PROCEEDING_MACHINE
from forewarn.workforce import services as workforce

SCENARIO_A_SUMMARY = ("Scenario A (fictional): a detective sergeant who took a robbery victim's statement in 2011 "
                      "asked her intrusive personal questions and pursued a relationship with her.")
SCENARIO_A2_SUMMARY = "Scenario A (fictional): a colleague reports inappropriate messages from the same officer."
SCENARIO_C_SUMMARY = ("Scenario C (fictional): a shopkeeper complains that a detective sergeant from Kentish Town "
                      "was rude and threatening when taking her statement.")
SCENARIO_D_SUMMARY = ("Scenario D (fictional): a constable is alleged to have falsified a duty record and his "
                      "overtime claims.")
SCENARIO_D2_SUMMARY = ("Scenario D (fictional): a constable is alleged to have searched police systems for "
                       "information about a former partner.")
SCENARIO_B_SUMMARY = ("Scenario B (fictional): a member of the public reports a man in a police uniform exposing "
                      "himself at a drive-through restaurant.")

# (category, subcategory, standards, admitted) — the eight allegations of scenario A.
ALLEGATIONS_A = [
    ("sexual_conduct", "Sexual harassment", ["SPB-ARC", "SPB-DC"], True),
    ("abuse_of_position", "Abuse of position for sexual purpose", ["SPB-HI", "SPB-DC"], True),
    ("abuse_of_position", "Abuse of position for the purpose of pursuing an inappropriate emotional relationship",
     ["SPB-HI", "SPB-DC"], True),
    ("individual_behaviours", "Overbearing or harassing behaviours", ["SPB-ARC"], True),
    ("information", "Use of police systems", ["SPB-HI"], True),
    ("sexual_conduct", "Other sexual conduct", ["SPB-DC"], True),
    ("discreditable_conduct", "", ["SPB-DC"], False),
    ("abuse_of_position", "Abuse of position for other purpose", ["SPB-HI", "SPB-DC"], False),
]


def _case(actor, action, case, on, **payload):
    obj, _ = run_transition(machine=CASE_MACHINE, obj_id=case.id, action=action, actor=actor, on=on, payload=payload)
    return obj


def _subjects(actor, action, subjects, on, **payload):
    for sa in subjects:
        run_transition(machine=SUBJECT_ALLEGATION_MACHINE, obj_id=sa.id, action=action, actor=actor, on=on,
                       payload=payload)


def _proceeding(actor, action, proceeding, on, **payload):
    obj, ctx = run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.id, action=action, actor=actor, on=on,
                              payload=payload)
    return obj, ctx


def _org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def scenarios_loaded() -> bool:
    from forewarn.cases.models import Case

    return Case.objects.filter(summary=SCENARIO_A_SUMMARY).exists()


def load_scenarios(actor_by_org: dict) -> dict:
    """Load both scenarios. `actor_by_org` maps MET, KEN, ESS and IOPC to users with the roles needed."""
    return {"a": _scenario_a(actor_by_org), "b": _scenario_b(actor_by_org), "c": _scenario_c(actor_by_org),
            "d": _scenario_d(actor_by_org)}


def _scenario_a(actors: dict) -> dict:
    met, iopc = actors["MET"], actors["IOPC"]
    person = workforce.person_create(actor=met, given_name="Damian", middle_names="Rhys", family_name="Calloway",
                                     date_of_birth=dt.date(1978, 2, 14), sex="M")
    appointment = workforce.appointment_start(actor=met, person_id=person.id, organisation_id=met.organisation_id,
                                              start_date=dt.date(2002, 9, 2), service_number="MET220417", rank="PC",
                                              station="Lewisham (CID)")
    workforce.rank_change(actor=met, appointment_id=appointment.id, rank="PS", on=dt.date(2009, 5, 11))

    case = cases.case_record(actor=met, case_type="complaint", came_to_attention_on=dt.date(2020, 10, 26),
                             summary=SCENARIO_A_SUMMARY, incident_date=dt.date(2011, 6, 3),
                             incident_location="South London")
    cases.party_add(actor=met, case_id=case.id, role="complainant", full_name="Imogen Thursby",
                    eligibility_basis="directed_at", is_vulnerable=True,
                    vulnerability_notes="Victim of crime at the time of the conduct.")
    subjects = []
    for category, sub, standards, _ in ALLEGATIONS_A:
        allegation = cases.allegation_add(actor=met, case_id=case.id, category=category, subcategory=sub,
                                          standards=standards,
                                          description=f"{sub or 'Discreditable conduct'} towards the complainant, "
                                                      "a robbery victim whose statement he took in 2011.")
        subjects.append(cases.subject_add(actor=met, allegation_id=allegation.id, person_id=person.id,
                                          rank_as_given="PS", number_as_given="MET220417"))

    _case(met, "log", case, dt.date(2020, 10, 27))
    _case(met, "record", case, dt.date(2020, 10, 28), referral_categories=["MR-CORRUPT"])
    _case(met, "refer_to_iopc", case, dt.date(2020, 10, 29), referral_basis="mandatory",
          referral_categories=["MR-CORRUPT"])
    _case(iopc, "determine_mode", case, dt.date(2020, 11, 20), investigation_mode="local", special_procedures=True,
          reasons="A local investigation by the force's professional standards department is proportionate.")
    _subjects(met, "assess_severity", subjects, dt.date(2020, 12, 1), severity="gross_misconduct",
              likely_proceedings="hearing", reasons="If proven, conduct so serious that dismissal could be justified.")
    _subjects(met, "appoint_investigator", subjects, dt.date(2020, 12, 2), investigator_name="DI Nadia Fairbrother")
    _subjects(met, "serve_notice", subjects, dt.date(2020, 12, 7), notice_served_on=dt.date(2020, 12, 7))
    _subjects(met, "submit_report", subjects, dt.date(2021, 4, 30), opinion="case_to_answer",
              report_summary="The evidence supports a case to answer for gross misconduct on all allegations.")
    _case(met, "submit_investigation_report", case, dt.date(2021, 4, 30),
          report_summary="Investigation report submitted to the appropriate authority.")
    _subjects(met, "decide_case_to_answer", subjects, dt.date(2021, 5, 14), case_to_answer="gross_misconduct",
              reasons="A panel could reasonably find gross misconduct.")

    hearing = proceedings.proceeding_refer(actor=met, subject_allegation_ids=[s.id for s in subjects], form="hearing",
                                           notice_on=dt.date(2021, 6, 1),
                                           panel=[{"role": "chair", "name": "Legally qualified chair (fictional)"}])
    _proceeding(met, "officer_respond", hearing, dt.date(2021, 6, 21), accepts="accepts_in_part",
                summary="Admits six allegations; denies two.")
    _proceeding(met, "witness_lists_exchange", hearing, dt.date(2021, 6, 24))
    _proceeding(met, "pre_hearing_hold", hearing, dt.date(2021, 9, 1))
    _proceeding(met, "schedule", hearing, dt.date(2021, 9, 2), scheduled_for=dt.date(2021, 10, 4),
                extension_reason="Availability of the panel and the complainant.")
    admitted = [s.id for s, a in zip(subjects, ALLEGATIONS_A, strict=True) if a[3]]
    _proceeding(met, "findings_record", hearing, dt.date(2021, 10, 5),
                findings={s.id: "gross_misconduct" for s in subjects}, admitted=admitted)
    # The 2021 panel's decision, as a structured assessment would have recorded it: factors listed,
    # culpability and harm stated below what those factors indicate, and a final written warning resting
    # on his service record. The outcomes guidance marks it an outlier (issue #6 §2): it is saved only with
    # the panel's reasons for departing, and the force and the IOPC are alerted.
    _proceeding(met, "outcome_determine", hearing, dt.date(2021, 10, 5), sanction="final_written_warning",
                warning_months=36, culpability=3, harm=3,
                reasons="A final written warning for three years, having regard to his service record.",
                aggravating_factors=[
                    "vulnerable_victim: She was a victim of crime whose statement he was taking.",
                    "abuse_of_position_sexual: He used the contact to pursue a relationship with her."],
                personal_mitigation=["good_record: Otherwise excellent service record"],
                seriousness_conclusion="Serious; the panel found an FWW sufficient.",
                outlier_reasons="The panel considered a final written warning sufficient having regard to his "
                                "otherwise excellent service record and his admissions.",
                guidance_version="College outcomes guidance 2020")
    _proceeding(met, "outcome_report", hearing, dt.date(2021, 10, 6))
    _proceeding(met, "outcome_notify", hearing, dt.date(2021, 10, 8))
    _proceeding(met, "outcome_publish", hearing, dt.date(2021, 10, 8))
    _proceeding(met, "finalise_published", hearing, dt.date(2021, 11, 30))

    workforce.appointment_end(actor=met, appointment_id=appointment.id, on=dt.date(2022, 11, 1), reason="resigned")

    jr = proceedings.challenge_lodge(actor=met, proceeding_id=hearing.id, route="judicial_review",
                                     applicant="Imogen Thursby (complainant)", lodged_on=dt.date(2022, 1, 4),
                                     grounds="The panel's sanction was irrational and failed to follow the "
                                             "outcomes guidance.",
                                     late_reason="Time extended by the court on the permission application.")
    # The force's disclosure officer schedules everything known about the officer for the judicial
    # review, and serves it (issue #6 §1; the real case's failure was material held but not disclosed).
    schedule = disclosure.schedule_open(actor=met, case_id=case.id, challenge_id=jr.id)
    for item in schedule.items.all():
        disclosure.item_decide(actor=met, schedule_id=schedule.id, item_id=item.id, decision="disclosed")
    disclosure.schedule_serve(actor=met, schedule_id=schedule.id, served_to="The claimant's solicitors; the court")
    run_transition(machine=CHALLENGE_MACHINE, obj_id=jr.id, action="dismiss", actor=met, on=dt.date(2023, 11, 17),
                   payload={"reasons": "Claim dismissed: the guidance is not a straitjacket.",
                            "citation": "[2023] EWHC 9999 (Admin) (fictional)"})
    appeal = proceedings.challenge_lodge(actor=met, proceeding_id=hearing.id, route="court_of_appeal",
                                         applicant="Imogen Thursby (complainant)", lodged_on=dt.date(2023, 12, 7),
                                         grounds="The panel did not assess culpability and harm.", parent_id=jr.id,
                                         late_reason="Permission to appeal granted.")
    _, ctx = run_transition(machine=CHALLENGE_MACHINE, obj_id=appeal.id, action="remit", actor=met,
                            on=dt.date(2025, 1, 22),
                            payload={"reasons": "Appeal allowed: no adequate analysis of seriousness; remitted.",
                                     "citation": "[2025] EWCA Civ 9999 (fictional)"})
    rehearing = ctx.results["rehearing"]
    _proceeding(met, "officer_respond", rehearing, dt.date(2025, 2, 12), accepts="accepts_in_part")
    _proceeding(met, "witness_lists_exchange", rehearing, dt.date(2025, 2, 17))
    _proceeding(met, "pre_hearing_hold", rehearing, dt.date(2025, 5, 1))
    _proceeding(met, "schedule", rehearing, dt.date(2025, 5, 2), scheduled_for=dt.date(2025, 6, 19),
                extension_reason="Fresh panel convened after remittal.")
    _proceeding(met, "findings_record", rehearing, dt.date(2025, 6, 19),
                findings={s.id: "gross_misconduct" for s in subjects}, admitted=admitted)
    _proceeding(met, "outcome_determine", rehearing, dt.date(2025, 6, 20), sanction="would_have_been_dismissed",
                culpability=4, harm=4,
                reasons="He would have been dismissed: the harm was high and the conduct deliberate and targeted.",
                culpability_factors=[
                    "deliberate_targeted: He singled out a robbery victim while taking her statement.",
                    "abuse_of_trust: He used the trust a victim must place in the investigating officer."],
                harm_factors=[
                    "harm_to_vulnerable: She was a victim of crime, dependent on him for her case.",
                    "public_confidence: Conduct of this kind deters victims from reporting crime."],
                aggravating_factors=[
                    "vulnerable_victim: She was a victim of crime whose statement he was taking.",
                    "abuse_of_position_sexual: He used the contact to pursue a relationship with her."],
                personal_mitigation=[
                    "good_record: Service record weighed, but of limited weight against conduct of this seriousness"],
                seriousness_conclusion="Very serious: deliberate, targeted conduct towards a vulnerable victim.",
                purpose="Public confidence in how the police treat victims of crime, above all women, requires "
                        "that an officer who did this would not continue to serve.",
                outcomes_considered=[{"sanction": "former_officer_nfa",
                                      "why_not": "Does not reflect the seriousness or maintain public confidence."}],
                guidance_version="College outcomes guidance 2022")
    _proceeding(met, "outcome_report", rehearing, dt.date(2025, 6, 20))
    _proceeding(met, "outcome_notify", rehearing, dt.date(2025, 6, 20))
    referral = proceedings.list_referral_record(
        actor=met, kind="barred", proceeding_id=rehearing.id, reported_on=dt.date(2025, 6, 25),
        conduct_description="Sexual harassment and abuse of position towards a vulnerable victim of crime.")

    # A colleague's report about the same officer: a conduct matter (a colleague reports through the
    # force, not as a member of the public; PRA 2002 s12 and Sch 3 Part 2A).
    second = cases.case_record(actor=met, case_type="conduct_matter", came_to_attention_on=dt.date(2022, 3, 14),
                               summary=SCENARIO_A2_SUMMARY, incident_date=dt.date(2022, 2, 28))
    allegation = cases.allegation_add(actor=met, case_id=second.id, category="sexual_conduct",
                                      subcategory="Sexual harassment", standards=["SPB-ARC", "SPB-DC"],
                                      description="Repeated unwanted messages of a sexual nature to a colleague.")
    colleague = cases.subject_add(actor=met, allegation_id=allegation.id, person_id=person.id)
    _case(met, "record", second, dt.date(2022, 3, 16))
    # The continuing duty: the colleague's report (and, in this script's order, the re-hearing's outcome
    # and the list entry) reached the open judicial-review schedule as drift items; the disclosure
    # officer decides on each and serves the schedule again.
    for item in schedule.items.filter(decision=""):
        reason = ("A further allegation of sexual harassment by the same officer: relevant to the seriousness "
                  "the claim challenges." if item.subject_allegation_id == colleague.id else "")
        disclosure.item_decide(actor=met, schedule_id=schedule.id, item_id=item.id, decision="disclosed",
                               reason=reason)
    disclosure.schedule_serve(actor=met, schedule_id=schedule.id, served_to="The claimant's solicitors; the court")
    return {"person": person, "case": case, "hearing": hearing, "rehearing": rehearing, "referral": referral,
            "second_case": second, "jr_schedule": schedule}


def _scenario_b(actors: dict) -> dict:
    kent, essex = actors["KEN"], actors["ESS"]
    person = workforce.person_create(actor=kent, given_name="Stuart", family_name="Pellow",
                                     date_of_birth=dt.date(1985, 8, 30), sex="M")
    appointment = workforce.appointment_start(actor=kent, person_id=person.id, organisation_id=kent.organisation_id,
                                              start_date=dt.date(2011, 3, 7), service_number="KEN47112", rank="PC",
                                              station="Dover")
    case = cases.case_record(actor=kent, case_type="complaint", came_to_attention_on=dt.date(2015, 6, 13),
                             summary=SCENARIO_B_SUMMARY, incident_date=dt.date(2015, 6, 12),
                             incident_location="Drive-through restaurant, Kent")
    cases.party_add(actor=kent, case_id=case.id, role="complainant", full_name="Moira Stanbridge",
                    eligibility_basis="witness")
    allegation = cases.allegation_add(actor=kent, case_id=case.id, category="sexual_conduct",
                                      subcategory="Other sexual conduct", standards=["SPB-DC"],
                                      description="Indecent exposure while in police uniform.")
    subject = cases.subject_add(actor=kent, allegation_id=allegation.id, description_as_given=(
        "Man in police uniform, about 30, driving a dark hatchback; registration partly noted."))
    _case(kent, "log", case, dt.date(2015, 6, 15))
    _case(kent, "record", case, dt.date(2015, 6, 16), referral_categories=[])
    _case(kent, "decide_not_to_refer", case, dt.date(2015, 6, 18),
          reasons="Officer not identified; no mandatory referral criterion recorded at the time.")
    _case(kent, "take_no_further_action", case, dt.date(2015, 9, 1),
          reasons="The officer could not be identified from the information available.")
    # Identified later from the vehicle registration (linkage of the subject to the person).
    cases.subject_link_person(actor=kent, subject_allegation_id=subject.id, person_id=person.id,
                              reason="Vehicle registration matched to the officer.")
    new = workforce.person_transfer(actor=essex, person_id=person.id, to_organisation_id=essex.organisation_id,
                                    on=dt.date(2018, 4, 30), service_number="ESS90210")
    return {"person": person, "case": case, "subject": subject, "kent_appointment": appointment,
            "new_appointment": new}


def _scenario_c(actors: dict) -> dict:
    """A loosely described subject with two plausible officers: a proposal for a reviewer (issue #5 §1)."""
    met = actors["MET"]
    sergeants = []
    for given, born, sex, number in (("Lionel", dt.date(1984, 2, 11), "M", "MET61184"),
                                     ("Harriet", dt.date(1987, 9, 23), "F", "MET61930")):
        person = workforce.person_create(actor=met, given_name=given, family_name="Ashdown", date_of_birth=born,
                                         sex=sex)
        workforce.appointment_start(actor=met, person_id=person.id, organisation_id=met.organisation_id,
                                    start_date=dt.date(2009, 4, 6), service_number=number, rank="PS",
                                    station="Kentish Town")
        sergeants.append(person)
    case = cases.case_record(actor=met, case_type="complaint", came_to_attention_on=dt.date(2026, 10, 5),
                             summary=SCENARIO_C_SUMMARY, incident_date=dt.date(2026, 10, 2),
                             incident_location="Convenience store, Kentish Town Road")
    cases.party_add(actor=met, case_id=case.id, role="complainant", full_name="Priya Okonedo-Hale",
                    eligibility_basis="directed_at")
    allegation = cases.allegation_add(actor=met, case_id=case.id, category="individual_behaviours",
                                      subcategory="Impolite language / tone", standards=["SPB-ARC"],
                                      description="Rude and threatening while taking a witness statement.")
    subject = cases.subject_add(actor=met, allegation_id=allegation.id, name_as_given="DS Ashdown", rank_as_given="PS",
                                station_as_given="Kentish Town", approximate_age=40, sex_as_given="M",
                                description_as_given="Detective sergeant, about forty, from Kentish Town.")
    return {"case": case, "subject": subject, "sergeants": sergeants}


def _leaver_under_investigation(kent, *, given: str, family: str, born: dt.date, number: str, summary: str,
                                category: str, subcategory: str, standards: list[str], opened: dt.date,
                                resigned: dt.date) -> dict:
    """A Kent constable investigated for gross misconduct who resigns before it concludes (s88I)."""
    person = workforce.person_create(actor=kent, given_name=given, family_name=family, date_of_birth=born, sex="M")
    appointment = workforce.appointment_start(actor=kent, person_id=person.id, organisation_id=kent.organisation_id,
                                              start_date=dt.date(2016, 9, 5), service_number=number, rank="PC",
                                              station="Maidstone")
    case = cases.case_record(actor=kent, case_type="conduct_matter", came_to_attention_on=opened, summary=summary,
                             incident_date=opened - dt.timedelta(days=10), incident_location="Kent")
    allegation = cases.allegation_add(actor=kent, case_id=case.id, category=category, subcategory=subcategory,
                                      standards=standards, description=summary.split(": ", 1)[1])
    subject = cases.subject_add(actor=kent, allegation_id=allegation.id, person_id=person.id, rank_as_given="PC",
                                number_as_given=number)
    _case(kent, "deal_under_conduct_regs", case, opened + dt.timedelta(days=1),
          reasons="Internal matter, no mandatory referral criterion met.")
    _case(kent, "investigate", case, opened + dt.timedelta(days=3), special_procedures=True)
    _subjects(kent, "assess_severity", [subject], opened + dt.timedelta(days=3), severity="gross_misconduct",
              likely_proceedings="hearing", reasons="If proven, dishonesty that could justify dismissal.")
    _subjects(kent, "appoint_investigator", [subject], opened + dt.timedelta(days=4), investigator_name="DS Ewan Halloway")
    _subjects(kent, "serve_notice", [subject], opened + dt.timedelta(days=7),
              notice_served_on=opened + dt.timedelta(days=7))
    workforce.appointment_end(actor=kent, appointment_id=appointment.id, on=resigned, reason="resigned")
    return {"person": person, "case": case, "subject": subject}


def _scenario_d(actors: dict) -> dict:
    """Resigning while under investigation: the advisory list, its report clock and its removal (issue #4 §4)."""
    kent = actors["KEN"]
    # Still owed: the report was due 5 working days after he resigned, and is overdue on Kent's pages.
    owed = _leaver_under_investigation(
        kent, given="Gideon", family="Marsh", born=dt.date(1990, 4, 17), number="KEN51920",
        summary=SCENARIO_D_SUMMARY, category="discreditable_conduct", subcategory="", standards=["SPB-HI"],
        opened=dt.date(2026, 9, 14), resigned=dt.date(2026, 11, 2))
    # Reported and listed; the investigation then found no case to answer, which takes her off (s88L).
    cleared = _leaver_under_investigation(
        kent, given="Tamsin", family="Rook", born=dt.date(1993, 1, 29), number="KEN53307",
        summary=SCENARIO_D2_SUMMARY, category="information", subcategory="Use of police systems",
        standards=["SPB-CONF"], opened=dt.date(2025, 2, 3), resigned=dt.date(2025, 3, 14))
    proceedings.list_referral_record(actor=kent, kind="advisory", subject_allegation_id=cleared["subject"].id,
                                     reported_on=dt.date(2025, 3, 19),
                                     conduct_description="Resigned while under investigation for searching "
                                                         "police systems about a former partner.")
    _subjects(kent, "submit_report", [cleared["subject"]], dt.date(2025, 6, 20), opinion="no_case_to_answer",
              report_summary="The searches were authorised by a supervisor for a live safeguarding enquiry.")
    _case(kent, "submit_investigation_report", cleared["case"], dt.date(2025, 6, 20),
          report_summary="Investigation report submitted to the appropriate authority.")
    _subjects(kent, "decide_no_case_to_answer", [cleared["subject"]], dt.date(2025, 6, 30),
              reasons="The searches had a policing purpose.")
    return {"owed": owed, "cleared": cleared}
