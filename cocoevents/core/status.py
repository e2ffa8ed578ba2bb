"""A delivery's status (timeline rules §6), in Python and as the one SQL text every database runs.

The last delivery outcome of the delivery lane decides (``delivery.dropoff_completed``: fulfilled,
``delivery.failed``: failed); without one, the last demand outcome (``demand.fulfilled``: fulfilled,
``demand.canceled``: canceled); without either, the delivery is in progress. "Last" is timeline order (rule 6).
The outcome table itself is the registry's (``DELIVERY_OUTCOMES``, ``DEMAND_OUTCOMES``).

- ``status_of(names)``: the rule over the names of a delivery lane's events in timeline order. The sessionizer
  (``sessionize.delivery_status``) and the local store's walk over its status tables use it.
- ``status_sql(...)``: the same rule as one ``SELECT`` over a relation of outcome rows, for every delivery at
  once. The local store's kept statuses (``store.statuses``) run it on DuckDB; the dbt project's
  ``dim_delivery_sessions`` runs it through the macro ``coco_delivery_status``, generated from this text
  (``devtools.dbt_rules``; a test holds the dbt copy equal). Another test holds it equal to ``status_of`` on
  random outcome rows, on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

from typing import Iterable

from ..producers.registry import DELIVERY_OUTCOMES, DEMAND_OUTCOMES, STATUSES, registry_sort_key

IN_PROGRESS = "in_progress"
OUTCOME_NAMES = (*DELIVERY_OUTCOMES, *DEMAND_OUTCOMES)  # the events that can decide a status
_OUTCOMES = {**DEMAND_OUTCOMES, **DELIVERY_OUTCOMES}


def status_of(names: Iterable[str]) -> str:
    """The status of a delivery whose delivery-lane events, in timeline order, have these ``names``."""
    last_delivery = last_demand = None
    for name in names:
        if name in DELIVERY_OUTCOMES:
            last_delivery = name
        elif name in DEMAND_OUTCOMES:
            last_demand = name
    if last_delivery is not None:
        return DELIVERY_OUTCOMES[last_delivery]
    if last_demand is not None:
        return DEMAND_OUTCOMES[last_demand]
    return IN_PROGRESS


def outcome_events(status: str) -> tuple[str, ...]:
    """The events whose presence in the delivery lane a status other than ``in_progress`` needs."""
    if status not in STATUSES:
        raise ValueError(f"not a status: {status!r}")
    return tuple(name for name in OUTCOME_NAMES if _OUTCOMES[name] == status)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)  # the registry's constants, never a value from outside


def registry_position_sql(event: str) -> str:
    """The registry position of the outcome named by the column ``event`` (rule 6 orders ties at one instant
    by it)."""
    return "CASE " + " ".join(f"WHEN {event} = '{n}' THEN {registry_sort_key(n)[0]}" for n in OUTCOME_NAMES) + " END"


def status_sql(rows: str, delivery: str, event: str, later: str) -> str:
    """``status_of`` for every delivery at once: a ``SELECT`` of ``(delivery, status)`` over ``rows`` (a relation
    or a derived table), one row per delivery that has an outcome among its rows; a delivery without one is
    in progress (the caller's outer join says so). ``rows`` are a delivery's delivery-lane rows (others are left
    out), with the columns named by ``delivery`` and ``event``; ``later`` orders them last first (timeline order
    reversed: ``ts DESC, <registry position> DESC``, or a timeline's row position ``DESC``).

    The text uses only what DuckDB, PostgreSQL and Redshift share; the outcome names are the registry's
    constants."""
    deliveries = _quoted(DELIVERY_OUTCOMES)
    status = "CASE " + " ".join(f"WHEN {event} = '{n}' THEN '{_OUTCOMES[n]}'" for n in OUTCOME_NAMES) + " END"
    return (
        f"SELECT {delivery}, status FROM (\n"
        f"    SELECT {delivery}, {status} AS status,\n"
        f"           ROW_NUMBER() OVER (PARTITION BY {delivery}\n"
        f"                              ORDER BY CASE WHEN {event} IN ({deliveries}) THEN 1 ELSE 0 END DESC, {later}) AS k\n"
        f"    FROM {rows}\n"
        f"    WHERE {event} IN ({_quoted(OUTCOME_NAMES)})\n"
        ") coco_ranked_outcomes WHERE k = 1"
    )
