"""What a complainant sees of their case: plain words, their own dates and letters, nothing else.

The page gets a dictionary of chosen values, never the Case itself, so a template cannot show the
summary (which may name officers), other parties, subjects or internal notes by accident.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.crypto import constant_time_compare

from forewarn.cases.models import CaseStatus, Party, PartyRole, ReviewBody, SuspensionStatus
from forewarn.core.clocks import ClockKind
from forewarn.core.errors import NotFound
from forewarn.core.models import Clock
from forewarn.documents.letters import review_body_name, review_deadline, review_rights_apply
from forewarn.documents.models import Document
from forewarn.documents.selectors import letters_for_party
from forewarn.portal.services import PortalGrant, ledger_key, normal_email

# Each status as the complainant would say it, and what happens next.
PLAIN_STATUS: dict[str, tuple[str, str]] = {
    CaseStatus.RECEIVED: ("We have received your complaint.",
                          "We will check it and contact you about how it will be dealt with."),
    CaseStatus.LOGGED: ("We have logged your complaint.",
                        "We will contact you about how it will be dealt with."),
    CaseStatus.NOT_A_COMPLAINT: ("We decided that this is not a complaint we can deal with under the police "
                                 "complaints rules.", "There are no further steps. Your letter explains why."),
    CaseStatus.HANDLED_OUTSIDE_SCH3: ("We are trying to resolve your complaint informally.",
                                      "If you would rather your complaint were formally recorded, tell us at any "
                                      "time and we will record it."),
    CaseStatus.FINALISED_OUTSIDE_SCH3: ("Your complaint has been dealt with informally and is closed.",
                                        "There are no further steps."),
    CaseStatus.IDENTIFIED: ("The matter has been identified.", "We will decide how it will be dealt with."),
    CaseStatus.RECORDED: ("Your complaint has been formally recorded.",
                          "We will decide how it will be handled, and whether it must be referred to the "
                          "Independent Office for Police Conduct (IOPC)."),
    CaseStatus.REFERRED_TO_IOPC: ("Your complaint has been referred to the Independent Office for Police "
                                  "Conduct (IOPC).", "The IOPC will decide whether and how it is investigated."),
    CaseStatus.AWAITING_HANDLING: ("We are deciding how to deal with your complaint.",
                                   "We will write to you when we have decided."),
    CaseStatus.UNDER_INVESTIGATION: ("Your complaint is being investigated.",
                                     "You will be told how the investigation is progressing, and we will write to "
                                     "you with the outcome."),
    CaseStatus.HANDLED_OTHERWISE: ("Your complaint is being dealt with without an investigation.",
                                   "We will write to you with the outcome."),
    CaseStatus.NO_FURTHER_ACTION: ("We decided to take no further action on your complaint.",
                                   "We will write to you with the outcome and your right to a review."),
    CaseStatus.INVESTIGATION_REPORTED: ("The investigation has finished.",
                                        "We are considering the investigation report and will write to you with "
                                        "the outcome."),
    CaseStatus.OUTCOME_NOTIFIED: ("We have told you the outcome of your complaint.",
                                  "If you are not satisfied with the outcome you may apply for a review (see "
                                  "below)."),
    CaseStatus.REVIEW_REQUESTED: ("Your application for a review is being considered.",
                                  "The review body will write to you with its decision."),
    CaseStatus.FINALISED: ("Your complaint is closed.", "There are no further steps."),
    CaseStatus.WITHDRAWN: ("Your complaint has been withdrawn.", "There are no further steps."),
    CaseStatus.DISCONTINUED: ("The investigation of your complaint has been stopped.",
                              "Your letter explains why."),
}

# The statutory periods that concern the complainant, in their words. Periods running against an
# officer or a proceeding are not theirs to see.
COMPLAINANT_CLOCKS: dict[str, str] = {
    ClockKind.COMPLAINANT_REVIEW: "Last day to apply for a review",
    # Conduct Regs 2020 reg 19; C&M Regs 2020 reg 13: the complainant is told of progress.
    ClockKind.INVESTIGATION_PROGRESS_REPORT: "Next update on the investigation's progress due",
}


def portal_grant_party(grant: PortalGrant | None, *, now: dt.datetime | None = None) -> Party | None:
    """The party a grant still opens, or None: expired, or the party is no longer that complainant."""
    if grant is None or grant.expires_at <= (now or timezone.now()):
        return None
    party = (Party.objects.filter(pk=grant.party_id, case_id=grant.case_id, role=PartyRole.COMPLAINANT)
             .select_related("case", "case__organisation").first())
    if party is None or not constant_time_compare(ledger_key("email", normal_email(party.email)), grant.email_key):
        return None
    return party


def _review(case, letters: list[Document]) -> dict | None:
    if review_rights_apply(case):
        chosen = next((d.details.get("review_body") for d in letters if d.details.get("review_body")), "")
        body = ReviewBody.IOPC if case.referred_on else chosen
        return {"open": True, "deadline": review_deadline(case),
                "body_name": review_body_name(case, body) if body else ""}
    if case.status == CaseStatus.REVIEW_REQUESTED and case.review_body:
        return {"open": False, "body_name": review_body_name(case, case.review_body)}
    return None


def portal_case_view(*, party: Party) -> dict:
    """Everything the complainant's page shows, for the one party and case the session opens."""
    case = party.case
    status_text, next_step = PLAIN_STATUS.get(case.status, ("Your complaint is being dealt with.", ""))
    clocks = (Clock.objects.filter(case=case, subject_allegation__isnull=True, proceeding__isnull=True,
                                   stopped_on__isnull=True, kind__in=list(COMPLAINANT_CLOCKS))
              .order_by("due_on", "id"))
    letters = list(letters_for_party(party=party))
    return {
        "reference": case.reference,
        "organisation_name": case.organisation.name,
        "received_on": case.came_to_attention_on,
        "status_text": status_text,
        "next_step": next_step,
        "paused": case.suspension_status == SuspensionStatus.SUSPENDED,
        "dates": [{"label": COMPLAINANT_CLOCKS[c.kind], "due_on": c.due_on, "paused": c.paused_on is not None}
                  for c in clocks],
        "letters": [{"id": d.pk, "title": d.title, "sent_on": d.created_at, "filename": d.filename,
                     "size": d.size} for d in letters],
        "review": _review(case, letters),
    }


def portal_letter_get(*, party: Party, document_id: int) -> Document:
    """A letter addressed to this party; anything else is NotFound."""
    letter = letters_for_party(party=party).filter(pk=document_id).first()
    if letter is None:
        raise NotFound(f"No letter with id {document_id}.")
    return letter

