"""Regenerate the parts of the docs that come from coco itself, so they cannot drift.

    python tools/docs/generate.py           # rewrite the generated parts in place
    python tools/docs/generate.py --check   # exit 1 and name the stale files, writing nothing

Three kinds of generated part, each between markers in a Markdown file:

- ``<!-- generated: commands -->`` ... ``<!-- end generated -->`` (docs/commands.md): one section per command
  and subcommand, holding its ``--help`` exactly as ``coco`` prints it 100 columns wide;
- ``<!-- generated: settings -->`` ... ``<!-- end generated -->`` (docs/sources.md): a table of every profile
  setting of every kind of source, read from the source registry (``cocoevents.sources.KINDS``, each kind
  module's ``SETTINGS``);
- ``<!-- output: COMMAND -->`` followed by a fenced ``text`` block (any page, the README too): the block is
  COMMAND's stdout, run by bash in a scratch folder against the demo store (``coco demo`` into temporary XDG
  folders; ``COCO_STORE`` names the demo store), 100 columns wide, without colour.

Besides the parts, the screenshots of ``coco explore`` in ``docs/explore/`` are copies of the snapshot tests' SVGs
(``tests/explore/__snapshots__/``, made by ``pytest tests/explore/test_snapshots.py --snapshot-update``), so
the pictures in the docs are the screens the tests check (``SCREENSHOTS``).

``tests/docs/test_generated_docs.py`` fails when any part is stale, and when a command or an option is missing
from the command reference.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = "100"
BEGIN = "<!-- generated: {name} -->"
END = "<!-- end generated -->"
OUTPUT = re.compile(r"^<!-- output: (?P<command>.+?) -->\n```text\n(?P<body>.*?)^```$", re.M | re.S)
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))]
SNAPSHOTS = "tests/explore/__snapshots__/test_snapshots"
SCREENSHOTS = {  # docs/explore/NAME: the snapshot test's SVG it copies
    "docs/explore/overview.svg": f"{SNAPSHOTS}/test_the_overview[160x48].svg",
    "docs/explore/error-code.svg": f"{SNAPSHOTS}/test_an_error_codes_events[160x48].svg",
    "docs/explore/root-cause.svg": f"{SNAPSHOTS}/test_the_root_cause_of_d12345_after_five_keys[160x48].svg",
    "docs/explore/robots-day.svg": f"{SNAPSHOTS}/test_a_robots_day[160x48].svg",
    "docs/explore/twin.svg": f"{SNAPSHOTS}/test_d12345_beside_its_twin[160x48].svg",
    "docs/explore/help.svg": f"{SNAPSHOTS}/test_the_help.svg",
}


def coco_bin() -> str:
    """The ``coco`` script of the running interpreter's environment (the one the tests import)."""
    here = Path(sys.executable).parent / "coco"
    return str(here) if here.exists() else "coco"


def base_env(home: Path) -> dict[str, str]:
    """An environment that reads and writes nothing of the user's: XDG folders under ``home``, no profile or
    store from the caller, no colour, a fixed width."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCO_")}
    env.update(
        {
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "HOME": str(home / "home"),
            "COLUMNS": COLUMNS,
            "LINES": "50",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "TZ": "UTC",
            "PATH": f"{Path(coco_bin()).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    for sub in ("data", "config", "cache", "home"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return env


# -- the command reference ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]  # ("store", "files")
    options: tuple[str, ...]  # every long and short option name, e.g. ("--since", "--format", "-f")
    arguments: tuple[str, ...]  # argument names as --help shows them (upper case)
    is_group: bool

    @property
    def name(self) -> str:
        return " ".join(("coco", *self.path))


def commands() -> list[Command]:
    """``coco`` itself, then every command and subcommand, in the order ``coco --help`` lists them."""
    import typer

    from cocoevents.cli.main import app  # the app with every command registered

    def walk(cmd: Any, path: tuple[str, ...]) -> Iterator[Command]:
        opts: list[str] = []
        args: list[str] = []
        for p in cmd.params:
            if getattr(p, "hidden", False):
                continue
            if p.param_type_name == "argument":
                args.append(p.name.upper())
            else:
                opts += [o for o in (*p.opts, *p.secondary_opts)]
        group = hasattr(cmd, "commands")
        yield Command(path, tuple(opts), tuple(args), group)
        if group:
            for name, sub in cmd.commands.items():
                if not getattr(sub, "hidden", False):
                    yield from walk(sub, (*path, name))

    return list(walk(typer.main.get_command(app), ()))


def help_text(path: tuple[str, ...], env: dict[str, str]) -> str:
    done = subprocess.run([coco_bin(), *path, "--help"], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"coco {' '.join(path)} --help exited {done.returncode}: {done.stderr.strip()}")
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def commands_part(home: Path) -> str:
    env = base_env(home)
    out = []
    for c in commands():
        level = "#" * (1 + max(1, len(c.path)))  # "## coco", "## coco timeline", "### coco store files"
        anchor = "-".join(c.path) or "coco"
        out += [f"{level} {c.name} {{#{anchor}}}", "", "```text", help_text(c.path, env), "```", ""]
    return "\n".join(out).rstrip() + "\n"


# -- the settings table -------------------------------------------------------------------------------------


def _duration(us: int) -> str:
    for unit, size in (("d", 86_400_000_000), ("h", 3_600_000_000), ("s", 1_000_000)):
        if us % size == 0:
            return f"{us // size}{unit}"
    return f"{us / 1e6:g}s"


def _default(setting: Any) -> str:
    value = setting.default
    if value is None:
        return "—"
    if setting.type == "duration":
        return f"`{_duration(value)}`"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value == "":
        return '`""`'
    return f"`{value}`"


def _type(setting: Any) -> str:
    if setting.type == "choice":
        return " \\| ".join(f"`{c}`" for c in setting.choices)
    return setting.type


def settings_part() -> str:
    from cocoevents.sources import KINDS, kind_module

    rows = ["| source | key | type | default | what |", "|---|---|---|---|---|"]
    for kind in KINDS:
        for s in kind_module(kind).SETTINGS:
            text = s.help.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            rows.append(f"| `{kind}` | `{s.name}` | {_type(s)} | {_default(s)} | {text} |")
    return "\n".join(rows) + "\n"


# -- command outputs ----------------------------------------------------------------------------------------


class DemoRunner:
    """Runs documented commands against the demo store in scratch folders of its own."""

    def __init__(self, home: Path) -> None:
        self.env = base_env(home)
        self.cwd = home / "work"
        self.cwd.mkdir(exist_ok=True)
        done = subprocess.run([coco_bin(), "demo", "--no-color"], env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"coco demo exited {done.returncode}: {done.stderr.strip()}")
        self.env["COCO_STORE"] = str(home / "data" / "coco" / "demo.duckdb")

    def stdout(self, command: str) -> str:
        done = subprocess.run(["bash", "-c", command], env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=300)
        lines = [line.rstrip() for line in done.stdout.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)


# -- putting it together ------------------------------------------------------------------------------------


def replace_part(text: str, name: str, body: str, where: str) -> str:
    begin = BEGIN.format(name=name)
    if text.count(begin) != 1 or text.count(END) < 1:
        raise ValueError(f"{where}: expected one {begin} ... {END}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{begin}\n\n{body}\n{END}{tail}"


def render(page: str, text: str, home: Path, runner: list[DemoRunner], *, parts: bool = True) -> str:
    """``text`` with its generated parts rewritten (``parts=False``: the example outputs only)."""
    if parts and BEGIN.format(name="commands") in text:
        text = replace_part(text, "commands", commands_part(home / "help"), page)
    if parts and BEGIN.format(name="settings") in text:
        text = replace_part(text, "settings", settings_part(), page)

    def output(m: re.Match[str]) -> str:
        if not runner:
            runner.append(DemoRunner(home / "demo"))
        body = runner[0].stdout(m.group("command"))
        return f"<!-- output: {m.group('command')} -->\n```text\n{body}\n```"

    return OUTPUT.sub(output, text)


def stale_screenshots(check: bool = False) -> list[str]:
    """The screenshots in ``docs/explore/`` that differ from their snapshot (copied unless ``check``)."""
    stale = []
    for shot, snapshot in SCREENSHOTS.items():
        want = (ROOT / snapshot).read_bytes()
        path = ROOT / shot
        if not path.exists() or path.read_bytes() != want:
            stale.append(shot)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(want)
    return stale


def generate(check: bool = False) -> list[str]:
    """The pages whose generated parts are stale, and the stale screenshots (rewritten unless ``check``)."""
    stale = stale_screenshots(check)
    with tempfile.TemporaryDirectory(prefix="coco-docs-") as tmp:
        runner: list[DemoRunner] = []
        for page in PAGES:
            path = ROOT / page
            text = path.read_text()
            new = render(page, text, Path(tmp), runner)
            if new != text:
                stale.append(page)
                if not check:
                    path.write_text(new)
    return stale


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = generate(check=check)
    for page in stale:
        print(f"{'stale' if check else 'rewrote'}: {page}", file=sys.stderr)
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
