"""Every delivery's status, kept in the store (schema 6): ``statuses`` (delivery_id, status).

Spec section 6 over the store's ``links`` and ``outcomes`` (``store.local``'s docstring), for all deliveries at
once, in SQL: the rows without a delivery id join their demand and offer, so the demand and offer ids fall into
connected groups (labelled by propagating the smallest id over those rows until nothing changes); a delivery's
closure is the groups of the demand and offer ids its own rows carry; its status is the last delivery outcome
of its own rows and its groups' rows without a delivery id (time, registry position, name), else the last
demand outcome, else ``in_progress``; a delivery without a timed row of its own has none.
``LocalSource.delivery_statuses`` computes the same for a few deliveries hop by hop; the tests hold the two
equal on hand-made chains, the fleet day and hypothesis's links.

Why: a robot's day names ~20 deliveries spread over the day; hop by hop their links took four reads of most
of ``links``' row groups (~0.2 s cold at 10M events), the kept table one read of a small sorted table.

Kept in step: every transaction that adds, replaces or removes files deletes the ``meta`` key ``statuses``
(``INVALIDATE``, with the batch); ``rebuild`` recomputes the table and sets the key in one transaction at the
end of a removal. A load or a sync works it out without holding the store (``store.local.Loader``): it writes
a token under the ``meta`` key ``statuses_pending``, lets go of the store, ``compute``s the statuses into a
temporary table with the store attached read-only (readers open it meanwhile: the rebuild of a 30M-event store
takes ~13 s), and ``install``s them only if the token is still there (``INVALIDATE`` deletes it too, so files
changed meanwhile leave the table out of date for the load that changed them). The fleet baseline is rebuilt
after a load the same way, with its own token (``BASELINE_PENDING``). A reader uses the table only
while the key is there, else it reads ``links`` hop by hop: a load in progress, a rebuild that ran out of
memory or did not converge never gives a stale status, only a slower one.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..producers.registry import DELIVERY_OUTCOMES, DEMAND_OUTCOMES, registry_sort_key

TABLE = "statuses"
FLAG = "statuses"
PENDING = "statuses_pending"  # ``meta`` keys: the tokens of rebuilds worked out without holding the store
BASELINE_PENDING = "baseline_pending"  # (the fleet baseline's, ``store.baseline``, the same way)
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (delivery_id VARCHAR NOT NULL, status VARCHAR NOT NULL)"
INVALIDATE = f"DELETE FROM meta WHERE key IN ('{FLAG}', '{PENDING}', '{BASELINE_PENDING}')"
MAX_ROUNDS = 64  # label propagation rounds: a group is as wide as its longest chain of offers and demands

# Nodes are ``'d' || demand_id`` and ``'o' || offer_id``: one namespace for both kinds of ids.
_EDGES = """
CREATE OR REPLACE TEMP TABLE coco_edges AS
SELECT DISTINCT 'd' || demand_id AS a, 'o' || offer_id AS b FROM links
WHERE delivery_id IS NULL AND demand_id IS NOT NULL AND offer_id IS NOT NULL"""
_LABELS = """
CREATE OR REPLACE TEMP TABLE coco_labels AS
SELECT n, n AS l FROM (SELECT a AS n FROM coco_edges UNION SELECT b FROM coco_edges)"""
_ROUND = """
CREATE OR REPLACE TEMP TABLE coco_next AS
SELECT n, min(l) AS l FROM (
    SELECT n, l FROM coco_labels
    UNION ALL SELECT e.a, x.l FROM coco_edges AS e JOIN coco_labels AS x ON x.n = e.b
    UNION ALL SELECT e.b, x.l FROM coco_edges AS e JOIN coco_labels AS x ON x.n = e.a
) GROUP BY n"""
_CHANGED = "SELECT count(*) FROM coco_next AS a JOIN coco_labels AS b USING (n) WHERE a.l <> b.l"
_SWAP = "CREATE OR REPLACE TEMP TABLE coco_labels AS SELECT * FROM coco_next"
_WORK = ["coco_edges", "coco_labels", "coco_next", "coco_names"]
RESULT = "coco_statuses"  # the temporary table ``compute`` fills and ``install`` copies


def _status_sql() -> str:
    """Every timed delivery's status as the temporary ``RESULT``, from ``coco_labels`` and the temporary
    ``coco_names`` (each outcome's name, class - 1 delivery, 0 demand -, registry position and status)."""
    group = "coalesce(x.l, s.n)"
    return f"""
CREATE OR REPLACE TEMP TABLE {RESULT} AS
WITH seeds AS (
    SELECT DISTINCT delivery_id AS d, 'd' || demand_id AS n FROM links
    WHERE delivery_id IS NOT NULL AND demand_id IS NOT NULL
    UNION SELECT DISTINCT delivery_id, 'o' || offer_id FROM links WHERE delivery_id IS NOT NULL AND offer_id IS NOT NULL
), groups AS (
    SELECT DISTINCT s.d, {group} AS g FROM seeds AS s LEFT JOIN coco_labels AS x ON x.n = s.n
), loose AS (
    SELECT event, ts, 'd' || demand_id AS n FROM outcomes WHERE delivery_id IS NULL AND demand_id IS NOT NULL
    UNION ALL SELECT event, ts, 'o' || offer_id FROM outcomes WHERE delivery_id IS NULL AND offer_id IS NOT NULL
), loose_groups AS (
    SELECT DISTINCT s.event, s.ts, {group} AS g FROM loose AS s LEFT JOIN coco_labels AS x ON x.n = s.n
), mine AS (
    SELECT delivery_id AS d, event, ts FROM outcomes WHERE delivery_id IS NOT NULL
    UNION ALL SELECT g.d, o.event, o.ts FROM groups AS g JOIN loose_groups AS o ON o.g = g.g
), ranked AS (
    SELECT m.d, c.status, row_number() OVER (PARTITION BY m.d ORDER BY c.cls DESC, m.ts DESC, c.pos DESC) AS k
    FROM mine AS m JOIN coco_names AS c ON c.event = m.event
), timed AS (
    SELECT DISTINCT delivery_id AS d FROM links WHERE delivery_id IS NOT NULL AND timed
)
SELECT t.d, coalesce(r.status, 'in_progress') FROM timed AS t LEFT JOIN ranked AS r ON r.d = t.d AND r.k = 1
ORDER BY t.d"""


def _names() -> tuple[list[str], list[int], list[int], list[str]]:
    rows = [(n, 1, s) for n, s in DELIVERY_OUTCOMES.items()] + [(n, 0, s) for n, s in DEMAND_OUTCOMES.items()]
    return ([n for n, _, _ in rows], [c for _, c, _ in rows], [registry_sort_key(n)[0] for n, _, _ in rows], [s for _, _, s in rows])


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
    read-only); False when the groups did not settle within ``MAX_ROUNDS``. The outcome names and their order
    are bound parameters."""
    names, classes, positions, status = _names()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE coco_names AS SELECT unnest($names::VARCHAR[]) AS event, "
        "unnest($classes::INTEGER[]) AS cls, unnest($positions::INTEGER[]) AS pos, "
        "unnest($status::VARCHAR[]) AS status",
        {"names": names, "classes": classes, "positions": positions, "status": status},
    )
    con.execute(_EDGES)
    con.execute(_LABELS)
    for _ in range(MAX_ROUNDS):
        con.execute(_ROUND)
        (changed,) = con.execute(_CHANGED).fetchone()
        con.execute(_SWAP)
        if not changed:
            break
    else:
        return False
    con.execute(_status_sql())
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


def drop(con: Any) -> None:
    """The temporary tables of ``compute`` gone."""
    from ..duckdb_engine import drop_temp

    drop_temp(con, [*_WORK, RESULT])


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
