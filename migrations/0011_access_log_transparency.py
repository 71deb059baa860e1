"""The access log becomes a Merkle transparency log; the old hash chain is verified first.

Existing entries keep their ids and content and lose only their chain hashes: the sealer gives
them positions in id order (the chain's order) and signs the first checkpoint over them. A
broken chain stops the migration, so a tampered history is never sealed as if it were sound.
"""

import hashlib
from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import OPT_SORT_KEYS, dumps, loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


def _old_canonical(row: dict) -> bytes:
    """The chain's canonical bytes, frozen as consent/access_log.py defined them before this."""

    def optional(value: object) -> str | None:
        return None if value is None else str(value)

    def listed(value: object) -> list[str]:
        return sorted(loads(value) if isinstance(value, (str, bytes)) else value or [])

    occurred = row["occurred_at"]
    if isinstance(occurred, str):
        occurred = datetime.fromisoformat(occurred)
    return dumps(
        {
            "event": str(row["event"]),
            "occurred_at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
            "partner_id": optional(row["partner_id"]),
            "person_id": optional(row["person_id"]),
            "subject_id": row["subject_id"],
            "grant_id": optional(row["grant_id"]),
            "purpose": row["purpose"],
            "scopes_asked": listed(row["scopes_asked"]),
            "scopes_returned": listed(row["scopes_returned"]),
            "scopes_denied": listed(row["scopes_denied"]),
            "request_id": row["request_id"],
        },
        option=OPT_SORT_KEYS,
    )


async def verify_old_chain(apps, schema_editor) -> None:
    client = schema_editor.client
    prev_hash = "0" * 64
    after = 0
    while True:
        parameter = "$1" if client.capabilities.dialect == "postgres" else "?"
        _, rows = await client.execute_query(
            f"SELECT * FROM access_log_entry WHERE id > {parameter} ORDER BY id LIMIT 1000",
            [after],
        )
        if not rows:
            return
        for row in map(dict, rows):
            computed = hashlib.sha256(prev_hash.encode() + b"\n" + _old_canonical(row))
            if row["prev_hash"] != prev_hash or computed.hexdigest() != row["entry_hash"]:
                raise RuntimeError(
                    f"the access log's hash chain is broken at entry {row['id']}: not migrating "
                    "it into the transparency log (restore the log from a backup first)"
                )
            prev_hash = row["entry_hash"]
            after = row["id"]


class Migration(migrations.Migration):
    dependencies = [('scorelink', '0010_partner_origins')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LogCheckpoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tree_size', fields.BigIntField(unique=True)),
                ('root_hash', fields.CharField(max_length=64)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('key_id', fields.CharField(max_length=64)),
                ('signed', fields.TextField(unique=False)),
                ('frontier', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'log_checkpoint', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': "A signed statement of the log's tree: its size and root hash at one moment."},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='AccessLogEntry',
            options={'table': 'access_log_entry', 'app': 'scorelink', 'indexes': [Index(fields=['partner_id', 'occurred_at']), Index(fields=['person_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': "One append-only record of a read, a denial or a consent change: a leaf of the log's tree."},
        ),
        ops.AddField(
            model_name='AccessLogEntry',
            name='leaf_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AccessLogEntry',
            name='log_index',
            field=fields.BigIntField(null=True, unique=True),
        ),
        ops.RunPython(verify_old_chain),
        ops.RemoveField(model_name='AccessLogEntry', name='entry_hash'),
        ops.RemoveField(model_name='AccessLogEntry', name='prev_hash'),
    ]
