"""Identity resolution: linking named subjects and records to people (issue #5)."""
