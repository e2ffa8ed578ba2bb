"""Rules the codebase keeps about itself: what a maintainer can rely on when finding their way in it."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

from ..support.cli import ROOT

PACKAGE = ROOT / "cocoevents"
MAX_LINES = 700


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def test_no_module_imports_a_private_name_from_another_module() -> None:
    found = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                source = resolve(path, node)
                if not source.startswith("cocoevents"):
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} from {source}")
    assert found == []


def test_a_private_name_found_by_the_check_is_reported() -> None:
    """The check above sees both absolute and relative imports of private names (it cannot pass vacuously)."""
    sample = ast.parse("from .model import _shape\nfrom cocoevents.core.model import _keys\n")
    names = [a.name for n in ast.walk(sample) if isinstance(n, ast.ImportFrom) for a in n.names]
    assert [n for n in names if n.startswith("_")] == ["_shape", "_keys"]
    assert resolve(PACKAGE / "core" / "findings.py", sample.body[0]) == "cocoevents.core.model"  # type: ignore[arg-type]


def test_no_module_of_the_package_is_over_700_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_package_root_holds_only_the_public_api_the_errors_and_the_ground_floor() -> None:
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert root == ["__init__.py", "api.py", "duckdb_engine.py", "errors.py", "redact.py", "textsafe.py", "timestamps.py"]


OUTSIDE = re.compile(r"(?<![\w.-])(?:\.\./)+shared\b|(?<![\w/.-])spec/[\w.-]+\.md|/work/|\bseed/[\w.-]+\.md")


def test_no_code_test_or_doc_refers_to_a_file_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in (".py", ".md", ".yml", ".yaml", ".sql", ".json", ".toml", ".ts", ".go", ".tf", ".js", ".txt"):
            continue
        if not path.is_file() or name == "tests/integration/test_codebase_rules.py" or name.startswith("tests/docs/"):
            continue
        for k, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{name}:{k}: {line.strip()[:100]}")
    assert hits == []


def test_the_layer_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml: the pipeline's layers, a pure core, render apart from stores."""
    result = subprocess.run(["lint-imports", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
