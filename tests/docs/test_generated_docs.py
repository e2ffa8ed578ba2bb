"""The docs that come from coco itself are current, every command and option is documented, and no page points
outside the repository.

``python tools/docs/generate.py`` rewrites the generated parts; these tests fail when one is stale (as
sqlite-utils' ``cog --check`` and ``test_docs.py`` do): the command reference (each command's ``--help``), the
table of profile settings (from the source registry), the example outputs (``<!-- output: COMMAND -->``) and the
screenshots of ``coco explore`` (copies of its snapshot tests' SVGs).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support import ROOT, generator

PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))]


def _part(text: str, name: str) -> str:
    g = generator()
    begin = g.BEGIN.format(name=name)
    assert text.count(begin) == 1, f"no {begin} marker"
    return text.split(begin, 1)[1].split(g.END, 1)[0].strip()


def _sections(reference: str) -> dict[str, str]:
    """The command reference's sections by anchor (``timeline``, ``store-files``, ``coco`` for the root)."""
    heads = list(re.finditer(r"^#+ coco[^\n]*\{#(?P<anchor>[a-z-]+)\}$", reference, re.M))
    return {
        h.group("anchor"): reference[h.end() : (heads[k + 1].start() if k + 1 < len(heads) else len(reference))]
        for k, h in enumerate(heads)
    }


@pytest.mark.slow
def test_the_command_reference_is_each_commands_help_as_coco_prints_it(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "commands.md").read_text()
    assert _part(page, "commands") == generator().commands_part(tmp_path).strip(), (
        "docs/commands.md is stale: run python tools/docs/generate.py"
    )


def test_every_command_and_option_is_in_the_command_reference() -> None:
    sections = _sections(_part((ROOT / "docs" / "commands.md").read_text(), "commands"))
    missing = []
    for c in generator().commands():
        anchor = "-".join(c.path) or "coco"
        if anchor not in sections:
            missing.append(f"{c.name}: no section")
            continue
        missing += [f"{c.name} {o}" for o in c.options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", sections[anchor])]
    assert not missing, "undocumented in docs/commands.md (run python tools/docs/generate.py):\n" + "\n".join(missing)


def test_the_command_overview_links_every_top_level_command() -> None:
    page = (ROOT / "docs" / "commands.md").read_text()
    overview = page.split(generator().BEGIN.format(name="commands"))[0]
    missing = [c.name for c in generator().commands() if len(c.path) == 1 and f"(#{c.path[0]})" not in overview]
    assert not missing, f"docs/commands.md's table lacks {missing}"


def test_the_settings_table_is_the_source_registry() -> None:
    page = (ROOT / "docs" / "sources.md").read_text()
    assert _part(page, "settings") == generator().settings_part().strip(), (
        "docs/sources.md's settings table is stale: run python tools/docs/generate.py"
    )


def test_every_setting_of_every_kind_is_in_the_table() -> None:
    from cocoevents.sources import KINDS, kind_module

    table = _part((ROOT / "docs" / "sources.md").read_text(), "settings")
    missing = [f"{kind}.{s.name}" for kind in KINDS for s in kind_module(kind).SETTINGS if f"| `{kind}` | `{s.name}` |" not in table]
    assert not missing, missing


@pytest.mark.slow
def test_the_example_outputs_are_what_coco_prints_on_the_demo_store(tmp_path: Path) -> None:
    g = generator()
    runner: list = []
    stale = []
    for page in PAGES:
        text = (ROOT / page).read_text()
        if not g.OUTPUT.search(text):
            continue
        if g.render(page, text, tmp_path, runner, parts=False) != text:
            stale.append(page)
    assert not stale, f"stale example outputs in {stale}: run python tools/docs/generate.py"


OUTSIDE = re.compile(r"(?<![\w.-])(?:\.\./)+shared\b|(?<![\w/.-])spec/[\w.-]+\.md|/work/|\bseed/[\w.-]+\.md")


@pytest.mark.parametrize("page", PAGES)
def test_no_page_refers_to_a_file_outside_the_repository(page: str) -> None:
    text = (ROOT / page).read_text()
    found = [f"{page}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert not found, "\n".join(found)


def test_the_readmes_links_lead_to_files_in_the_repository() -> None:
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\((?!https?://|#)([^)#\s]+)", text)
    assert targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, missing


def test_the_readme_is_a_door_not_a_manual() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 220


def test_the_explore_screenshots_are_the_snapshot_tests_pictures() -> None:
    g = generator()
    assert g.stale_screenshots(check=True) == []
    pages = "".join((ROOT / p).read_text() for p in PAGES)
    for shot in g.SCREENSHOTS:
        assert shot.removeprefix("docs/") in pages, f"{shot} is shown on no page"
