"""The Police Barred List and Police Advisory List (Police Act 1996 Part 4A; domain §7; issue #4 §4).

How an entry arises (each in the transaction of the change that causes it):

- barred, awaiting the report: a dismissal, or a finding that a former officer would have been
  dismissed, is notified (`proceedings.lifecycle`, where the BARRED_LIST_REPORT clock starts);
- advisory, awaiting the report: an appointment ends by resignation or retirement while an
  allegation against the person that came to attention before they left is still open (s88I(1)(a)),
  one entry per case (`workforce.services.appointment_end`); or an allegation about a former officer
  who resigned or retired is assessed as gross misconduct (s88I(1)(b), `cases.lifecycle`);
- listed: the appropriate authority's report to the College (`proceedings.services.list_referral_record`)
  lists the waiting entry, or a new one if none was waiting. Listing a barred entry removes the
  person's live advisory entries (s88L(5)).
- removed, automatically: an advisory entry whose matter ended without a would-have-been-dismissed
  finding (no proceedings, withdrawn, or an outcome that does not bar: s88L(1)-(4),
  `advisory_entries_settle`); a barred entry whose dismissal was overturned (s88F).

Who holds an entry: the reporting force's appropriate authority until it reports (it may remove an
entry made in error before reporting); after the report, the College of Policing's administrators,
who publish, withhold publication and remove. A dismissal overturned on appeal or quashed removes the
barred entry automatically (s88F; `proceedings.lifecycle`).

Statuses move only as `TRANSITIONS` allows; every state change writes exactly one audit event named
`list_entry.open`, `list_entry.list`, `list_entry.remove` or `list_entry.publication` (the register's
alerts listen for them). These are plain services rather than a `core.lifecycle.Machine`: entries are
created and moved as consequences of other records' steps (by whoever took that step), and the
College's authority is an organisation, not a case scope, which the case-scoped engine cannot express.

Facts tagged [V] are verified against primary text or an official page (domain brief §0), [S] from
a secondary source, [R] researcher background not re-verified: rules resting on [R]/[S] say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record, read_record, read_search
from forewarn.cases.models import Severity, SubjectAllegation, SubjectStatus
from forewarn.cases.vocabulary import Standard
from forewarn.core import calendar
from forewarn.core.clocks import ClockKind
from forewarn.core.errors import (
    GuardFailed,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from forewarn.core.models import Clock
from forewarn.core.validation import clean_choice, clean_past_date, clean_text
from forewarn.core.versioning import version_check
from forewarn.organisations import permissions
from forewarn.organisations.models import OrganisationKind, Role
from forewarn.proceedings.models import Finding, ListKind, Proceeding, ProceedingAllegation, Sanction
from forewarn.proceedings.rules import BARRING_OUTCOMES
from forewarn.proceedings.services import CLOSED_SUBJECT_STATES
from forewarn.register.models import ListBasis, ListEntry, ListEntryStatus, RemovalReason
from forewarn.workforce.models import Appointment, EndReason, Rank, RankHeld, RoleType

S = ListEntryStatus

# -- the rules, as data --------------------------------------------------------------------------
# (from, to) -> the audit action's suffix. Creation is "open" (-> awaiting_report) or "list" (-> listed).
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.AWAITING_REPORT, S.LISTED): "list",  # the appropriate authority's report
    (S.AWAITING_REPORT, S.REMOVED): "remove",  # entered in error, or overturned before the report
    (S.LISTED, S.REMOVED): "remove",  # s88F, s88L(4)-(5), a successful review
}
ACTIVE = (S.AWAITING_REPORT, S.LISTED)

# Barred: Barred List Regs 2017 reg 3(1), within 5 working days of the dismissal or finding [V].
# Advisory: reg 12(1)(a), within 5 working days of the resignation or retirement [V: SI 2017/1135].
REPORT_WITHIN_WORKING_DAYS = {ListKind.BARRED: 5, ListKind.ADVISORY: 5}
# Officers are told their name may be published "for up to 5 years" [S: reg 17 notice wording].
PUBLISH_FOR_MONTHS = 60
# A review application may be made not before 3 years (gross incompetence) or 5 years (gross
# misconduct) [V: College of Policing barred list page]. Other dismissals (misconduct with a final
# written warning in force) wait 5 years too [R: the "any other case" limb, not re-verified].
# Forewarn does not yet record performance proceedings, so no entry arises for gross incompetence.
REVIEW_AFTER_YEARS = {"gross_misconduct": 5, "gross_incompetence": 3, "other": 5}
# Who is on the advisory list when they leave (s88I): officers and special constables, and police
# staff [R: staff coverage not re-verified]. Designated volunteers are listed on withdrawal of their
# designation, a different event Forewarn does not record.
ADVISORY_ROLE_TYPES = frozenset({RoleType.OFFICER, RoleType.SPECIAL, RoleType.STAFF})
LEAVING_BASIS = {EndReason.RESIGNED: ListBasis.RESIGNED_DURING_INVESTIGATION,
                 EndReason.RETIRED: ListBasis.RETIRED_DURING_INVESTIGATION}
# s88I(1)(b) [V]: a former member of a police force or former special constable who resigned or
# retired, about whom a relevant allegation comes to attention afterwards. Which allegations are
# "relevant" was not verified [R]: Forewarn takes those assessed as gross misconduct, the only ones on
# which a former officer can be brought to proceedings (Conduct Regs 2020 reg 4 [R]).
AFTER_LEAVING_BASIS = {EndReason.RESIGNED: ListBasis.ALLEGATION_AFTER_RESIGNING,
                       EndReason.RETIRED: ListBasis.ALLEGATION_AFTER_RETIRING}
FORMER_OFFICER_ROLE_TYPES = frozenset({RoleType.OFFICER, RoleType.SPECIAL})
REMOVAL_REASONS = {
    ListKind.BARRED: (RemovalReason.APPEAL_ALLOWED, RemovalReason.REVIEW_SUCCEEDED, RemovalReason.ENTERED_IN_ERROR),
    ListKind.ADVISORY: (RemovalReason.NO_PROCEEDINGS, RemovalReason.PROCEEDINGS_WITHDRAWN,
                        RemovalReason.CONCLUDED_WITHOUT_DISMISSAL, RemovalReason.MOVED_TO_BARRED_LIST,
                        RemovalReason.ENTERED_IN_ERROR),
}
MANAGE = permissions.ACTIONS["register.lists.manage"].roles
NOTE_MAX = 5_000


class WithholdReason(models.TextChoices):
    """Why the College does not publish a barred entry (College of Policing barred list page [V])."""

    NATIONAL_SECURITY = "national_security", "National security"
    OTHER_INVESTIGATIONS = "other_investigations", "It could prejudice other investigations or proceedings"
    SIGNIFICANT_HARM = "significant_harm", "It could cause significant harm to a person"


def report_due(kind: str, decided_on: dt.date) -> dt.date:
    return calendar.add_working_days(decided_on, REPORT_WITHIN_WORKING_DAYS[kind])


def review_not_before(*, decided_on: dt.date, gross_misconduct: bool) -> dt.date:
    years = REVIEW_AFTER_YEARS["gross_misconduct" if gross_misconduct else "other"]
    return calendar.add_months(decided_on, 12 * years)


def rank_label(code: str) -> str:
    return str(Rank(code).label) if code in Rank.values else code


def standard_labels(codes: Iterable[str]) -> list[str]:
    return [str(Standard(c).label) if c in Standard.values else c for c in codes]


# -- who may see and hold an entry ---------------------------------------------------------------
def _organisation(actor):
    return getattr(actor, "organisation", None) if permissions.is_signed_in(actor) else None


def is_college_administrator(actor) -> bool:
    org = _organisation(actor)
    return bool(org and org.kind == OrganisationKind.COLLEGE and actor.has_any_role({Role.ADMINISTRATOR}))


def visible_q(actor) -> Q:
    """The entries an actor may read (deny by default).

    Every register reader sees what is on either list, nationally: forces must not appoint a barred
    person and must consider the advisory list (s88C, s88K). Entries not yet reported, and removed
    ones, stay with the reporting force and (once reported) the College.
    """
    nothing = Q(pk__in=[])
    org = _organisation(actor)
    if org is None or not permissions.has_role_for(actor, "register.lists.read"):
        return nothing
    q = nothing
    if actor.has_any_role(permissions.REGISTER_READERS):
        q |= Q(status=S.LISTED) | Q(organisation_id=org.id)
    if is_college_administrator(actor):
        q |= Q(reported_on__isnull=False)
    return q


def manageable_q(actor) -> Q:
    """The entries an actor holds: the reporting force's appropriate authority until the report, the
    College's administrators after it."""
    q = Q(pk__in=[])
    org = _organisation(actor)
    if org is None:
        return q
    if actor.has_any_role({Role.APPROPRIATE_AUTHORITY}) and org.is_force:
        q |= Q(organisation_id=org.id, reported_on__isnull=True)
    if is_college_administrator(actor):
        q |= Q(reported_on__isnull=False)
    return q


def _get(qs: QuerySet, entry_id: int) -> ListEntry:
    entry = qs.filter(pk=entry_id).select_related("organisation", "case").first()
    if entry is None:
        raise NotFound(f"No list entry with id {entry_id}.")
    return entry


def list_entry_get_for_actor(*, actor, entry_id: int) -> ListEntry:
    """An entry the actor may read, or NotFound (absent and out of scope look alike)."""
    return _get(ListEntry.objects.filter(visible_q(actor)), entry_id)


def list_entry_get_for_manager(*, actor, entry_id: int) -> ListEntry:
    """An entry the actor holds (see `manageable_q`), or NotFound."""
    return _get(ListEntry.objects.filter(manageable_q(actor)), entry_id)


def list_entry_read(*, actor, entry_id: int) -> ListEntry:
    """One entry, its read audited."""
    entry = list_entry_get_for_actor(actor=actor, entry_id=entry_id)
    read_record(actor=actor, obj=entry, case=entry.case)
    return entry


def list_entries_for_actor(*, actor, kind: str = "", status: str = "", overdue: bool = False,
                           q: str = "") -> QuerySet:
    """Entries the actor may read, filtered. `overdue`: awaiting a report past its due date."""
    qs = ListEntry.objects.filter(visible_q(actor)).select_related("organisation")
    if kind:
        qs = qs.filter(kind=clean_choice(kind, ListKind, field="kind"))
    if status:
        qs = qs.filter(status=clean_choice(status, ListEntryStatus, field="status"))
    if overdue:
        qs = qs.filter(status=S.AWAITING_REPORT, report_due_on__lt=timezone.localdate())
    for word in clean_text(q, field="q", max_length=200).split():
        qs = qs.filter(name_at_listing__icontains=word)
    return qs.order_by("-decided_on", "-id")


def list_entries_shown(*, actor, entries: Iterable[ListEntry], query: dict) -> None:
    """Audit a list page: the filters and the ids it showed."""
    read_search(actor=actor, action="list_entry.search", data={**query, "ids": [e.pk for e in entries]})


# -- the public barred list ----------------------------------------------------------------------
def public_q(today: dt.date | None = None) -> Q:
    """The only entries ever shown without sign-in: barred for gross misconduct, on the list, published,
    in their publication period. The advisory list is never public."""
    today = today or timezone.localdate()
    return Q(kind=ListKind.BARRED, status=S.LISTED, gross_misconduct=True, published=True,
             publish_until__gte=today)


def _name_words(value: str) -> str:
    return " ".join((value or "").split()).lower()


def barred_list_public_search(*, given_name: str = "", family_name: str = "") -> QuerySet:
    """Published barred entries whose name at listing starts with the given name(s) and ends with the
    family name, whole words, case-insensitive. Nothing for an empty search (no list to trawl)."""
    given = _name_words(clean_text(given_name, field="given_name", max_length=100))
    family = _name_words(clean_text(family_name, field="family_name", max_length=100))
    if not given and not family:
        return ListEntry.objects.none()
    # Padded with spaces so a name matches on word boundaries on both databases ("Ann" never finds "Joanne").
    qs = (ListEntry.objects.filter(public_q())
          .annotate(padded=Concat(models.Value(" "), Lower("name_at_listing"), models.Value(" "),
                                  output_field=models.CharField())))
    if given:
        qs = qs.filter(padded__startswith=f" {given} ")
    if family:
        qs = qs.filter(padded__endswith=f" {family} ")
    return qs.select_related("organisation").order_by("name_at_listing", "-decided_on", "id")


def public_row(entry: ListEntry) -> dict:
    """What the public page shows of an entry: nothing else (no ids, no case, no person)."""
    return {"name": entry.name_at_listing, "force": entry.organisation.name,
            "rank": rank_label(entry.rank),
            "decided_on": entry.decided_on, "standards": standard_labels(entry.standards),
            "basis": entry.get_basis_display()}


# -- the snapshot held in the report (Barred List Regs 2017 reg 4, reg 13) -------------------------
def _service_at(person_id: int, on: dt.date, organisation_id: int) -> tuple[str, str]:
    """(rank, service number) when the decision was made, or when last serving: the reporting force's
    appointment first."""
    appointments = list(Appointment.objects.filter(person_id=person_id, start_date__lte=on)
                        .order_by("-start_date", "-id"))
    if not appointments:
        return "", ""
    appointment = next((a for a in appointments if a.organisation_id == organisation_id), appointments[0])
    held = (RankHeld.objects.filter(appointment=appointment, start_date__lte=on).order_by("-start_date", "-id")
            .values_list("rank", flat=True).first())
    return held or "", appointment.service_number


def _snapshot(*, person, case, on: dt.date, fallback: SubjectAllegation | None = None) -> dict:
    rank, number = _service_at(person.pk, on, case.organisation_id)
    if fallback is not None:
        rank, number = rank or fallback.rank_as_given, number or fallback.number_as_given
    return {"person": person, "case": case, "organisation_id": case.organisation_id,
            "name_at_listing": person.full_name[:300], "rank": rank, "service_number": number}


def _barred_fields(proceeding) -> dict:
    items = list(proceeding.items.select_related("subject_allegation__allegation").order_by("id"))
    breached = [i for i in items if i.finding in (Finding.MISCONDUCT, Finding.GROSS_MISCONDUCT)] or items
    standards = sorted({st for i in breached for st in i.subject_allegation.allegation.standards})
    basis = (ListBasis.WOULD_HAVE_BEEN_DISMISSED if proceeding.sanction == Sanction.WOULD_HAVE_BEEN_DISMISSED
             else ListBasis.DISMISSED)
    return {**_snapshot(person=proceeding.person, case=proceeding.case, on=proceeding.sanction_effective_on,
                        fallback=items[0].subject_allegation if items else None),
            "kind": ListKind.BARRED, "basis": basis, "proceeding": proceeding, "standards": standards,
            "gross_misconduct": any(i.finding == Finding.GROSS_MISCONDUCT for i in items),
            "decided_on": proceeding.sanction_effective_on}


def _entry_data(entry: ListEntry) -> dict:
    return {"kind": entry.kind, "basis": entry.basis, "person_id": entry.person_id,
            "proceeding_id": entry.proceeding_id, "subject_allegation_id": entry.subject_allegation_id,
            "decided_on": entry.decided_on.isoformat(), "report_due_on": entry.report_due_on.isoformat(),
            "standards": list(entry.standards), "gross_misconduct": entry.gross_misconduct}


def _created(entry: ListEntry, *, actor, on: dt.date) -> ListEntry:
    entry.save()
    action = "list_entry.open" if entry.status == S.AWAITING_REPORT else "list_entry.list"
    event_record(actor=actor, action=action, obj=entry, case=entry.case, occurred_on=on,
                 to_state=entry.status, data=_publication_data(entry, _entry_data(entry)))
    return entry


def _publication_data(entry: ListEntry, data: dict | None = None) -> dict:
    return {**(data or {}), "published": entry.published,
            "publish_until": entry.publish_until.isoformat() if entry.publish_until else None,
            "review_not_before": entry.review_not_before.isoformat() if entry.review_not_before else None}


# -- hooks: entries opened by other records' steps -------------------------------------------------
def barred_entry_open(*, actor, proceeding, on: dt.date) -> ListEntry | None:
    """A dismissal or would-have-been-dismissed finding was notified: the AA must report within 5 WD.

    Called in the notification's transaction. None if the officer is not identified (the list holds
    people); the existing entry if this proceeding already has a live one.
    """
    if proceeding.person_id is None:
        return None
    existing = (ListEntry.objects.filter(kind=ListKind.BARRED, proceeding=proceeding, status__in=ACTIVE)
                .order_by("id").first())
    if existing is not None:
        return existing
    entry = ListEntry(**_barred_fields(proceeding), status=S.AWAITING_REPORT, status_since=on,
                      report_due_on=report_due(ListKind.BARRED, on))
    return _created(entry, actor=actor, on=on)


def advisory_entries_open(*, actor, appointment, on: dt.date) -> list[ListEntry]:
    """A resignation or retirement while allegations are open (s88I): one entry per open case.

    An allegation counts if it came to attention on or before the day they left and is not
    concluded (`CLOSED_SUBJECT_STATES`). Called in the transaction that ends the appointment.
    """
    basis = LEAVING_BASIS.get(appointment.end_reason)
    if basis is None or appointment.role_type not in ADVISORY_ROLE_TYPES:
        return []
    subjects = (SubjectAllegation.objects.filter(person_id=appointment.person_id,
                                                 case__came_to_attention_on__lte=on)
                .exclude(status__in=CLOSED_SUBJECT_STATES)
                .select_related("case", "allegation", "person").order_by("case_id", "id"))
    by_case: dict[int, list[SubjectAllegation]] = {}
    for subject in subjects:
        by_case.setdefault(subject.case_id, []).append(subject)
    live = set(ListEntry.objects.filter(kind=ListKind.ADVISORY, person_id=appointment.person_id, status__in=ACTIVE,
                                        case_id__in=list(by_case)).values_list("case_id", flat=True))
    opened = []
    for case_id, open_subjects in by_case.items():
        if case_id in live:
            continue
        first = open_subjects[0]
        entry = ListEntry(**_snapshot(person=first.person, case=first.case, on=on, fallback=first),
                          kind=ListKind.ADVISORY, basis=basis, subject_allegation=first,
                          standards=sorted({st for s in open_subjects for st in s.allegation.standards}),
                          gross_misconduct=any(s.severity == "gross_misconduct" for s in open_subjects),
                          decided_on=on, status=S.AWAITING_REPORT, status_since=on,
                          report_due_on=report_due(ListKind.ADVISORY, on))
        opened.append(_advisory_created(entry, actor=actor, on=on))
    return opened


def _advisory_created(entry: ListEntry, *, actor, on: dt.date) -> ListEntry:
    """Save a waiting advisory entry and start its report clock on the case, so the force's overdue
    page and My work show the report (2017 Regs reg 12(1))."""
    _created(entry, actor=actor, on=on)
    Clock.objects.create(case_id=entry.case_id, subject_allegation=entry.subject_allegation,
                         kind=ClockKind.ADVISORY_LIST_REPORT, started_on=on, due_on=entry.report_due_on)
    return entry


def advisory_entry_open_after_leaving(*, actor, subject: SubjectAllegation, on: dt.date) -> ListEntry | None:
    """A relevant allegation about someone who had already resigned or retired (s88I(1)(b)).

    Called when a subject-allegation is assessed (or reassessed) as gross misconduct
    (`Transition.then`). Nothing if the subject is not identified, if the person still serves in any
    force or role, if they left otherwise (dismissed: the barred list), if they left only after the
    allegation came to attention (s88I(1)(a), opened on leaving), or if the case already has a live
    entry for them.
    """
    if subject.person_id is None or subject.severity != Severity.GROSS_MISCONDUCT:
        return None
    appointments = list(Appointment.objects.filter(person_id=subject.person_id))
    police = [a for a in appointments if a.role_type in FORMER_OFFICER_ROLE_TYPES]
    if not police or any(a.end_date is None for a in appointments):
        return None
    last = max(police, key=lambda a: (a.end_date, a.pk))
    basis = AFTER_LEAVING_BASIS.get(last.end_reason)
    if basis is None or last.end_date >= subject.case.came_to_attention_on:
        return None
    if ListEntry.objects.filter(kind=ListKind.ADVISORY, person_id=subject.person_id, case_id=subject.case_id,
                                status__in=ACTIVE).exists():
        return None
    # The report holds the rank and number when last serving, and the date they left (reg 12(2)(e)).
    entry = ListEntry(**_snapshot(person=subject.person, case=subject.case, on=last.end_date, fallback=subject),
                      kind=ListKind.ADVISORY, basis=basis, subject_allegation=subject,
                      standards=sorted(subject.allegation.standards), gross_misconduct=True,
                      decided_on=on, status=S.AWAITING_REPORT, status_since=on,
                      report_due_on=report_due(ListKind.ADVISORY, on))
    return _advisory_created(entry, actor=actor, on=on)


def _report_clocks(entry: ListEntry) -> QuerySet[Clock]:
    """The running clock for the report an entry waits for (barred: the proceeding's; advisory: its own)."""
    if entry.kind == ListKind.BARRED:
        where = {"proceeding_id": entry.proceeding_id, "kind": ClockKind.BARRED_LIST_REPORT}
    else:
        where = {"case_id": entry.case_id, "subject_allegation_id": entry.subject_allegation_id,
                 "kind": ClockKind.ADVISORY_LIST_REPORT}
    return Clock.objects.filter(**where, stopped_on__isnull=True)


def _latest_outcomes(subject_ids: list[int]) -> dict[int, Proceeding]:
    """The most recent proceeding on each subject-allegation (a rehearing after remittal replaces the first)."""
    latest: dict[int, Proceeding] = {}
    for item in (ProceedingAllegation.objects.filter(subject_allegation_id__in=subject_ids)
                 .select_related("proceeding").order_by("proceeding_id")):
        latest[item.subject_allegation_id] = item.proceeding
    return latest


def _advisory_removal_reason(person_id: int, case_id: int) -> str | None:
    """Why the person's advisory entry for this case must come off (s88L(1)), or None while it stands.

    None while any of the person's allegations in the case is open, while a proceeding's outcome is
    not yet notified (a finding alone does not say whether they would have been dismissed), and when
    an outcome bars them (the barred listing removes the advisory entry: s88L(5)).
    """
    statuses = dict(SubjectAllegation.objects.filter(person_id=person_id, case_id=case_id)
                    .values_list("id", "status"))
    if not statuses or any(status not in CLOSED_SUBJECT_STATES for status in statuses.values()):
        return None
    concluded = [sid for sid, status in statuses.items() if status == SubjectStatus.PROCEEDINGS_CONCLUDED]
    if concluded:
        outcomes = _latest_outcomes(concluded)
        for sid in concluded:
            proceeding = outcomes.get(sid)
            if proceeding is None or proceeding.sanction_effective_on is None:
                return None
            if proceeding.sanction in BARRING_OUTCOMES:
                return None
        return RemovalReason.CONCLUDED_WITHOUT_DISMISSAL  # s88L(1)(c)
    if any(status == SubjectStatus.PROCEEDINGS_WITHDRAWN for status in statuses.values()):
        return RemovalReason.PROCEEDINGS_WITHDRAWN  # s88L(1)(b)
    return RemovalReason.NO_PROCEEDINGS  # s88L(1)(a): every allegation closed before proceedings


def advisory_entries_settle(*, actor, person_id: int | None, case_id: int, on: dt.date) -> list[ListEntry]:
    """A step that may end the matter behind a leaver's advisory entry: if it has ended without a
    would-have-been-dismissed finding, the entry comes off (Police Act 1996 s88L(1)-(4)).

    The appropriate authority's further report (s88L(2)) is the step itself, recorded in Forewarn by
    the person who took it; the College must then remove the person (s88L(4)). Called in the step's
    transaction, after it is saved (`Transition.then`); an entry awaiting its first report is removed
    too, and its report clock stops.
    """
    if person_id is None:
        return []
    entries = list(ListEntry.objects.select_for_update().filter(kind=ListKind.ADVISORY, person_id=person_id,
                                                                case_id=case_id, status__in=ACTIVE).order_by("id"))
    if not entries:
        return []
    reason = _advisory_removal_reason(person_id, case_id)
    if reason is None:
        return []
    note = f"Further report under Police Act 1996 s88L(2): {RemovalReason(reason).label}."
    return [_remove(entry, actor=actor, on=max(on, entry.status_since), reason=reason, note=note)
            for entry in entries]


def _listing_fields(entry: ListEntry, referral) -> list[str]:
    """The report lists the entry; a barred gross misconduct entry is published for up to 5 years."""
    entry.status, entry.status_since = S.LISTED, referral.reported_on
    entry.reported_on, entry.referral = referral.reported_on, referral
    if not entry.standards:
        entry.standards = list(referral.standards)
    fields = ["status", "status_since", "reported_on", "referral", "standards"]
    if entry.kind == ListKind.BARRED:
        entry.review_not_before = review_not_before(decided_on=entry.decided_on,
                                                    gross_misconduct=entry.gross_misconduct)
        fields.append("review_not_before")
        if entry.gross_misconduct:
            # Names of those dismissed for gross misconduct go on the College's public, searchable
            # database [V]; the College may then withhold (list_entry_publication_set). Former officers
            # found would-have-been-dismissed are published alike [R].
            entry.published = True
            entry.publish_until = calendar.add_months(entry.decided_on, PUBLISH_FOR_MONTHS)
            fields += ["published", "publish_until"]
    return fields


def _new_entry_from_referral(referral) -> ListEntry | None:
    """A report with no waiting entry (an outcome notified before the lists were kept, or a leaving
    recorded on the allegation rather than the workforce): the listed entry is made from it."""
    from forewarn.proceedings.services import _left_service_on  # the rule the referral itself applied

    if referral.kind == ListKind.BARRED:
        proceeding = referral.proceeding
        if proceeding.person_id is None:
            return None
        fields = _barred_fields(proceeding)
        decided_on = fields["decided_on"]
    else:
        subject = referral.subject_allegation
        if subject.person_id is None:
            return None
        decided_on = _left_service_on(subject) or referral.reported_on
        end_reason = (Appointment.objects.filter(person_id=subject.person_id, end_date=decided_on)
                      .values_list("end_reason", flat=True).first())
        after = decided_on < subject.case.came_to_attention_on  # s88I(1)(b)
        basis = (AFTER_LEAVING_BASIS.get(end_reason, ListBasis.ALLEGATION_AFTER_RESIGNING) if after
                 else LEAVING_BASIS.get(end_reason, ListBasis.RESIGNED_DURING_INVESTIGATION))
        fields = {**_snapshot(person=subject.person, case=subject.case, on=decided_on, fallback=subject),
                  "kind": ListKind.ADVISORY, "basis": basis,
                  "subject_allegation": subject, "standards": list(referral.standards),
                  "gross_misconduct": subject.severity == "gross_misconduct", "decided_on": decided_on}
    return ListEntry(**fields, report_due_on=report_due(referral.kind, decided_on))


def entry_list_from_referral(*, actor, referral) -> ListEntry | None:
    """The AA's report (2017 Regs reg 3 / reg 12) lists the waiting entry, or a new one; a barred
    listing removes the person's live advisory entries (s88L(5)). Called in the report's transaction."""
    if referral.person_id is None:
        return None
    if referral.kind == ListKind.BARRED:
        matching = ListEntry.objects.filter(kind=ListKind.BARRED, proceeding_id=referral.proceeding_id)
    else:
        matching = ListEntry.objects.filter(kind=ListKind.ADVISORY, person_id=referral.person_id,
                                            case_id=referral.case_id)
    matching = matching.select_for_update().order_by("id")
    entry = matching.filter(status=S.AWAITING_REPORT).first()
    if entry is None:
        listed = matching.filter(status=S.LISTED).first()
        if listed is not None:
            return listed  # a further report about a listed entry amends nothing here (reg 5)
        entry = _new_entry_from_referral(referral)
        if entry is None:
            return None
        _listing_fields(entry, referral)
        _created(entry, actor=actor, on=referral.reported_on)
    else:
        before = entry.status
        fields = _listing_fields(entry, referral)
        _save(entry, fields)
        _report_clocks(entry).update(stopped_on=referral.reported_on)
        event_record(actor=actor, action="list_entry.list", obj=entry, case=entry.case,
                     occurred_on=referral.reported_on, from_state=before, to_state=entry.status,
                     data=_publication_data(entry, {"referral_id": referral.pk, "reported_on":
                                                    referral.reported_on.isoformat(),
                                                    "late": referral.reported_on > entry.report_due_on}))
    if entry.kind == ListKind.BARRED:
        superseded = (ListEntry.objects.select_for_update().filter(kind=ListKind.ADVISORY, person_id=entry.person_id,
                                                                  status__in=ACTIVE).order_by("id"))
        for advisory in superseded:
            _remove(advisory, actor=actor, on=referral.reported_on, reason=RemovalReason.MOVED_TO_BARRED_LIST,
                    note=f"Moved onto the barred list ({entry.get_basis_display().lower()}, "
                         f"{entry.decided_on.isoformat()}).")
    return entry


def barred_entries_remove_for_proceeding(*, actor, proceeding, on: dt.date, note: str) -> list[ListEntry]:
    """A dismissal overturned on appeal, substituted, or quashed: its barred entries come off (s88F)."""
    removed = []
    for entry in (ListEntry.objects.select_for_update()
                  .filter(kind=ListKind.BARRED, proceeding=proceeding, status__in=ACTIVE).order_by("id")):
        removed.append(_remove(entry, actor=actor, on=max(on, entry.status_since),
                               reason=RemovalReason.APPEAL_ALLOWED, note=note))
    return removed


# -- state changes -------------------------------------------------------------------------------
def _save(entry: ListEntry, fields: Iterable[str]) -> None:
    entry.version += 1
    entry.save(update_fields=sorted({*fields, "version", "updated_at"}))


def _check_transition(entry: ListEntry, target: str) -> str:
    action = TRANSITIONS.get((entry.status, target))
    if action is None:
        raise TransitionNotAllowed(f"A list entry that is '{entry.get_status_display()}' cannot become "
                                   f"'{S(target).label}'.", code="list_entry.transition_not_allowed",
                                   current_state=entry.status, target=target)
    return action


def _remove(entry: ListEntry, *, actor, on: dt.date, reason: str, note: str) -> ListEntry:
    before = entry.status
    _check_transition(entry, S.REMOVED)
    entry.status, entry.status_since = S.REMOVED, on
    entry.removed_on, entry.removal_reason, entry.removal_note = on, reason, note
    entry.published = False
    _save(entry, ["status", "status_since", "removed_on", "removal_reason", "removal_note", "published"])
    if before == S.AWAITING_REPORT:
        _report_clocks(entry).update(stopped_on=on)
    event_record(actor=actor, action="list_entry.remove", obj=entry, case=entry.case, occurred_on=on,
                 from_state=before, to_state=S.REMOVED, data={"kind": entry.kind, "removal_reason": reason},
                 reason=note)
    return entry


def _manageable_for_update(actor, entry_id: int) -> ListEntry:
    entry = ListEntry.objects.select_for_update().filter(manageable_q(actor), pk=entry_id).first()
    if entry is None:
        raise NotFound(f"No list entry with id {entry_id}.")
    return entry


def _date_on(on: dt.date | None, entry: ListEntry) -> dt.date:
    on = clean_past_date(on, field="on") or timezone.localdate()
    if on < entry.status_since:
        raise ValidationFailed(f"on: {on.isoformat()} is before the entry's current status began "
                               f"({entry.status_since.isoformat()}).", field="on", code="date.before_previous_step")
    return on


@audited_write("list_entry.remove")
def list_entry_remove(*, actor, entry_id: int, reason: str, note: str, on: dt.date | None = None,
                      expected_version: int | None = None) -> ListEntry:
    """Take a person off a list, for a stated reason the kind of list allows, with a note."""
    permissions.require(actor, "register.lists.manage")
    reason = clean_choice(reason, RemovalReason, field="reason")
    note = clean_text(note, field="note", max_length=NOTE_MAX, required=True)
    with transaction.atomic():
        entry = _manageable_for_update(actor, entry_id)
        version_check(entry, expected_version, what="list entry")
        _check_transition(entry, S.REMOVED)
        if reason not in REMOVAL_REASONS[entry.kind]:
            allowed = ", ".join(REMOVAL_REASONS[entry.kind])
            raise ValidationFailed(f"reason: '{reason}' is not a reason to remove a {entry.get_kind_display().lower()} "
                                   f"entry (one of {allowed}).", field="reason", code="validation.choice")
        return _remove(entry, actor=actor, on=_date_on(on, entry), reason=reason, note=note)


@audited_write("list_entry.publication")
def list_entry_publication_set(*, actor, entry_id: int, publish: bool, reason: str = "", note: str = "",
                               expected_version: int | None = None) -> ListEntry:
    """Publish a listed barred gross misconduct entry, or withhold it for one of the College's reasons."""
    permissions.require(actor, "register.lists.manage")
    reason = "" if publish else clean_choice(reason, WithholdReason, field="reason")
    note = clean_text(note, field="note", max_length=NOTE_MAX)
    today = timezone.localdate()
    with transaction.atomic():
        entry = _manageable_for_update(actor, entry_id)
        version_check(entry, expected_version, what="list entry")
        if entry.status != S.LISTED:
            raise TransitionNotAllowed(f"Only an entry on the list is published or withheld (this one is "
                                       f"'{entry.get_status_display()}').", code="list_entry.not_listed",
                                       current_state=entry.status)
        if not is_college_administrator(actor):  # the College decides publication (s88B; College page [V])
            raise PermissionDenied("Publishing the barred list is for the College of Policing's administrators.",
                                   action="register.lists.manage")
        if entry.kind != ListKind.BARRED or not entry.gross_misconduct:
            raise GuardFailed("Only barred list entries for gross misconduct are published; the advisory list "
                              "is never public.", code="list_entry.not_publishable")
        if publish:
            if entry.published:
                raise GuardFailed("The entry is already published.", code="list_entry.already_published")
            until = entry.publish_until or calendar.add_months(entry.decided_on, PUBLISH_FOR_MONTHS)
            if until < today:
                raise GuardFailed(f"The publication period ended on {until.isoformat()}.",
                                  code="list_entry.publication_period_ended")
            entry.published, entry.publish_until, entry.publication_withheld_reason = True, until, ""
        else:
            if not entry.published and entry.publication_withheld_reason == reason:
                raise GuardFailed("The entry is already withheld for that reason.",
                                  code="list_entry.already_withheld")
            entry.published, entry.publication_withheld_reason = False, reason
        _save(entry, ["published", "publish_until", "publication_withheld_reason"])
        event_record(actor=actor, action="list_entry.publication", obj=entry, case=entry.case, occurred_on=today,
                     data=_publication_data(entry, {"withheld_reason": reason}), reason=note)
    return entry


@audited_write("list_entry.report")
def list_entry_report(*, actor, entry_id: int, reported_on: dt.date, conduct_description: str,
                      expected_version: int | None = None) -> ListEntry:
    """The appropriate authority reports a waiting entry to the College, through the list referral
    (proceedings.services.list_referral_record), which lists it."""
    from forewarn.proceedings.services import list_referral_record  # proceedings calls back into this module

    permissions.require(actor, "register.lists.manage")
    with transaction.atomic():
        entry = _manageable_for_update(actor, entry_id)
        version_check(entry, expected_version, what="list entry")
        _check_transition(entry, S.LISTED)
        if entry.kind == ListKind.BARRED:
            where = {"proceeding_id": entry.proceeding_id}
        else:
            where = {"subject_allegation_id": entry.subject_allegation_id}
        if None in where.values():
            raise GuardFailed("This entry names no proceeding or allegation to report: record the referral from "
                              "the case.", code="list_entry.nothing_to_report")
        list_referral_record(actor=actor, kind=entry.kind, reported_on=reported_on,
                             conduct_description=conduct_description, **where)
        entry.refresh_from_db()
        if entry.status != S.LISTED:  # pragma: no cover - the referral's hook lists it or raises
            raise GuardFailed("The report did not list the entry.", code="list_entry.not_listed")
    return entry


def is_overdue(entry: ListEntry, today: dt.date | None = None) -> bool:
    """Still awaiting the report after the last day for it."""
    return entry.status == S.AWAITING_REPORT and entry.report_due_on < (today or timezone.localdate())


def overdue_count(*, actor) -> int:
    """Entries of the actor's own force awaiting a report past the due date (for the force's pages)."""
    org = _organisation(actor)
    if org is None or not actor.has_any_role(permissions.REGISTER_READERS):
        return 0
    return ListEntry.objects.filter(organisation_id=org.id, status=S.AWAITING_REPORT,
                                    report_due_on__lt=timezone.localdate()).count()
