"""Event sources: where timelines read events from (the local DuckDB store, Amazon Redshift)."""

from __future__ import annotations

from typing import Sequence


def linked_ids_predicate(demands: Sequence[str], offers: Sequence[str], mark: str) -> tuple[str, list[str]]:
    """``demand_id IN (...) OR offer_id IN (...)`` for a hop of linked events, with ``mark`` as the
    driver's placeholder (``?`` for DuckDB, ``%s`` for redshift_connector); the ids are parameters."""
    parts, params = [], []
    for column, values in (("demand_id", demands), ("offer_id", offers)):
        if values:
            parts.append(f"{column} IN ({', '.join([mark] * len(values))})")
            params += list(values)
    return " OR ".join(parts), params
