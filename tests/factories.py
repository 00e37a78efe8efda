"""factory_boy factories for every app. Fictional people only (Faker en_GB)."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from forewarn.cases.models import (
    Allegation,
    Case,
    CaseStatus,
    CaseType,
    Party,
    SubjectAllegation,
    SubjectStatus,
)
from forewarn.core.regimes import regime_for
from forewarn.organisations.models import Organisation, User, UserRole
from forewarn.workforce.models import Appointment, Person, RankHeld

factory.Faker._DEFAULT_LOCALE = "en_GB"


def org(code: str) -> Organisation:
    """An organisation loaded by the data migration, by its code (MET, KEN, IOPC, MET-LPB…)."""
    return Organisation.objects.get(code=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.police.uk")
    organisation = factory.LazyFunction(lambda: org("MET"))

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            UserRole.objects.create(user=self, role=role)
        self.__dict__.pop("role_codes", None)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "correct horse battery staple")
        self.save()


def make_user(*roles: str, organisation: str = "MET", **kwargs) -> User:
    return UserFactory(organisation=org(organisation), roles=list(roles), **kwargs)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=21, maximum_age=60)
    sex = factory.Iterator(["F", "M"])


class AppointmentFactory(DjangoModelFactory):
    class Meta:
        model = Appointment

    person = factory.SubFactory(PersonFactory)
    organisation = factory.LazyFunction(lambda: org("MET"))
    role_type = "officer"
    service_number = factory.Sequence(lambda n: f"{100000 + n}")
    start_date = dt.date(2010, 9, 1)


class RankHeldFactory(DjangoModelFactory):
    class Meta:
        model = RankHeld

    appointment = factory.SubFactory(AppointmentFactory)
    rank = "PC"
    start_date = dt.date(2010, 9, 1)


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = Case

    organisation = factory.LazyFunction(lambda: org("MET"))
    reference = factory.Sequence(lambda n: f"TST-2024-{n:05d}")
    case_type = CaseType.COMPLAINT
    status = CaseStatus.RECEIVED
    came_to_attention_on = dt.date(2024, 1, 15)
    status_since = factory.SelfAttribute("came_to_attention_on")
    regime = factory.LazyAttribute(lambda c: regime_for(c.came_to_attention_on))
    summary = factory.Faker("paragraph")


class PartyFactory(DjangoModelFactory):
    class Meta:
        model = Party

    case = factory.SubFactory(CaseFactory)
    role = "complainant"
    eligibility_basis = "directed_at"
    full_name = factory.Faker("name")
    email = factory.Faker("email")


class AllegationFactory(DjangoModelFactory):
    class Meta:
        model = Allegation

    case = factory.SubFactory(CaseFactory)
    number = factory.Sequence(lambda n: n + 1)
    category = "individual_behaviours"
    subcategory = "Impolite language / tone"
    standards = factory.LazyFunction(lambda: ["SPB-ARC"])
    description = factory.Faker("sentence")


class SubjectAllegationFactory(DjangoModelFactory):
    class Meta:
        model = SubjectAllegation

    allegation = factory.SubFactory(AllegationFactory)
    case = factory.SelfAttribute("allegation.case")
    name_as_given = factory.Faker("last_name")
    rank_as_given = "PC"
    status = SubjectStatus.RAISED
    status_since = factory.SelfAttribute("case.came_to_attention_on")
