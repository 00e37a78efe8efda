"""Who may do what, and see which records.

Deny by default: an actor sees a record only if a rule below says so. Lifecycle actions name their
roles in the transition tables; actions outside the lifecycle (recording, adding parties…) name
theirs here. Issue #3 (access control and audit hardening) extends this module into the full
role × action × scope matrix; every access helper already routes through `case_scope_q`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from forewarn.core.errors import PermissionDenied
from forewarn.organisations.models import OrganisationKind, Role

FORCE_CASEWORK = frozenset({Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY})
CASE_READERS = frozenset({Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY, Role.INVESTIGATOR,
                          Role.IOPC_CASEWORKER, Role.PANEL_MEMBER, Role.ADMINISTRATOR})

# Actions outside the lifecycle tables.
CASE_RECORD = FORCE_CASEWORK | {Role.IOPC_CASEWORKER}
CASE_EDIT_DETAILS = FORCE_CASEWORK | {Role.IOPC_CASEWORKER}
PERSON_READ = frozenset({Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY, Role.INVESTIGATOR,
                         Role.IOPC_CASEWORKER, Role.VETTING_OFFICER, Role.ADMINISTRATOR})
WORKFORCE_IMPORT = frozenset({Role.ADMINISTRATOR})
REPORT_PROGRESS = FORCE_CASEWORK | {Role.INVESTIGATOR, Role.IOPC_CASEWORKER}
LIST_REFERRAL = frozenset({Role.APPROPRIATE_AUTHORITY})


def require_role(actor, roles: Iterable[str], action: str) -> None:
    roles = frozenset(roles)
    if not getattr(actor, "is_authenticated", False) or not actor.has_any_role(roles):
        labels = ", ".join(sorted(str(Role(r).label) for r in roles))
        raise PermissionDenied(f"{action} needs one of these roles: {labels}.", action=action)


def case_scope_q(actor, prefix: str = "") -> Q:
    """The cases an actor may see, as a filter (prefix e.g. 'case__' for related models)."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_any_role(CASE_READERS):
        return Q(pk__in=[])
    org = actor.organisation
    if org is None:
        return Q(pk__in=[])
    if org.kind == OrganisationKind.IOPC:
        # IOPC sees what was referred to it and what is under IOPC review.
        return Q(**{f"{prefix}referred_on__isnull": False}) | Q(**{f"{prefix}review_body": "iopc"})
    if org.kind == OrganisationKind.LOCAL_POLICING_BODY:
        return Q(**{f"{prefix}organisation_id": org.oversees_id, f"{prefix}review_body": "lpb"})
    return Q(**{f"{prefix}organisation_id": org.id})


def case_in_scope(actor, case) -> bool:
    """The same rule as case_scope_q, for a record already in memory."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_any_role(CASE_READERS):
        return False
    org = actor.organisation
    if org is None:
        return False
    if org.kind == OrganisationKind.IOPC:
        return case.referred_on is not None or case.review_body == "iopc"
    if org.kind == OrganisationKind.LOCAL_POLICING_BODY:
        return case.organisation_id == org.oversees_id and case.review_body == "lpb"
    return case.organisation_id == org.id


def party_contacts_visible(actor, case) -> bool:
    """Complainants' and witnesses' contact details: only force casework staff of the owning force.

    Data minimisation (UK GDPR art 5(1)(c)): the IOPC, panels and investigators see the case without them.
    """
    return (bool(getattr(actor, "is_authenticated", False)) and actor.has_any_role(FORCE_CASEWORK)
            and getattr(actor, "organisation_id", None) == case.organisation_id)
