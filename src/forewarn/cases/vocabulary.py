"""National vocabularies for cases: IOPC allegation categories, Standards of Professional Behaviour,
mandatory referral descriptions. Sources are cited in the domain brief (§3B, §4, §5.1).
"""

from __future__ import annotations

from django.db import models


class Standard(models.TextChoices):
    """Standards of Professional Behaviour, Conduct Regs 2020 Sch 2."""

    HONESTY_INTEGRITY = "SPB-HI", "Honesty and integrity"
    AUTHORITY_RESPECT_COURTESY = "SPB-ARC", "Authority, respect and courtesy"
    EQUALITY_DIVERSITY = "SPB-ED", "Equality and diversity"
    USE_OF_FORCE = "SPB-UOF", "Use of force"
    ORDERS_INSTRUCTIONS = "SPB-OI", "Orders and instructions"
    DUTIES_RESPONSIBILITIES = "SPB-DR", "Duties and responsibilities"
    CONFIDENTIALITY = "SPB-CONF", "Confidentiality"
    FITNESS_FOR_WORK = "SPB-FIT", "Fitness for work"
    DISCREDITABLE_CONDUCT = "SPB-DC", "Discreditable conduct"
    CHALLENGING_REPORTING = "SPB-CRIC", "Challenging and reporting improper conduct"


class Category(models.TextChoices):
    """IOPC allegation categories (national data standard, 2024/25 tables)."""

    DELIVERY_OF_DUTIES = "delivery_of_duties", "Delivery of duties and service"
    POWERS_POLICIES = "powers_policies", "Police powers, policies and procedures"
    PROPERTY = "property", "Handling of or damage to property / premises"
    INFORMATION = "information", "Access and/or disclosure of information"
    VEHICLES = "vehicles", "Use of police vehicles"
    DISCRIMINATORY = "discriminatory", "Discriminatory behaviour"
    ABUSE_OF_POSITION = "abuse_of_position", "Abuse of position / corruption"
    INDIVIDUAL_BEHAVIOURS = "individual_behaviours", "Individual behaviours"
    SEXUAL_CONDUCT = "sexual_conduct", "Sexual conduct"
    DISCREDITABLE_CONDUCT = "discreditable_conduct", "Discreditable conduct"
    OTHER = "other", "Other"


# Subcategories as published. Entries the brief tags [R]/[U] (individual behaviours, sexual
# conduct) are the best available; an empty list means the category has a single subcategory.
SUBCATEGORIES: dict[str, list[str]] = {
    Category.DELIVERY_OF_DUTIES: ["Police action following contact", "Decisions", "General level of service", "Information"],
    Category.POWERS_POLICIES: [
        "Stops, and stop and search", "Searches of premises and seizure of property", "Power to arrest and detain",
        "Detention in police custody", "Bail, identification and interview procedures", "Use of force",
        "Evidential procedures", "Out of court disposals", "Other policies and procedures",
    ],
    Category.PROPERTY: [],
    Category.INFORMATION: [
        "Use of police systems", "Disclosure of information", "Handling of information",
        "Accessing and handling of information from other sources",
    ],
    Category.VEHICLES: [],
    Category.DISCRIMINATORY: [
        "Age", "Disability", "Gender reassignment", "Marriage and civil partnership", "Pregnancy and maternity",
        "Race", "Religion or belief", "Sex", "Sexual orientation", "Other",
    ],
    Category.ABUSE_OF_POSITION: [
        "Abuse of position for financial purpose", "Abuse of position for sexual purpose",
        "Abuse of position for the purpose of pursuing an inappropriate emotional relationship",
        "Abuse of position for other purpose", "Obstruction of justice", "Organisational corruption",
    ],
    Category.INDIVIDUAL_BEHAVIOURS: [
        "Impolite language / tone", "Impolite and intolerant actions", "Unprofessional attitude and disrespect",
        "Lack of fairness and impartiality", "Overbearing or harassing behaviours",
    ],
    Category.SEXUAL_CONDUCT: ["Sexual assault", "Sexual harassment", "Other sexual conduct"],
    Category.DISCREDITABLE_CONDUCT: [],
    Category.OTHER: [],
}


class AllegationFlag(models.TextChoices):
    """Flags recorded on an allegation beside its category [R: IOPC data standard flags; verify the
    exact national codes]. They feed the register's serious-allegation rules (issue #4 §2)."""

    VAWG = "vawg", "Violence against women and girls"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    CRIMINAL_SUSPECT = "criminal_suspect", "The officer is a suspect in a criminal investigation"


class MandatoryReferral(models.TextChoices):
    """Descriptions that must be referred to the IOPC (PRA 2002 Sch 3 para 4; C&M Regs 2020 reg 4).

    Referral is not discretionary: the criteria apply to the conduct alleged, not a view of its
    merits (R (Rose) v CC Greater Manchester [2021] EWHC 875 (Admin)).
    """

    DEATH_OR_SERIOUS_INJURY = "MR-DSI", "Death or serious injury"
    SERIOUS_ASSAULT = "MR-ASSAULT", "Serious assault"
    SERIOUS_SEXUAL_OFFENCE = "MR-SEXOFF", "Serious sexual offence"
    SERIOUS_CORRUPTION = "MR-CORRUPT", "Serious corruption (incl. abuse of position for a sexual purpose)"
    DISCRIMINATION_AGGRAVATED = "MR-DISCRIM", "Offence or misconduct aggravated by discriminatory behaviour"
    RELEVANT_OFFENCE = "MR-RELEVANT", "Relevant offence (7 years or more / fixed by law)"
    SAME_INCIDENT = "MR-SAMEINCIDENT", "Arising from the same incident as a mandatory referral"
    CHIEF_OFFICER = "MR-CHIEF", "Complaint about a chief officer"


class ReferralBasis(models.TextChoices):
    MANDATORY = "mandatory", "Mandatory referral"
    VOLUNTARY = "voluntary", "Voluntary referral"
    CALLED_IN = "called_in", "Called in by the IOPC"
