"""The dbt project's copy of coco's rule SQL, generated from the core's text (``dbt/macros/coco_rules.sql``).

    python -m cocoevents.devtools.dbt_rules           # rewrite dbt/macros/coco_rules.sql
    python -m cocoevents.devtools.dbt_rules --check   # exit 1 when the file is not what the core's text gives

Each macro is a rule's one SQL text in ``cocoevents.core`` with the caller's relation and columns as the macro's
arguments: ``coco_delivery_status`` is ``core.status.status_sql`` (timeline rules §6). A test holds the file
equal to ``macros()``, so the dbt project cannot drift from what coco runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.status import status_sql
from ..textsafe import say

PATH = Path(__file__).resolve().parents[2] / "dbt" / "macros" / "coco_rules.sql"
HEADER = """{#
  Generated from coco's own SQL by `python -m cocoevents.devtools.dbt_rules`: do not edit, regenerate
  (tests/integration/test_dbt_project.py fails when this file differs from what the core gives).
#}
"""


def macros() -> str:
    """The text of ``dbt/macros/coco_rules.sql``."""
    status = status_sql("{{ rows }}", "{{ delivery }}", "{{ event }}", "{{ later }}")
    return (
        HEADER
        + "\n{#- Timeline rules §6 (cocoevents/core/status.py): (delivery, status) of every delivery with an outcome\n"
        + "    among `rows`, its delivery-lane rows; `later` orders them last first. The others are in progress. #}\n"
        + "{% macro coco_delivery_status(rows, delivery, event, later) -%}\n"
        + status
        + "\n{%- endmacro %}\n"
    )


def main(argv: list[str]) -> int:
    text = macros()
    if "--check" in argv:
        if not PATH.exists() or PATH.read_text() != text:
            say(f"{PATH} is not what the core's SQL gives: run python -m cocoevents.devtools.dbt_rules")
            return 1
        return 0
    PATH.write_text(text)
    print(f"wrote {PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
