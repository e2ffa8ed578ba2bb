"""A delivery's direct and linked events (timeline rules §2, rules 1-2), in Python and as the one SQL text.

Rule 1: the events whose ``delivery_id`` is D. Rule 2: the events without a ``delivery_id`` whose ``demand_id``
or ``offer_id`` was seen on a direct or linked event, repeated until nothing new turns up.

- ``linked_closures``: the rule over a pool of events, for many deliveries at once (the definition; the
  sessionizer's one-delivery fast path, ``fast_rules.linked_closure``, is held equal to it by a test).
- ``walk_links``: the rule over a store that is asked a hop at a time - "the rows without a delivery id that
  carry one of these ids" - until nothing new turns up: every source that fetches a delivery's linked rows
  (local, Redshift, the archive's tail) and the status tables' walk go through it.
- ``GROUP_ROUNDS``, ``reach_sql`` and ``loose_groups_sql``: the rule for every delivery at once in SQL, as
  connected groups of ids (below); the local store's kept statuses run them on DuckDB, and a test holds them
  equal to ``linked_closures`` on random links.

In SQL, each row without a delivery id joins its demand and offer: the ids fall into connected *groups*,
labelled by propagating the smallest id over those rows, a round at a time, until nothing changes
(``GROUP_ROUNDS``: the caller runs the round until ``changed`` counts nothing). A delivery reaches the groups of
the ids its own rows carry (``reach_sql``), and a row without a delivery id belongs to the groups of its ids
(``loose_groups_sql``). Ids are *nodes* ``'d' || demand_id`` and ``'o' || offer_id``: one namespace for both.
The dbt project does not run these (a model is one statement, and the rounds are a loop): its
``int_delivery_links`` takes ``coco_link_hops`` hops (docs/dbt.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

from .model import Event

Pair = tuple[Optional[str], Optional[str]]  # (demand_id, offer_id) of an event without a delivery id


def linked_closures(delivery_ids: Iterable[str], events: Sequence[Event]) -> dict[str, list[Event]]:
    """Rules 1-2 for each of ``delivery_ids`` over one pool of events: its direct events, then the events without
    a delivery id linked to them, every copy of them in the pool (a caller that hands them to the sessionizer
    keeps rule 7's duplicate count), through an index of the pool by id."""
    direct: dict[str, list[Event]] = {}
    by_demand: dict[str, list[Event]] = {}
    by_offer: dict[str, list[Event]] = {}
    for e in events:
        if e.delivery_id is not None:
            direct.setdefault(e.delivery_id, []).append(e)
        else:
            if e.demand_id:
                by_demand.setdefault(e.demand_id, []).append(e)
            if e.offer_id:
                by_offer.setdefault(e.offer_id, []).append(e)
    return {d: _closure(direct.get(d, ()), by_demand, by_offer) for d in delivery_ids}


def _closure(direct: Iterable[Event], by_demand: dict[str, list[Event]], by_offer: dict[str, list[Event]]) -> list[Event]:
    """A delivery's ``direct`` events and the events of the index ``by_demand``/``by_offer`` (those without a
    delivery id, by their ids) linked to them."""
    chosen = list(direct)
    taken = {id(e) for e in chosen}

    def more(demands: list[str], offers: list[str], *_: object) -> list[Pair]:
        linked = [e for x in demands for e in by_demand.get(x, ())] + [e for x in offers for e in by_offer.get(x, ())]
        for e in linked:
            if id(e) not in taken:
                taken.add(id(e))
                chosen.append(e)
        return [(e.demand_id, e.offer_id) for e in linked]

    walk_links([e.demand_id for e in chosen], [e.offer_id for e in chosen], more)
    return chosen


Ask = Callable[[list[str], list[str], set[str], set[str]], Iterable[Pair]]


def walk_links(
    demands: Iterable[Optional[str]],
    offers: Iterable[Optional[str]],
    more: Ask,
    *,
    asked: tuple[set[str], set[str]] = (set(), set()),
    hops: Optional[int] = None,
) -> tuple[set[str], set[str]]:
    """Rule 2's "repeat until nothing new turns up", a hop at a time: from the ``demands`` and ``offers`` ids (those
    of the direct events; ``None`` and ``""`` are no id), ``more(new_demands, new_offers, asked_demands,
    asked_offers)`` answers the ``(demand_id, offer_id)`` of the events without a delivery id that carry one of the
    new ids (sorted lists; the asked sets, not to be changed, hold the ids asked before, whose events came already); their ids not
    asked yet are the next hop's. ``asked``: ids whose events the caller has already; ``hops``: at most so many
    hops. Returns every id asked, ``asked`` included."""
    asked_d, asked_o = set(asked[0]), set(asked[1])
    new_d = {x for x in demands if x} - asked_d
    new_o = {x for x in offers if x} - asked_o
    hop = 0
    while (new_d or new_o) and (hops is None or hop < hops):
        found = list(more(sorted(new_d), sorted(new_o), asked_d, asked_o))
        asked_d |= new_d
        asked_o |= new_o
        new_d = {d for d, _ in found if d} - asked_d
        new_o = {o for _, o in found if o} - asked_o
        hop += 1
    return asked_d, asked_o


# -- rules 1-2 in SQL (module docstring) ---------------------------------------------------------------------

LABELS = "coco_labels"  # (n, l): each node and the label of its group, the temporary table the rounds leave


@dataclass(frozen=True)
class GroupRounds:
    """The statements that label the groups of ``links`` (a relation with ``delivery_id``, ``demand_id``,
    ``offer_id``), in DuckDB's SQL: ``edges`` and ``labels`` once, then ``round``, ``changed`` (a count: 0 when the
    groups have settled) and ``swap`` until they settle; ``work`` the temporary tables to drop after."""

    edges: str
    labels: str
    round: str
    changed: str
    swap: str
    work: tuple[str, ...] = ("coco_edges", LABELS, "coco_next")


def group_rounds(links: str) -> GroupRounds:
    """``GroupRounds`` over the relation ``links`` (a constant of the caller)."""
    return GroupRounds(
        edges=(
            "CREATE OR REPLACE TEMP TABLE coco_edges AS\n"
            f"SELECT DISTINCT 'd' || demand_id AS a, 'o' || offer_id AS b FROM {links}\n"
            "WHERE delivery_id IS NULL AND demand_id IS NOT NULL AND offer_id IS NOT NULL"
        ),
        labels=(
            f"CREATE OR REPLACE TEMP TABLE {LABELS} AS\n"
            "SELECT n, n AS l FROM (SELECT a AS n FROM coco_edges UNION SELECT b FROM coco_edges)"
        ),
        round=(
            "CREATE OR REPLACE TEMP TABLE coco_next AS\n"
            "SELECT n, min(l) AS l FROM (\n"
            f"    SELECT n, l FROM {LABELS}\n"
            f"    UNION ALL SELECT e.a, x.l FROM coco_edges AS e JOIN {LABELS} AS x ON x.n = e.b\n"
            f"    UNION ALL SELECT e.b, x.l FROM coco_edges AS e JOIN {LABELS} AS x ON x.n = e.a\n"
            ") GROUP BY n"
        ),
        changed=f"SELECT count(*) FROM coco_next AS a JOIN {LABELS} AS b USING (n) WHERE a.l <> b.l",
        swap=f"CREATE OR REPLACE TEMP TABLE {LABELS} AS SELECT * FROM coco_next",
    )


def reach_sql(links: str) -> str:
    """``SELECT d, g``: each group ``g`` the ids of delivery ``d``'s own rows in ``links`` fall in (an id that no
    row without a delivery id carries is a group of its own), after the rounds have labelled them."""
    return (
        "SELECT DISTINCT s.d, coalesce(x.l, s.n) AS g FROM (\n"
        f"    SELECT DISTINCT delivery_id AS d, 'd' || demand_id AS n FROM {links}\n"
        "    WHERE delivery_id IS NOT NULL AND demand_id IS NOT NULL\n"
        f"    UNION SELECT DISTINCT delivery_id, 'o' || offer_id FROM {links} WHERE delivery_id IS NOT NULL AND offer_id IS NOT NULL\n"
        f") AS s LEFT JOIN {LABELS} AS x ON x.n = s.n"
    )


def loose_groups_sql(rows: str, columns: str) -> str:
    """``SELECT DISTINCT columns, g``: the rows of ``rows`` without a delivery id, with the group ``g`` of their
    demand or offer id (a row carrying both is in one group), after the rounds have labelled them. ``columns``
    are columns of ``rows``."""
    return (
        f"SELECT DISTINCT {', '.join(f's.{c.strip()}' for c in columns.split(','))}, coalesce(x.l, s.n) AS g FROM (\n"
        f"    SELECT {columns}, 'd' || demand_id AS n FROM {rows} WHERE delivery_id IS NULL AND demand_id IS NOT NULL\n"
        f"    UNION ALL SELECT {columns}, 'o' || offer_id FROM {rows} WHERE delivery_id IS NULL AND offer_id IS NOT NULL\n"
        f") AS s LEFT JOIN {LABELS} AS x ON x.n = s.n"
    )
