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


def sign_in(client, user: User):
    """Sign `user` in on a test client as both sign-in steps would leave it: a confirmed authenticator,
    a session verified by it and stamped for the time limits. Returns the TOTP device."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from forewarn.organisations.authentication import otp_confirmed_device, session_start

    device = otp_confirmed_device(user=user) or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session_start(session)
    session.save()
    return device


def code_for(device, *, offset_steps: int = 0) -> str:
    """What the user's authenticator app shows (RFC 6238), computed independently of the service."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=offset_steps):06d}"


def wrong_code_for(device) -> str:
    """A well-formed code the device would not accept now (not within its one-step tolerance)."""
    near = {code_for(device, offset_steps=k) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


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


def only_refused(count: int | None = 1) -> bool:
    """A refused write leaves exactly one 'refused' audit event and nothing else (issue 3 §2): after
    `count` refusals there are `count` such events (None: one or more) and no other event."""
    from forewarn.audit.models import Event

    kinds = list(Event.objects.values_list("kind", flat=True))
    return kinds == ["refused"] * (count if count is not None else max(len(kinds), 1))


def change_events():
    """Audit events that record a change (not reads or refusals)."""
    from forewarn.audit.models import Event, EventKind

    return Event.objects.filter(kind=EventKind.CHANGE)


# What auditing one read costs in queries: savepoint, chain lock (PostgreSQL), chain head, insert,
# release. Query-count tests add it to their own bound, so an N+1 still shows.
READ_AUDIT_QUERIES = 5


# -- naming users on cases and panels (organisations.permissions: how non-force roles get case scope) ----
def name_on_case(user, case, role: str | None = None):
    """Name `user` on `case` (an investigator, the subject officer, their representative…)."""
    from forewarn.cases.models import CaseParticipant

    role = role or next(iter(sorted(user.role_codes)), "case_handler")
    return CaseParticipant.objects.create(case=case, user=user, role=role)


def seat_on_panel(user, *, case=None, proceeding=None, status: str = "scheduled", role: str = "member"):
    """Seat `user` on a panel: of `proceeding`, or of a new hearing on `case` in `status`."""
    from forewarn.proceedings.models import PanelMember, Proceeding

    if proceeding is None:
        proceeding = Proceeding.objects.create(case=case, form="hearing", status=status, status_since=case.came_to_attention_on,
                                               regime=case.regime, notice_on=case.came_to_attention_on)
    return PanelMember.objects.create(proceeding=proceeding, user=user, role=role)
