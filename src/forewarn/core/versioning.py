"""Optimistic locking for editable aggregates (`core.models.VersionedModel`).

Every edit of an existing record accepts the version the user saw (`expected_version`) and is
checked here *after* the row is locked with `select_for_update`: a second writer waits for the
first to commit, then reads the new version and is refused, so nobody silently overwrites anyone.
`expected_version=None` means the caller has no stale view to protect (a batch job, the CLI, a
step chained inside another service): the row lock alone serialises it.
"""

from __future__ import annotations

from forewarn.core.errors import StaleVersion


def version_check(obj, expected_version: int | None, *, what: str) -> None:
    """Refuse (StaleVersion, HTTP 409 with the current version) a change made against an older version."""
    if expected_version is not None and expected_version != obj.version:
        raise StaleVersion(
            f"This {what} has changed since you opened it "
            f"(your version {expected_version}, current version {obj.version}).",
            current_version=obj.version, expected_version=expected_version)

