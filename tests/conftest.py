import pytest

from forewarn.organisations.models import Role
from tests.factories import make_user


@pytest.fixture
def handler(db):
    """A Metropolitan Police case handler."""
    return make_user(Role.CASE_HANDLER)


@pytest.fixture
def aa(db):
    """A Metropolitan Police appropriate authority."""
    return make_user(Role.APPROPRIATE_AUTHORITY)


@pytest.fixture
def caseworker(db):
    """A member of staff with every force casework role in the Met (handler, AA, investigator, panel)."""
    return make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY, Role.INVESTIGATOR, Role.PANEL_MEMBER)


@pytest.fixture
def iopc(db):
    return make_user(Role.IOPC_CASEWORKER, organisation="IOPC")


@pytest.fixture
def other_force_handler(db):
    return make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY, organisation="KEN")
