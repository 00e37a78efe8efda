import pytest
from click.testing import CliRunner

from forewarn import cli
from forewarn.cases.models import Case
from forewarn.demo import demo_actors, demo_users_create
from forewarn.demo.scenarios import load_scenarios
from forewarn.organisations.models import Role, User
from forewarn.workforce.models import Person
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_setup(monkeypatch):
    # pytest-django has configured Django already; the CLI must not re-read production settings.
    monkeypatch.setattr(cli, "_setup_django", lambda: None)


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def roster(tmp_path, body):
    path = tmp_path / "people.csv"
    path.write_text("Forename,Surname,Joined,Number\n" + body)
    return path


MAP = "given_name=Forename,family_name=Surname,start_date=Joined,service_number=Number"


def test_import_ok_and_dry_run(tmp_path):
    make_user(Role.ADMINISTRATOR, username="admin1")
    path = roster(tmp_path, "Ada,Lane,2010-01-04,M1\nBen,Orr,2011-02-01,M2\n")
    result = run("import", path, "--map", MAP, "--organisation", "MET", "--user", "admin1", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would import 2 people" in result.output and not Person.objects.exists()
    result = run("import", path, "--map", MAP, "--organisation", "MET", "--user", "admin1")
    assert result.exit_code == 0, result.output
    assert Person.objects.count() == 2


def test_import_bad_row_exits_2_naming_file_row_column(tmp_path):
    make_user(Role.ADMINISTRATOR, username="admin1")
    path = roster(tmp_path, "Ada,Lane,2010-01-04,M1\nBen,Orr,04/01/2010,M2\n")
    result = run("import", path, "--map", MAP, "--organisation", "MET", "--user", "admin1")
    assert result.exit_code == 2
    assert "error: import.invalid_rows:" in result.output
    assert "people.csv:3:Joined:" in result.output
    assert not Person.objects.exists()


def test_import_bad_map_and_unknown_user(tmp_path):
    make_user(Role.ADMINISTRATOR, username="admin1")
    path = roster(tmp_path, "Ada,Lane,2010-01-04,M1\n")
    result = run("import", path, "--map", "given_name", "--organisation", "MET", "--user", "admin1")
    assert result.exit_code == 2 and "field=column" in result.output
    result = run("import", path, "--map", MAP, "--organisation", "MET", "--user", "nobody")
    assert result.exit_code == 2 and "No active user 'nobody'" in result.output
    result = run("import", path, "--map", MAP, "--organisation", "MET")
    assert result.exit_code == 2 and "--user" in result.output
    assert not Person.objects.exists()


def test_import_needs_administrator(tmp_path):
    make_user(Role.CASE_HANDLER, username="handler1")
    result = run("import", roster(tmp_path, "Ada,Lane,2010-01-04,M1\n"), "--map", MAP, "--organisation", "MET",
                 "--user", "handler1")
    assert result.exit_code == 2 and "permission.denied" in result.output


def test_generate_command():
    result = run("generate", "--people", 100, "--years", 1, "--seed", 2)
    assert result.exit_code == 0, result.output
    assert "Generated 100 people" in result.output
    assert Case.objects.count() == 28


def test_clocks_lists_overdue_in_scope():
    demo_users_create()
    load_scenarios(demo_actors())
    result = run("clocks", "--user", "kent-handler")
    assert result.exit_code == 0, result.output
    assert "MET-" not in result.output  # deny by default: Kent sees Kent only
    result = run("clocks", "--user", "met-psd", "--organisation", "MET")
    assert result.exit_code == 0 and "open step(s)" in result.output
    result = run("clocks", "--user", "met-psd", "--overdue", "--organisation", "NOPE")
    assert result.exit_code == 2 and "no organisation with code 'NOPE'" in result.output


def test_demo_no_serve_is_idempotent(monkeypatch):
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    first = run("demo", "--people", 100, "--years", 1, "--no-serve")
    assert first.exit_code == 0, first.output
    assert "met-handler" in first.output and "iopc-caseworker" in first.output
    cases = Case.objects.count()
    second = run("demo", "--people", 100, "--years", 1, "--no-serve")
    assert second.exit_code == 0, second.output
    assert Case.objects.count() == cases
    assert User.objects.filter(username="met-handler").count() == 1
    assert "Loaded the scenario cases" not in second.output
    # The demo investigator and panel member are named where they can see something, once.
    from forewarn.cases.selectors import case_list

    investigator = User.objects.get(username="met-investigator")
    named = investigator.case_participations.count()
    assert named > 0 and case_list(actor=investigator).count() == named
    assert User.objects.get(username="met-panel").panel_seats.count() > 0
    assert case_list(actor=User.objects.get(username="met-panel")).exists()
    assert User.objects.get(username="met-hos").has_any_role({"head_of_standards"})


def test_diagrams(tmp_path):
    out = tmp_path / "lifecycle.md"
    result = run("diagrams", "--output", out)
    assert result.exit_code == 0, result.output
    assert out.read_text().strip()


def test_token_issue_prints_a_working_secret_once_and_revoke_stops_it(client):
    from forewarn.organisations.models import ApiToken

    user = make_user(Role.CASE_HANDLER)
    result = run("token", "issue", "--user", user.username, "--name", "script", "--scopes", "read")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    token = ApiToken.objects.get(user=user)
    assert secret not in (token.token_hash, token.prefix) and token.scopes == ["read"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/me", **auth).status_code == 200
    assert run("token", "revoke", "--user", user.username, token.pk).exit_code == 0
    assert client.get("/api/me", **auth).status_code == 401


def test_token_issue_refuses_bad_scopes_with_exit_2_and_writes_nothing():
    from forewarn.organisations.models import ApiToken

    user = make_user(Role.CASE_HANDLER)
    result = run("token", "issue", "--user", user.username, "--name", "x", "--scopes", "admin")
    assert result.exit_code == 2 and "scopes" in result.output
    assert not ApiToken.objects.exists()
