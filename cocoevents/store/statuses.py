"""Every delivery's status, kept in the store (schema 6): ``statuses`` (delivery_id, status).

Timeline rules §6 over the store's ``links`` and ``outcomes`` (``store.schema``), for all deliveries at once, in
the SQL of the core: rules 1-2 as connected groups of demand and offer ids (``core.links``), then the last outcome
of each delivery's rows and of its groups' rows without a delivery id (``core.status.status_sql``); a delivery
without a timed row of its own has none. ``LocalSource.delivery_statuses`` computes the same for a few deliveries
a hop at a time (``core.links.walk_links``); the tests hold the two equal on hand-made chains, the fleet day and
hypothesis's links.

Why a kept table: a robot's day names a few dozen deliveries spread over the day, and their links hop by hop
read most of ``links``' row groups several times; the kept table is one read of a small sorted table
(docs/store.md).

Kept in step: every transaction that adds, replaces or removes files deletes the ``meta`` key ``statuses``
(``INVALIDATE``, with the batch; the kept facts' keys too, ``store.facts``); ``rebuild`` recomputes the table and
sets the key in one transaction at the end of a removal. A load or a sync works it out without holding the store
(``store.loader.Loader``): it writes a token under the ``meta`` key ``statuses_pending``, lets go of the store,
``compute``s the statuses into a temporary table with the store attached read-only (readers open it meanwhile: on
a big store the rebuild takes seconds), and ``install``s them only if the token is still there (``INVALIDATE``
deletes it too, so files changed meanwhile leave the table out of date for the load that changed them). The fleet
baseline is rebuilt after a load the same way, with its own token (``BASELINE_PENDING``). A reader uses the table
only while the key is there, else it reads ``links`` hop by hop: a load in progress, a rebuild that ran out of
memory or did not converge never gives a stale status, only a slower one.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from ..core.links import group_rounds, loose_groups_sql, reach_sql
from ..core.status import IN_PROGRESS, registry_position_sql, status_sql

TABLE = "statuses"
FLAG = "statuses"
PENDING = "statuses_pending"  # ``meta`` keys: the tokens of rebuilds worked out without holding the store
BASELINE_PENDING = "baseline_pending"  # (the fleet baseline's, ``store.baseline``, the same way)
FACTS_FLAG, FACTS_PENDING = "facts", "facts_pending"  # the kept per-delivery facts' (``store.facts``), the same way
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (delivery_id VARCHAR NOT NULL, status VARCHAR NOT NULL)"
INVALIDATE = f"DELETE FROM meta WHERE key IN ('{FLAG}', '{PENDING}', '{BASELINE_PENDING}', '{FACTS_FLAG}', '{FACTS_PENDING}')"
MAX_ROUNDS = 64  # label propagation rounds: a group is as wide as its longest chain of offers and demands
_ROUNDS = group_rounds("links")
RESULT = "coco_statuses"  # the temporary table ``compute`` fills and ``install`` copies

# Every timed delivery's status: the closure of rules 1-2 as the groups of ``core.links`` (once the rounds have
# labelled ``coco_labels``), the outcomes of a delivery's own rows and of its groups' rows without a delivery id,
# then timeline rules §6 over them (``core.status.status_sql``); a delivery without an outcome is in progress, one
# without a timed row of its own has none.
STATUS_SQL = f"""
CREATE OR REPLACE TEMP TABLE {RESULT} AS
WITH reach AS (
{reach_sql("links")}
), loose AS (
{loose_groups_sql("outcomes", "event, ts")}
), mine AS (
    SELECT delivery_id AS d, event, ts FROM outcomes WHERE delivery_id IS NOT NULL
    UNION ALL SELECT r.d, o.event, o.ts FROM reach AS r JOIN loose AS o ON o.g = r.g
), decided AS (
{status_sql("mine", "d", "event", f"ts DESC, {registry_position_sql('event')} DESC")}
), timed AS (
    SELECT DISTINCT delivery_id AS d FROM links WHERE delivery_id IS NOT NULL AND timed
)
SELECT t.d, coalesce(s.status, '{IN_PROGRESS}') FROM timed AS t LEFT JOIN decided AS s ON s.d = t.d
ORDER BY t.d"""


def rebuild(con: Any) -> Optional[int]:
    """Recompute ``statuses`` and set the ``meta`` key, in one transaction; the number of deliveries, or
    ``None`` when the groups did not settle within ``MAX_ROUNDS`` (the key then stays unset: readers walk the
    links)."""
    from ..duckdb_engine import transaction

    try:
        with transaction(con):
            return install(con) if compute(con) else None
    finally:
        drop(con)


def compute(con: Any) -> bool:
    """Every delivery's status into the temporary ``RESULT`` from the store ``con`` reads (it may be attached
    read-only); False when the groups did not settle within ``MAX_ROUNDS``."""
    con.execute(_ROUNDS.edges)
    con.execute(_ROUNDS.labels)
    for _ in range(MAX_ROUNDS):
        con.execute(_ROUNDS.round)
        (changed,) = con.execute(_ROUNDS.changed).fetchone()
        con.execute(_ROUNDS.swap)
        if not changed:
            break
    else:
        return False
    con.execute(STATUS_SQL)
    return True


def install(con: Any) -> int:
    """``statuses`` replaced by ``compute``'s result and marked current, in the caller's transaction; the
    number of deliveries."""
    con.execute(CREATE)
    con.execute(f"DELETE FROM {TABLE}")
    con.execute(f"INSERT INTO {TABLE} SELECT * FROM temp.main.{RESULT}")  # sorted by compute; order kept
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", [FLAG])
    (count,) = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    return int(count)


def install_steps(con: Any) -> list[Callable[[Any], Any]]:
    """``install`` as the steps of a detached rebuild (``store.loader.Loader._rebuild_detached``), one transaction
    each: the statuses are small enough for one."""
    return [install]


def drop(con: Any) -> None:
    """The temporary tables of ``compute`` gone."""
    from ..duckdb_engine import drop_temp

    drop_temp(con, [*_ROUNDS.work, RESULT])


def is_current(con: Any) -> bool:
    """Whether the store's ``statuses`` are up to date with its files."""
    return bool(con.execute("SELECT count(*) FROM meta WHERE key = ?", [FLAG]).fetchone()[0])


def read(con: Any, delivery_ids: Sequence[str]) -> Optional[dict[str, str]]:
    """The kept statuses of ``delivery_ids`` (a delivery without a timed row of its own is absent); ``None``
    when the store's table is not up to date (a load in progress, a failed rebuild, a store before schema 6)."""
    if not is_current(con):
        return None
    return dict(
        con.execute(
            f"SELECT delivery_id, status FROM {TABLE} WHERE delivery_id IN (SELECT unnest(?::VARCHAR[]))", [list(delivery_ids)]
        ).fetchall()
    )
