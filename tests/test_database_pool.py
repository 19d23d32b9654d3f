"""PostgreSQL's pooled connections: handed back without a reset round trip, yet never carrying a transaction over."""

import pytest
from tortoise.transactions import in_transaction

from storage.db import RESET_ON_RELEASE, SessionKeepingConnection, database, fetch, tortoise_config
from storage.models import Outbox

URL = "postgres://jxjy:secret@db.example:5432/jxjy"


def test_postgres_connections_skip_the_reset_statement_unless_the_url_asks_for_it():
    lean = tortoise_config(URL)["connections"]["postgres"]
    assert lean["credentials"]["connection_class"] is SessionKeepingConnection
    assert lean["credentials"]["database"] == "jxjy" and lean["credentials"]["password"] == "secret"
    restored = tortoise_config(f"{URL}?{RESET_ON_RELEASE}=1")["connections"]["postgres"]
    assert "connection_class" not in restored["credentials"] and RESET_ON_RELEASE not in restored["credentials"]
    assert tortoise_config("sqlite://var/jxjy.sqlite3")["connections"]["sqlite"] == "sqlite://var/jxjy.sqlite3"


@pytest.mark.postgres_only
async def test_a_transaction_that_failed_leaves_nothing_for_the_next_user_of_its_connection(database_url):
    async with database(database_url):
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await Outbox.create(kind="k", openid="o_a", payload={}, next_attempt_at="2026-01-01T00:00:00Z")
                raise RuntimeError("the journey failed half-way")
        # The pool hands the same connection out again (it is a stack): outside any transaction, nothing kept.
        assert (await fetch("SELECT count(*) AS n FROM outbox"))[0]["n"] == 0
        assert (await fetch("SELECT pg_current_xact_id_if_assigned() AS open"))[0]["open"] is None
