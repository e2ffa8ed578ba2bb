"""Event sources: where timelines read events from. This package is the one place that knows the kinds.

A kind of source is a module named in ``KINDS`` (one line each). Such a module declares:

- ``SETTINGS``: its profile keys as ``settings.Setting`` (name, type, default, help) - the defaults live there;
- ``Settings``: a frozen class with ``Settings.from_values(where, name, values)`` that validates plain values
  (from a profile, the command line or the environment) and ``describe()`` for ``coco config show``;
- ``open(settings, *, now=None, wait=None, connection=None)``: the ``EventSource`` (``core.sessionize.EventSource``);
  ``connection`` is a read-only connection to the local store opened ahead (only the local kind uses it);
- ``check(settings)``: the one ``ok`` line of ``coco doctor``, or a ``CocoError``.

``resolve(profile, store)`` is the one merge of configuration and command line, used alike by the CLI,
``cocoevents.timeline()``, ``coco demo`` and ``coco doctor``; ``open_source`` the one constructor. The config
file is read only when the answer depends on it (an explicit ``--store`` without ``--profile`` never reads it).
Importing this package imports no driver and no database.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Optional, Sequence

from ..errors import UsageError

KINDS = {
    "local": "cocoevents.sources.local",
    "redshift": "cocoevents.sources.redshift",
    "s3": "cocoevents.sources.s3",
}


def kind_module(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise UsageError(f"unknown kind of source {kind!r} (known: {', '.join(KINDS)})")
    return importlib.import_module(KINDS[kind])


@dataclass(frozen=True)
class Profile:
    """A named, validated choice of source: its kind and that kind's ``Settings``."""

    name: str
    kind: str
    settings: Any


@dataclass(frozen=True)
class Resolved:
    """What the command line and the configuration decided together, and why (for ``config show``)."""

    kind: str
    settings: Any
    profile: Optional[str]
    why: str
    config: Any = None  # the Config read, when it was read
    note: Optional[str] = None  # what a command says once on stderr about this choice (the demo store in place of none)


def profile_from_values(where: str, name: str, values: dict[str, Any]) -> Profile:
    kind = values.get("source")
    if kind not in KINDS:
        raise UsageError(f"{where}: 'source' must be one of {', '.join(KINDS)}")
    rest = {k: v for k, v in values.items() if k != "source"}
    return Profile(name, kind, kind_module(kind).Settings.from_values(where, name, rest))


def profiles(config: Any) -> dict[str, Profile]:
    """Every profile of a ``config.Config``, each validated by its kind's settings. A command validates only the
    profile it uses (``select``)."""
    return {name: profile_from_values(f"config {config.path}: profile {name!r}", name, values) for name, values in config.profiles.items()}


def select(name: Optional[str], *, store_given: bool = False, config: Any = None) -> Optional[Profile]:
    """The profile named, else (without an explicit store) the default one, else ``None`` (local store). Only
    that profile is validated: a broken or unusual profile breaks only the commands that use it."""
    from .configfile import load_config

    config = config or load_config()
    if name:
        if name not in config.profiles:
            where = f"in {config.path}" if config.exists else f"(no config file at {config.path})"
            listed = f" (profiles: {', '.join(sorted(config.profiles))})" if config.profiles else ""
            raise UsageError(f"no profile {name!r} {where}{listed}")
    elif store_given or config.default is None:
        return None
    else:
        name = config.default
    return profile_from_values(f"config {config.path}: profile {name!r}", name, config.profiles[name])


def local_settings(store: Optional[str | Path] = None, where: str = "--store") -> Any:
    return kind_module("local").Settings.from_values(where, None, {"store": str(store)} if store else {})


def default_local(config: Any = None) -> Resolved:
    """The local store read when neither a store nor a profile is named: the default store; while it does not
    exist, the demo store if ``coco demo`` made one (``store.config.demo_in_place_of_default``), with the note
    a command prints once on stderr."""
    from ..store.config import demo_in_place_of_default

    demo = demo_in_place_of_default()
    if demo is None:
        return Resolved("local", local_settings(), None, "no profile chosen and no default", config)
    # One line that fits 80 columns; where the stores are is what 'coco config show' says.
    note = "coco: no store yet; reading the demo store ('coco load PATH' makes one)"
    return Resolved("local", local_settings(demo, "the demo store"), None, "no store of your own yet: the demo store", config, note)


def resolve(profile: Optional[str] = None, store: Optional[str | Path] = None) -> Resolved:
    """Which source a command (or the library) reads: ``--profile`` (or ``COCO_PROFILE``) first, with
    ``--store`` overriding a local profile's store; else an explicit ``--store`` (or ``COCO_STORE``) means the
    local store; else the config file's ``default``; else the local store at its default path - or, while
    there is none, the demo store (``default_local``). Only the profile chosen is validated: a broken profile
    the command does not use changes nothing."""
    profile = profile or os.environ.get("COCO_PROFILE") or None
    store = store or os.environ.get("COCO_STORE") or None
    if profile is None and store is not None:
        return Resolved("local", local_settings(store), None, "--store")
    from .configfile import load_config

    config = load_config()
    chosen = select(profile, store_given=store is not None, config=config)
    if chosen is None:
        return default_local(config)
    why = "--profile / COCO_PROFILE" if profile else f"the default in {config.path.name}"
    settings = chosen.settings
    if chosen.kind == "local" and store is not None:
        settings = local_settings(store)
    return Resolved(chosen.kind, settings, chosen.name, why, config)


def open_source(
    resolved: Optional[Resolved] = None,
    *,
    profile: Optional[str] = None,
    store: Optional[str | Path] = None,
    now: Optional[int] = None,
    wait: Optional[float] = None,
    connection: Any = None,
) -> Any:
    """The event source of ``resolved`` (or of ``resolve(profile, store)``); ``wait``: how long a reader of
    the local store waits for a running load (``--wait``); ``connection``: the local store opened ahead."""
    resolved = resolved or resolve(profile, store)
    return kind_module(resolved.kind).open(resolved.settings, now=now, wait=wait, connection=connection)


def check(resolved: Resolved) -> str:
    """``coco doctor``'s line for the resolved source (a ``CocoError`` when it does not answer)."""
    return kind_module(resolved.kind).check(resolved.settings)


def linked_ids_predicate(demands: Sequence[str], offers: Sequence[str], mark: str) -> tuple[str, list[str]]:
    """``demand_id IN (...) OR offer_id IN (...)`` for a hop of linked events, with ``mark`` as the
    driver's placeholder (``?`` for DuckDB, ``%s`` for redshift_connector); the ids are parameters."""
    parts, params = [], []
    for column, values in (("demand_id", demands), ("offer_id", offers)):
        if values:
            parts.append(f"{column} IN ({', '.join([mark] * len(values))})")
            params += list(values)
    return " OR ".join(parts), params
