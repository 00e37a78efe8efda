"""What a reader may see of a case's parties: the one redaction every page, API response and export uses.

Rules (organisations.permissions decides who is who):

- contact details (e-mail, phone, address, postcode) and vulnerability notes of complainants,
  witnesses and others are shown only to casework staff of the owning force — data minimisation,
  UK GDPR art 5(1)(c); the IOPC, panels and investigators work without them;
- the subject officer and their representative never see contact details, and never see a
  restricted party at all (not even that one exists): a complainant's safety must not depend on
  what an officer under investigation can read (issue #3).

Redacted parties are plain read-only values, never model instances, so a redacted copy can never
be saved over the real record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from forewarn.cases.models import EligibilityBasis, Party, PartyRole
from forewarn.organisations.permissions import has_role_for, owning_force_staff, subject_side_of


@dataclass(frozen=True)
class PartyView:
    id: int
    case_id: int
    role: str
    eligibility_basis: str
    full_name: str
    is_vulnerable: bool
    restricted: bool
    contact_details_withheld: bool
    # None when withheld (not empty): a reader can tell "withheld" from "not recorded".
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    vulnerability_notes: str | None = None

    def get_role_display(self) -> str:
        return str(PartyRole(self.role).label)

    def get_eligibility_basis_display(self) -> str:
        return str(EligibilityBasis(self.eligibility_basis).label) if self.eligibility_basis else ""

    def as_dict(self) -> dict:
        """The API shape (schemas.PartyOut)."""
        return {"id": self.id, "role": self.role, "eligibility_basis": self.eligibility_basis,
                "full_name": self.full_name, "is_vulnerable": self.is_vulnerable, "restricted": self.restricted,
                "contact_details_withheld": self.contact_details_withheld, "email": self.email,
                "phone": self.phone, "address": self.address, "postcode": self.postcode,
                "vulnerability_notes": self.vulnerability_notes}


def _view(party: Party, *, contacts: bool) -> PartyView:
    details = {}
    if contacts:
        details = {"email": party.email, "phone": party.phone, "address": party.address,
                   "postcode": party.postcode, "vulnerability_notes": party.vulnerability_notes}
    return PartyView(id=party.id, case_id=party.case_id, role=party.role, eligibility_basis=party.eligibility_basis,
                     full_name=party.full_name, is_vulnerable=party.is_vulnerable, restricted=party.restricted,
                     contact_details_withheld=not contacts, **details)


@dataclass(frozen=True)
class Redaction:
    """What one reader may see of one case's parties, decided once per read."""

    contacts: bool
    subject_side: bool

    def parties(self, parties: Iterable[Party]) -> list[PartyView]:
        return [_view(p, contacts=self.contacts) for p in parties if not (self.subject_side and p.restricted)]

    def hidden_party_ids(self, parties: Iterable[Party]) -> set[int]:
        """Parties whose existence is withheld from this reader (timelines and exports leave them out)."""
        return {p.id for p in parties if p.restricted} if self.subject_side else set()


def redaction_for(*, actor, case) -> Redaction:
    subject_side = subject_side_of(actor, case)
    # party_contacts_visible without asking the subject-side question twice.
    contacts = not subject_side and has_role_for(actor, "party.contacts.read") and owning_force_staff(actor, case)
    return Redaction(contacts=contacts, subject_side=subject_side)


def redact_parties(*, actor, case, parties: Iterable[Party]) -> list[PartyView]:
    """The parties of `case` as `actor` may see them (contacts withheld, restricted parties dropped)."""
    return redaction_for(actor=actor, case=case).parties(parties)
