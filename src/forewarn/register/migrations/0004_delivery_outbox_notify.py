"""Wake the notification worker when outbox rows commit (PostgreSQL only).

An AFTER INSERT ... FOR EACH STATEMENT trigger runs `pg_notify('forewarn_outbox', '')`: one
notification per inserting statement (alerts.py writes a recipient's rows with one bulk insert), and
PostgreSQL delivers it only when the transaction commits, so the worker never wakes for rows it
cannot see yet. The worker (register/worker.py) LISTENs and falls back to polling; SQLite has no
such mechanism and polls only.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION forewarn_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('forewarn_outbox', '');
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS register_outboxmessage_notify ON register_outboxmessage;
CREATE TRIGGER register_outboxmessage_notify
    AFTER INSERT ON register_outboxmessage
    FOR EACH STATEMENT EXECUTE FUNCTION forewarn_outbox_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS register_outboxmessage_notify ON register_outboxmessage;
DROP FUNCTION IF EXISTS forewarn_outbox_notify();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("register", "0003_history_disclosure_and_check_people")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
