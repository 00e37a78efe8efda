"""On PostgreSQL, append audit events in one round trip: a function that takes the chain lock,
reads the head, seals each event and inserts it.

The hash is the same SHA-256 over the same canonical content as `audit.chain.canonical_content`
(json_build_array's layout, which is how `audit.selectors` verifies on PostgreSQL); tests/audit
check a row written here against the Python digest. Reads are audited on every page view, and on a
network round trips were most of their cost (BEGIN, lock, head, INSERT, COMMIT: five).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION forewarn_audit_append(events jsonb, lock_key bigint, durable boolean)
RETURNS TABLE(event_id bigint, event_prev_hash varchar, event_hash varchar) AS $$
DECLARE
    head varchar;
    e jsonb;
    h varchar;
BEGIN
    IF NOT durable THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    PERFORM pg_advisory_xact_lock(lock_key);
    -- A new statement, so a new snapshot: it sees the commit of whoever held the lock before us.
    SELECT a.hash INTO head FROM audit_event a ORDER BY a.id DESC LIMIT 1;
    head := coalesce(head, repeat('0', 64));
    FOR e IN SELECT value FROM jsonb_array_elements(events) LOOP
        h := encode(sha256(convert_to(json_build_array(
                head,
                to_char((e->>'occurred_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                to_char((e->>'occurred_on')::date, 'YYYY-MM-DD'),
                (e->>'actor_id')::bigint, (e->>'organisation_id')::bigint,
                e->>'kind', e->>'action', e->>'object_type', (e->>'object_id')::bigint, (e->>'case_id')::bigint,
                e->>'from_state', e->>'to_state', e->>'data', e->>'changes', e->>'reason',
                e->>'correlation_id', e->>'ip_address', e->>'user_agent')::text, 'UTF8')), 'hex');
        INSERT INTO audit_event (occurred_at, occurred_on, actor_id, organisation_id, kind, action, object_type,
                                 object_id, case_id, from_state, to_state, data, changes, reason, correlation_id,
                                 ip_address, user_agent, prev_hash, hash)
        VALUES ((e->>'occurred_at')::timestamptz, (e->>'occurred_on')::date, (e->>'actor_id')::bigint,
                (e->>'organisation_id')::bigint, e->>'kind', e->>'action', e->>'object_type',
                (e->>'object_id')::bigint, (e->>'case_id')::bigint, e->>'from_state', e->>'to_state',
                e->>'data', e->>'changes', e->>'reason', e->>'correlation_id', e->>'ip_address',
                e->>'user_agent', head, h)
        RETURNING id INTO event_id;
        event_prev_hash := head;
        event_hash := h;
        RETURN NEXT;
        head := h;
    END LOOP;
END;
$$ LANGUAGE plpgsql;
"""

DROP = "DROP FUNCTION IF EXISTS forewarn_audit_append(jsonb, bigint, boolean);"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: '%' and '$$' are the SQL's own

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_fewer_indexes")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
