"""Who may see and do what: the whole role × action × scope matrix, in one table. Deny by default.

Two questions decide every request, in this order:

1. **Scope** — may the actor see the record at all? The access helpers (`case_get_for_actor`,
   `person_get_for_actor`, `proceeding_get_for_actor`, …) look only inside the actor's scope and
   answer NotFound outside it, so an out-of-scope record is indistinguishable from an absent one
   (OWASP ASVS 4.0 V4.2.1; never a 403 that confirms existence).
2. **Role** — may this actor take this action on a record they can see? A missing role is a 403
   (`PermissionDenied`), and only ever on a record already in scope, or on an action that names no
   record: the 403 then tells the actor nothing about any record they could not already see.

`ACTIONS` below names every action outside the lifecycle tables with its roles and its scope rule;
lifecycle steps (`<machine>.<action>`, e.g. `case.refer_to_iopc`) keep their roles in the
statutory transition tables and are read from there by `rule_for`. Every web view and API
operation declares one of these names (`forewarn.organisations.access`), and
`tests/security/test_authorisation_matrix.py` generates the expected allow/deny for every role
from this module and checks it against the live endpoints.

Case scope (who sees which case):

- force staff (case handler, appropriate authority, head of professional standards,
  administrator) see their own force's cases;
- IOPC staff see cases referred to the IOPC and those under IOPC review;
- a local policing body sees the reviews it handles for the force it oversees (PRA 2002 Sch 3
  para 6A; review_body = lpb);
- investigators see only the cases they are named on as investigators (a case participant):
  an investigator does not need the rest of the force's files, so least privilege (UK GDPR art
  5(1)(c)) wins over convenience;
- panel members see the cases of the proceedings they sit on, until the proceeding closes
  (`PANEL_CLOSED_STATUSES`);
- subject officers and their representatives see only the cases they are named on;
- a restricted case (anti-corruption, covert, a subject in professional standards) drops out of
  every rule above except naming: only its participants, its open panel members and an
  administrator who has broken the glass (time-limited, audited, notified) see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from forewarn.core.errors import PermissionDenied, ValidationFailed
from forewarn.organisations.models import OrganisationKind, Role

ALL_ROLES = frozenset(Role.values)

# -- role groups ---------------------------------------------------------------------------------
FORCE_CASEWORK = frozenset({Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY})
# Roles whose holders see every (unrestricted) case their organisation is entitled to.
ORGANISATION_SCOPE_ROLES = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.ADMINISTRATOR, Role.IOPC_CASEWORKER}
# The subject officer's side of a case (Conduct Regs 2020 reg 7 friend, Police Federation rep,
# lawyer): they never see complainant or witness contact details, nor restricted parties.
SUBJECT_SIDE = frozenset({Role.SUBJECT_OFFICER, Role.SUBJECT_REPRESENTATIVE})
CASE_READERS = ORGANISATION_SCOPE_ROLES | {Role.INVESTIGATOR, Role.PANEL_MEMBER} | SUBJECT_SIDE
# Who may restrict a case or lift a restriction, and manage who is named on a restricted case.
RESTRICTION_MANAGERS = frozenset({Role.APPROPRIATE_AUTHORITY, Role.HEAD_OF_STANDARDS})
# Contact details of complainants and witnesses: the owning force's casework staff only.
CONTACT_READERS = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS}
PEOPLE_READERS = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.INVESTIGATOR, Role.IOPC_CASEWORKER,
                                   Role.VETTING_OFFICER, Role.ADMINISTRATOR}
# The national register: vetting units and professional standards read it; so do casework staff
# and the IOPC (the sharing rules then decide entry by entry).
REGISTER_READERS = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.VETTING_OFFICER, Role.IOPC_CASEWORKER}
# A granted disclosure request (register.DisclosureRequest) brings another force's case into the case
# scope of the requesting force's vetting officers, to read. Only accounts with no other case-reading
# role: every such role can also change the cases in its scope (add parties, upload documents, take
# lifecycle steps), and a disclosure must never let another force write to the case.
DISCLOSURE_READERS = frozenset({Role.VETTING_OFFICER})
# Register alerts go to a force's professional standards department (its head and casework staff)
# and its vetting unit (vetting officers); see register.models.Unit. IOPC caseworkers read the IOPC's
# oversight unit: outcome outliers (issue #6 §2), which the IOPC may challenge by judicial review.
ALERT_READERS = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.VETTING_OFFICER, Role.IOPC_CASEWORKER}
# The IOPC has no head of professional standards: an oversight copy not acknowledged in 2 working days
# is escalated to the IOPC's administrators, who then read and may acknowledge it (register.alerts).
ALERT_ESCALATION_READERS = frozenset({Role.ADMINISTRATOR})
# The outcomes guidance for a proceeding (range, principles, comparables): the panel deciding, the
# force's professional standards and the IOPC; not the subject officer's side.
GUIDANCE_READERS = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER, Role.PANEL_MEMBER}

# Proceeding states after which a panel member no longer sees the papers ("until it closes").
PANEL_CLOSED_STATUSES = frozenset({"final", "withdrawn", "remitted"})
BREAK_GLASS_MINUTES = 60


class ReasonRequired(ValidationFailed):
    """A restricted record is shown only to a reader who states why (issue #3: reads of restricted
    records require a reason). Raised only inside the reader's scope, so it confirms nothing."""

    code = "access.reason_required"
    title = "Say why you are opening this restricted record"


class Scope(StrEnum):
    """Which records an action may touch, beyond the role (see `ScopeRule` docs in `ACTIONS`)."""

    PUBLIC = "public"  # no sign-in (the sign-in page, the API's own description)
    SIGNED_IN = "signed_in"  # any signed-in user; results are filtered to the actor's case scope
    ORGANISATION = "organisation"  # acts for the actor's own organisation (recording, importing)
    CASE = "case"  # one record whose case must be in the actor's case scope
    OWNING_FORCE = "owning_force"  # a case of the actor's own force, restricted or not (break glass)
    PEOPLE = "people"  # the national register of people: the role is the scope
    OWN_USERS = "own_users"  # users (and their tokens) of the actor's own organisation, or oneself
    COMPLAINANT = "complainant"  # a complainant's portal session: their own case only, no staff account


@dataclass(frozen=True)
class Rule:
    action: str
    roles: frozenset[str]
    scope: Scope
    description: str


def _table(*rules: Rule) -> dict[str, Rule]:
    table: dict[str, Rule] = {}
    for rule in rules:
        if rule.action in table:
            raise ValueError(f"two rules for {rule.action}")
        unknown = set(rule.roles) - ALL_ROLES
        if unknown:
            raise ValueError(f"{rule.action}: unknown roles {sorted(unknown)}")
        table[rule.action] = rule
    return table


ACTIONS: dict[str, Rule] = _table(
    # Pages and operations that name no record.
    Rule("session.sign_in", ALL_ROLES, Scope.PUBLIC, "Sign in or out"),
    Rule("api.docs", ALL_ROLES, Scope.PUBLIC, "Read the API's OpenAPI description"),
    Rule("self.read", ALL_ROLES, Scope.SIGNED_IN, "See one's own account, roles and token scopes"),
    Rule("organisation.list", ALL_ROLES, Scope.SIGNED_IN, "List forces and other bodies (public reference data)"),
    Rule("work.read", ALL_ROLES, Scope.SIGNED_IN, "My work: open statutory steps on the cases in scope"),
    Rule("case.list", ALL_ROLES, Scope.SIGNED_IN, "List and filter the cases in scope (empty if none)"),
    Rule("clock.list", ALL_ROLES, Scope.SIGNED_IN, "Open and overdue statutory steps in scope"),
    # Cases.
    Rule("case.record", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.ORGANISATION,
         "Record a complaint, conduct matter or DSI matter (the IOPC for a named force)"),
    Rule("case.read", CASE_READERS | DISCLOSURE_READERS, Scope.CASE,
         "Read a case: parties, allegations, subjects, clocks, timeline"),
    Rule("case.edit_details", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Add parties, allegations and subjects; identify a subject"),
    Rule("party.add", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Add a complainant, witness or person adversely affected"),
    Rule("party.contacts.read", CONTACT_READERS, Scope.OWNING_FORCE,
         "See complainants' and witnesses' contact details (data minimisation, UK GDPR art 5(1)(c))"),
    Rule("allegation.add", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Add an allegation"),
    Rule("subject.add", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Add an officer as the subject of an allegation"),
    Rule("subject.link", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Identify a subject as a person in the register"),
    Rule("subject.identification.review", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER},
         Scope.CASE, "See a subject's proposed matches; accept, reject, mark none of these, or undo a link"),
    Rule("identification.queue", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER},
         Scope.SIGNED_IN, "The review queue of proposed matches on the cases in scope"),
    Rule("linkage.thresholds.set", frozenset({Role.HEAD_OF_STANDARDS, Role.ADMINISTRATOR}), Scope.ORGANISATION,
         "Set one's organisation's thresholds for automatic links and for review"),
    # Disclosure schedules (issue #6 §1): prepared by the force (or the IOPC) bringing the proceeding.
    Rule("disclosure.schedule.open", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Open a disclosure schedule for a proceeding: every record linked to the subject person"),
    Rule("disclosure.schedule.read", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Read a disclosure schedule and its served versions; export them (redacted)"),
    Rule("disclosure.schedule.decide", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER},
         Scope.CASE, "As the named disclosure officer: decide on each item, serve (seal) and complete"),
    # Intelligence records (issue #6 §1): the owning force's professional standards and casework staff
    # only; other forces learn a record exists only through a disclosure schedule about the person.
    Rule("intelligence.record", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS}, Scope.ORGANISATION,
         "Record an intelligence report about an officer (3x5x2 graded) for one's own force"),
    Rule("intelligence.read", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS}, Scope.ORGANISATION,
         "Read one's own force's intelligence records"),
    Rule("intelligence.link", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS}, Scope.ORGANISATION,
         "Link one's own force's intelligence record to a person in the register, or undo the link"),
    Rule("case.report_progress", FORCE_CASEWORK | {Role.INVESTIGATOR, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Record an investigation progress report (Conduct Regs 2020 reg 19)"),
    Rule("case.restrict", RESTRICTION_MANAGERS, Scope.CASE,
         "Restrict a case to named participants, or lift the restriction"),
    Rule("case.participants.manage", RESTRICTION_MANAGERS, Scope.CASE,
         "Name or remove the participants of a case (investigators, subject officer, representative…)"),
    Rule("case.participants.read", CASE_READERS - SUBJECT_SIDE, Scope.CASE, "See who is named on a case"),
    Rule("case.break_glass", frozenset({Role.ADMINISTRATOR}), Scope.OWNING_FORCE,
         "Open a restricted case of one's own force for a stated reason (time-limited, audited, notified)"),
    Rule("break_glass.alerts.read", frozenset({Role.HEAD_OF_STANDARDS}), Scope.SIGNED_IN,
         "See break-glass openings of one's force's restricted cases"),
    Rule("audit.viewers.read", frozenset({Role.HEAD_OF_STANDARDS}), Scope.CASE,
         "See who has viewed a record (the audit trail's reads)"),
    Rule("audit.export", frozenset({Role.HEAD_OF_STANDARDS}), Scope.ORGANISATION,
         "Export a record's full audit history (forewarn audit export); the export is itself audited"),
    Rule("document.upload", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.INVESTIGATOR, Role.IOPC_CASEWORKER},
         Scope.CASE, "Attach a document to a case"),
    Rule("document.read", CASE_READERS | DISCLOSURE_READERS, Scope.CASE, "Read a case's documents"),
    Rule("letter.issue", FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.IOPC_CASEWORKER}, Scope.CASE,
         "Send a complainant a letter (recording decision, outcome and review rights)"),
    # Proceedings.
    Rule("proceeding.read", CASE_READERS, Scope.CASE, "Read a proceeding"),
    Rule("proceeding.refer", frozenset({Role.APPROPRIATE_AUTHORITY}), Scope.CASE,
         "Refer allegations to misconduct proceedings (Conduct Regs 2020 reg 23, reg 30)"),
    Rule("proceeding.panel.read", CASE_READERS - SUBJECT_SIDE, Scope.CASE, "See who sits on a proceeding's panel"),
    Rule("proceeding.panel.manage", frozenset({Role.APPROPRIATE_AUTHORITY}), Scope.CASE,
         "Appoint or stand down panel members (Conduct Regs 2020 reg 28)"),
    Rule("proceeding.guidance.read", GUIDANCE_READERS, Scope.CASE,
         "See the outcomes guidance for a proceeding: indicative range, principles, comparable outcomes"),
    Rule("challenge.lodge", FORCE_CASEWORK, Scope.CASE,
         "Record an appeal, PAT appeal, judicial review or Court of Appeal challenge"),
    Rule("list_referral.record", frozenset({Role.APPROPRIATE_AUTHORITY}), Scope.CASE,
         "Report to the barred or advisory list (Police Act 1996 Part 4A)"),
    # Lifecycle steps: the roles are in the transition tables; this rule covers reading the tables.
    Rule("lifecycle.read", ALL_ROLES, Scope.SIGNED_IN, "Read the statutory lifecycle tables"),
    Rule("lifecycle.actions.read", CASE_READERS, Scope.CASE, "See what one may do now to a record"),
    # People and the workforce.
    Rule("person.read", PEOPLE_READERS, Scope.PEOPLE, "Find people and read their history across forces"),
    Rule("workforce.edit", frozenset({Role.ADMINISTRATOR}), Scope.ORGANISATION,
         "Create, rename and transfer people in the workforce"),
    Rule("workforce.import", frozenset({Role.ADMINISTRATOR}), Scope.ORGANISATION, "Import a workforce roster"),
    # The national allegations register (issue #4). Who sees which entry of a person's history is
    # decided per entry by the sharing rules (register/sharing.py), on top of these roles.
    Rule("register.history.read", REGISTER_READERS, Scope.PEOPLE,
         "Read a person's cross-force register history (entries filtered by the sharing rules)"),
    Rule("register.check", frozenset({Role.VETTING_OFFICER}), Scope.ORGANISATION,
         "Run a vetting or transfer check of the register (lawful basis and purpose recorded, audited)"),
    Rule("register.application.manage", frozenset({Role.VETTING_OFFICER}), Scope.ORGANISATION,
         "Open or close one's force's vetting or transfer application for a person"),
    Rule("register.inbox.read", ALERT_READERS | ALERT_ESCALATION_READERS, Scope.ORGANISATION,
         "Read one's unit's register alerts (professional standards, vetting or the IOPC's oversight), or those "
         "escalated to one"),
    Rule("register.alert.acknowledge", ALERT_READERS | ALERT_ESCALATION_READERS, Scope.ORGANISATION,
         "Acknowledge a register alert"),
    Rule("register.rules.manage", frozenset({Role.ADMINISTRATOR}), Scope.ORGANISATION,
         "Change which allegations count as serious (administrators of the IOPC or the College)"),
    Rule("register.webhooks.manage", frozenset({Role.ADMINISTRATOR}), Scope.ORGANISATION,
         "Register, rotate and remove one's organisation's webhook endpoints"),
    # Administrators too: the College of Policing keeps both lists (Police Act 1996 s88B, s88J) and its
    # administrators read them to publish, withhold and remove; register/lists.py shows a force's own
    # administrator nothing of them.
    Rule("register.lists.read", REGISTER_READERS | {Role.ADMINISTRATOR}, Scope.PEOPLE,
         "Read the barred and advisory lists (the advisory list is never public)"),
    Rule("register.lists.manage", frozenset({Role.APPROPRIATE_AUTHORITY, Role.ADMINISTRATOR}), Scope.ORGANISATION,
         "Report, publish, withhold or remove a barred or advisory list entry"),
    Rule("register.disclosure.request", frozenset({Role.VETTING_OFFICER, Role.HEAD_OF_STANDARDS}),
         Scope.ORGANISATION, "Ask the owning force for the case file behind a register entry (reason recorded)"),
    Rule("register.disclosure.decide", RESTRICTION_MANAGERS, Scope.CASE,
         "Grant (for a limited time) or refuse another force's request for one's own force's case file"),
    Rule("barred_list.public", frozenset(), Scope.PUBLIC,
         "Search the published barred list (no sign-in): gross misconduct dismissals in their publication period"),
    # The complainant's own view (no staff account): a one-time code by e-mail opens one case's
    # status, next step, dates, letters and review rights. No staff role reaches it.
    Rule("portal.sign_in", frozenset(), Scope.PUBLIC, "Ask for and enter a one-time code, or leave"),
    Rule("portal.case.read", frozenset(), Scope.COMPLAINANT, "Follow one's own complaint"),
    # Accounts.
    Rule("api_token.manage", ALL_ROLES, Scope.OWN_USERS,
         "Issue and revoke API tokens: one's own, or (administrators) their organisation's users'"),
)

# Named role sets used by services (kept as module constants so callers read as before).
CASE_RECORD = ACTIONS["case.record"].roles
CASE_EDIT_DETAILS = ACTIONS["case.edit_details"].roles
PERSON_READ = ACTIONS["person.read"].roles
WORKFORCE_IMPORT = ACTIONS["workforce.import"].roles
REPORT_PROGRESS = ACTIONS["case.report_progress"].roles
LIST_REFERRAL = ACTIONS["list_referral.record"].roles


def rule_for(action: str) -> Rule:
    """The rule for an action: from `ACTIONS`, or a lifecycle step `<machine>.<action>` from its table."""
    if action in ACTIONS:
        return ACTIONS[action]
    machine_name, _, step = action.partition(".")
    from forewarn.core.registry import machine_for  # the tables sit above this module

    try:
        transition = machine_for(machine_name).get(step) if step else None
    except (KeyError, LookupError):
        transition = None
    except Exception as exc:  # TransitionNotAllowed for an unknown step
        if getattr(exc, "code", "") != "transition.unknown_action":
            raise
        transition = None
    if transition is None:
        # Deny by default: an action with no rule is a programming error, never an open door.
        raise KeyError(f"no permission rule for action '{action}'")
    return transition_rule(machine_name, transition)


def transition_rule(machine_name: str, transition) -> Rule:
    """A lifecycle step as a rule: its roles from the statutory table, on a record in case scope."""
    return Rule(f"{machine_name}.{transition.action}", frozenset(transition.roles), Scope.CASE, transition.label)


def is_signed_in(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def has_role_for(actor, action: str | Rule) -> bool:
    """Whether the actor holds a role the action allows (scope is the access helpers' job)."""
    rule = action if isinstance(action, Rule) else rule_for(action)
    if rule.scope == Scope.PUBLIC:
        return True
    return is_signed_in(actor) and actor.has_any_role(rule.roles)


def require(actor, action: str | Rule) -> None:
    """PermissionDenied unless the actor holds a role for `action`. Check scope first (NotFound)."""
    rule = action if isinstance(action, Rule) else rule_for(action)
    if not has_role_for(actor, rule):
        labels = ", ".join(sorted(str(Role(r).label) for r in rule.roles)) or "none (not for staff accounts)"
        raise PermissionDenied(f"{rule.description} needs one of these roles: {labels}.", action=rule.action)


def require_role(actor, roles: Iterable[str], action: str) -> None:
    """The older form of `require`, for services that name their role set directly."""
    roles = frozenset(roles)
    if not is_signed_in(actor) or not actor.has_any_role(roles):
        labels = ", ".join(sorted(str(Role(r).label) for r in roles))
        raise PermissionDenied(f"{action} needs one of these roles: {labels}.", action=action)


# -- case scope ----------------------------------------------------------------------------------
def _organisation_rule(actor, prefix: str) -> Q | None:
    """The unrestricted cases the actor's organisation is entitled to, or None."""
    org = getattr(actor, "organisation", None)
    if org is None or not actor.has_any_role(ORGANISATION_SCOPE_ROLES):
        return None
    if org.kind == OrganisationKind.IOPC:
        # The IOPC sees what was referred to it and what is under IOPC review (PRA 2002 Sch 3 paras 4, 6A).
        return Q(**{f"{prefix}referred_on__isnull": False}) | Q(**{f"{prefix}review_body": "iopc"})
    if org.kind == OrganisationKind.LOCAL_POLICING_BODY:
        if org.oversees_id is None:
            return None
        return Q(**{f"{prefix}organisation_id": org.oversees_id, f"{prefix}review_body": "lpb"})
    if org.is_force:
        return Q(**{f"{prefix}organisation_id": org.id})
    return None


def _organisation_admits(actor, case) -> bool:
    org = getattr(actor, "organisation", None)
    if org is None or not actor.has_any_role(ORGANISATION_SCOPE_ROLES):
        return False
    if org.kind == OrganisationKind.IOPC:
        return case.referred_on is not None or case.review_body == "iopc"
    if org.kind == OrganisationKind.LOCAL_POLICING_BODY:
        return org.oversees_id is not None and case.organisation_id == org.oversees_id and case.review_body == "lpb"
    return org.is_force and case.organisation_id == org.id


def _named_case_ids(actor) -> list[int]:
    """The cases the actor is named on: participant, open panel seat, or live break-glass grant; for a
    vetting officer, the cases disclosed to their force (`_disclosed_case_ids`).

    One small indexed query, run before the case query. Folding these in as subqueries ORed with the
    organisation rule stopped PostgreSQL from walking the case index in page order: at national scale
    the case list then scanned every case (p95 over 1 s instead of under 100 ms).
    """
    if not actor.has_any_role(CASE_READERS):
        return _disclosed_case_ids(actor)
    participant = apps.get_model("cases", "CaseParticipant")
    grant = apps.get_model("cases", "BreakGlassGrant")
    named = participant.objects.filter(user_id=actor.pk).order_by().values_list("case_id", flat=True).union(
        grant.objects.filter(user_id=actor.pk, expires_at__gt=timezone.now()).order_by()
        .values_list("case_id", flat=True))
    if actor.has_any_role({Role.PANEL_MEMBER}):
        panel_member = apps.get_model("proceedings", "PanelMember")
        named = named.union(panel_member.objects.filter(user_id=actor.pk)
                            .exclude(proceeding__status__in=PANEL_CLOSED_STATUSES).order_by()
                            .values_list("proceeding__case_id", flat=True))
    return sorted(set(named))


def _disclosed_case_ids(actor) -> list[int]:
    """Cases another force has disclosed to the actor's force, while the grant runs (vetting officers only).

    One indexed query (register.DisclosureRequest `disclosure_live_idx`), and only for accounts holding
    DISCLOSURE_READERS, so no other request pays for it.
    """
    if not actor.has_any_role(DISCLOSURE_READERS) or not getattr(actor, "organisation_id", None):
        return []
    request = apps.get_model("register", "DisclosureRequest")
    return sorted(set(request.objects.filter(requesting_organisation_id=actor.organisation_id, status="granted",
                                             expires_at__gt=timezone.now())
                      .values_list("case_id", flat=True)))


def case_scope_q(actor, prefix: str = "") -> Q:
    """The cases an actor may see, as a filter (prefix e.g. 'case__' for related models)."""
    if not is_signed_in(actor) or not actor.has_any_role(CASE_READERS | DISCLOSURE_READERS):
        return Q(**{f"{prefix}pk__in": []})
    named = _named_case_ids(actor)
    organisation = _organisation_rule(actor, prefix)
    if organisation is None:
        return Q(**{f"{prefix}pk__in": named})
    scope = organisation & Q(**{f"{prefix}restricted": False})
    return scope | Q(**{f"{prefix}pk__in": named}) if named else scope


def case_in_scope(actor, case) -> bool:
    """The same rule as case_scope_q, for a record already in memory."""
    if not is_signed_in(actor) or not actor.has_any_role(CASE_READERS | DISCLOSURE_READERS):
        return False
    if not case.restricted and _organisation_admits(actor, case):
        return True
    return case.pk in _named_case_ids(actor)


def owning_force_staff(actor, case) -> bool:
    """The actor belongs to the force that owns the case (for contact details and break glass)."""
    return is_signed_in(actor) and getattr(actor, "organisation_id", None) == case.organisation_id


# -- what a reader of a case may see of it -----------------------------------------------------
def subject_side_of(actor, case) -> bool:
    """The actor reads this case as the subject officer or their representative (redaction applies).

    By role, and by how they are named on this case: either is enough, so a member of staff who is
    also the subject of a case sees their own case as a subject does.
    """
    if not is_signed_in(actor):
        return True
    if actor.has_any_role(SUBJECT_SIDE):
        return True
    participant = apps.get_model("cases", "CaseParticipant")
    return participant.objects.filter(case_id=case.pk, user_id=actor.pk, role__in=SUBJECT_SIDE).exists()


def party_contacts_visible(actor, case) -> bool:
    """Complainants' and witnesses' contact details: only casework staff of the owning force.

    Data minimisation (UK GDPR art 5(1)(c)): the IOPC, panels, investigators, the subject officer and
    their representative see the case without them.
    """
    return (has_role_for(actor, "party.contacts.read") and owning_force_staff(actor, case)
            and not subject_side_of(actor, case))
