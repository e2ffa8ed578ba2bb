"""The config file ``coco config init`` writes: a local profile in use, an ``s3`` and a ``redshift`` profile
ready to uncomment, and every setting of each kind with its default and help (from the kinds' ``SETTINGS``, so
the file cannot drift from what coco accepts).

Every line of the two commented profiles reads as valid TOML once its leading ``# `` is removed, with example
values for the required keys; the tests uncomment them and validate each profile.
"""

from __future__ import annotations

import json
from typing import Any

from . import kind_module

# Example values for settings without a default that a profile of the kind needs (the rest stay out).
EXAMPLES: dict[str, dict[str, Any]] = {
    "local": {},
    "s3": {"bucket": "coco-event-logs", "region": "us-west-2"},
    "redshift": {"host": "analytics.abc123.us-west-2.redshift.amazonaws.com", "database": "analytics", "user": "oncall"},
}
# Example values of optional settings without a default, shown commented out.
OPTIONAL_EXAMPLES: dict[str, dict[str, Any]] = {"local": {"store": "~/coco/events.duckdb"}, "s3": {}, "redshift": {}}
PROFILES = (  # (profile name, kind, in use, what it is for)
    ("local", "local", True, "The local store that 'coco load' and 'coco demo' fill (the default without any profile)."),
    ("archive", "s3", False, "The S3 archive, synced day by day into a local cache: uncomment, set the bucket."),
    ("prod", "redshift", False, "Redshift: uncomment, set host, database and user; the password comes from COCO_REDSHIFT_PASSWORD."),
)
HEADER = """\
# coco's configuration: profiles name where coco reads events from.
#
# Without --profile (or COCO_PROFILE), coco reads the local store; set default = "NAME" to read a profile
# instead. 'coco config show [--profile NAME]' prints what a command would use, 'coco doctor [--profile NAME]'
# checks that it answers. Only the profile in use is read, so a profile being filled in breaks nothing else.
#
# Secrets never go in this file: the Redshift password comes only from COCO_REDSHIFT_PASSWORD (or IAM), AWS
# credentials from the usual AWS chain (environment, aws_profile, SSO). A file others can write is refused.

# default = "local"
"""


def toml_value(setting: Any, value: Any) -> str:
    """``value`` of ``setting`` as TOML (a duration as its text: ``60s``, ``14d``)."""
    if setting.type == "duration":
        from ..timestamps import format_duration

        return json.dumps(format_duration(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def profile_lines(name: str, kind: str) -> list[str]:
    """The lines of one profile: ``source``, the example values of its required keys, then every setting with
    a default (or an example) as a comment; the keys without either are named at the end."""
    settings = kind_module(kind).SETTINGS
    examples = EXAMPLES[kind]
    lines = [f"[profiles.{name}]", f'source = "{kind}"']
    width = 40
    for s in settings:
        if s.name in examples:
            lines.append(f"{s.name} = {toml_value(s, examples[s.name])}".ljust(width) + f"  # {s.help}")
    optional = OPTIONAL_EXAMPLES[kind]
    for s in settings:
        value = optional.get(s.name, s.default)
        if s.name not in examples and value is not None:
            lines.append(f"# {s.name} = {toml_value(s, value)}".ljust(width) + f"  # {s.help}")
    others = [s.name for s in settings if s.name not in examples and s.name not in optional and s.default is None]
    if others:
        lines.append(f"# also: {', '.join(others)} (docs: Sources and profiles, 'Every setting')")
    return lines


def template() -> str:
    """The whole file."""
    out = [HEADER]
    for name, kind, used, what in PROFILES:
        lines = profile_lines(name, kind)
        out.append(f"\n# {what}\n")
        if used:
            out.append("\n".join(lines) + "\n")
        else:  # commented: a line already a comment gets a second '#', so uncommenting restores it as it was
            out.append("\n".join("# " + line for line in lines) + "\n")
    return "".join(out)
