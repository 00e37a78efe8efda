"""The `forewarn` command line. Thin: every command calls the same services as the web and API.

Domain errors become a one-line message on stderr and exit code 2; bad usage exits 2 (click);
an unexpected error exits 1 with its traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forewarn.settings")
    import django

    django.setup()


class DomainErrorsExit(click.Group):
    """Turn a DomainError anywhere in a command into `error: <code>: <message>` and exit 2."""

    def invoke(self, ctx):
        from forewarn.core.errors import DomainError

        try:
            return super().invoke(ctx)
        except DomainError as exc:
            click.echo(f"error: {exc.code}: {exc.message}", err=True)
            sys.exit(2)


@click.group(cls=DomainErrorsExit)
def main() -> None:
    """Forewarn: police complaints and misconduct, England and Wales."""


@main.command()
def migrate() -> None:
    """Create or update the database schema (and load the organisations)."""
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app and API (development server; use a WSGI server such as gunicorn in production)."""
    _setup_django()
    from django.core.management import call_command

    call_command("runserver", f"{host}:{port}", use_reloader=False)


def run() -> None:  # pragma: no cover - console entry point
    main()


if __name__ == "__main__":  # pragma: no cover
    main()
