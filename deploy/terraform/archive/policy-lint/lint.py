"""Lint the IAM, bucket and key policy templates of ../policies with parliament, as Terraform renders them.

    python lint.py                  render with example-values.json and lint; exit 1 on any finding not in
                                    ignores.yaml, or on an entry of ignores.yaml that matches no finding
    python lint.py --render OUT     only write the rendered documents to OUT (used by the tests)

Needs parliament (``pip install parliament==1.6.4``) for linting; rendering needs only the standard library.
Rendering replaces each ``${name}`` with its value, which is what Terraform's templatefile() does for templates
that use nothing but plain references; anything else (``%{`` directives, expressions) is refused, as is a name
without a value and a result that is not JSON. tests/deploy/test_terraform.py checks that real Terraform renders
every template to the same document. Community auditors are on.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLICIES = HERE.parent / "policies"
REFERENCE = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


def templates() -> list[Path]:
    return sorted(POLICIES.glob("*.json"))


def example_values() -> dict[str, str]:
    return json.loads((HERE / "example-values.json").read_text())


def render(text: str, values: dict[str, str]) -> str:
    rest = REFERENCE.sub("", text)
    if "${" in rest or "%{" in rest:
        raise ValueError("only plain ${name} references are supported in a policy template")
    missing = sorted(set(REFERENCE.findall(text)) - set(values))
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    out = REFERENCE.sub(lambda m: values[m.group(1)], text)
    json.loads(out)
    return out


def rendered(values: dict[str, str] | None = None) -> dict[str, str]:
    values = example_values() if values is None else values
    return {p.name: render(p.read_text(), values) for p in templates()}


def findings(documents: dict[str, str]) -> list[dict]:
    """parliament's findings on each document, community auditors included: file, issue, severity, actions, detail."""
    import parliament
    from parliament import analyze_policy_string, enhance_finding

    # As the CLI does with --include-community-auditors: their finding ids and severities.
    parliament.override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    out = []
    for name, text in sorted(documents.items()):
        policy = analyze_policy_string(text, name, include_community_auditors=True)
        for f in policy.findings:
            f = enhance_finding(f)
            actions = sorted(str(a).lower() for a in (f.location or {}).get("actions", []))
            out.append(
                {
                    "file": name,
                    "issue": f.issue,
                    "severity": f.severity,
                    "title": f.title,
                    "actions": actions,
                    "detail": f.detail,
                    "location": dict(f.location or {}),
                }
            )
    return out


def ignores() -> list[dict]:
    import yaml

    return yaml.safe_load((HERE / "ignores.yaml").read_text())


def matches(rule: dict, finding: dict) -> bool:
    if (rule["file"], rule["issue"]) != (finding["file"], finding["issue"]):
        return False
    return "actions" not in rule or sorted(a.lower() for a in rule["actions"]) == finding["actions"]


def lint() -> int:
    found, rules = findings(rendered()), ignores()
    used = [False] * len(rules)
    failed = 0
    for f in found:
        hits = [i for i, r in enumerate(rules) if matches(r, f)]
        for i in hits:
            used[i] = True
        where = f"{f['file']}: {f['severity']} {f['issue']} ({f['title']})"
        extra = f" actions={f['actions']}" if f["actions"] else ""
        if hits:
            print(f"accepted  {where}{extra}\n          because: {' '.join(rules[hits[0]]['reason'].split())}")
        else:
            failed += 1
            print(f"FINDING   {where}{extra} detail={f['detail']} location={f['location']}")
    for rule, u in zip(rules, used):
        if not u:
            failed += 1
            print(f"STALE     ignores.yaml entry matches no finding: {rule['file']} {rule['issue']}")
    print(
        f"parliament: {len(templates())} documents, {len(found)} findings, "
        f"{len(found) - sum(1 for f in found if not any(matches(r, f) for r in rules))} accepted, {failed} failing"
    )
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--render"] and len(argv) == 2:
        out = Path(argv[1])
        out.mkdir(parents=True, exist_ok=True)
        for name, text in rendered().items():
            (out / name).write_text(text)
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    return lint()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
