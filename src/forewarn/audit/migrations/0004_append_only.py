"""On PostgreSQL, refuse UPDATE and DELETE on the audit table at the database itself.

The application only ever inserts; the trigger makes that a property of the database, so neither a
bug nor a careless console session can rewrite history. TRUNCATE is left to database privileges
(the application's role should hold only INSERT and SELECT on this table; Django's test runner
empties tables with TRUNCATE). On SQLite the services never update the table, and `forewarn audit
verify` detects any change made outside them.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION forewarn_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION forewarn_audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS forewarn_audit_event_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the '%' in RAISE is PL/pgSQL's, not a placeholder

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
