"""Running deploy/vector/vector.yaml's VRL programs, and its Vector unit tests, in real VRL runtimes from PyPI.

The Vector binary is not installable here, so `vector test` cannot run. Two Python bindings of the VRL crate can:
``pyvrl`` (``Transform(source).remap(event)`` returns the value of the program's last expression) and
``vrl-python`` (``VRLRuntime().execute(source, event)`` returns ``processed_event`` and ``runtime_result``). Both
compile a program with VRL's own compiler, so a fallible call left unhandled is a compile error here as in Vector.

A pipeline step is run as VRL text: the remaps on the way to a transform are concatenated into one program, so
values keep their VRL types (a timestamp stays a timestamp) from one step to the next, and a filter's condition
is evaluated as the last expression of the program made of the remaps before it. The event that leaves a step is
read back through VRL's ``encode_json(.)``, i.e. as JSON text.

What this does not reproduce from Vector: the source (``kubernetes_logs`` adds its own fields; a unit test's input
is only its ``log_fields``), the sink's encoder, and what a remap does with an event whose program fails at run time
(Vector forwards it unchanged; here the failure is an error).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
VECTOR = ROOT / "deploy" / "vector" / "vector.yaml"
VECTOR_TESTS = sorted((ROOT / "deploy" / "vector" / "tests").glob("*.yaml"))


class VRLError(Exception):
    """A VRL program failed to compile or aborted (an ``assert!`` that does not hold, say)."""


@dataclass(frozen=True)
class Runtime:
    name: str
    run: Callable[[str, dict[str, Any]], Any]  # program, event -> value of the last expression


def _pyvrl() -> Runtime:
    pyvrl = pytest.importorskip("pyvrl", reason="pyVRL is not installed (pip install -e '.[test]' installs it)")
    cache: dict[str, Any] = {}

    def run(program: str, event: dict[str, Any]) -> Any:
        try:
            if program not in cache:
                cache[program] = pyvrl.Transform(program)
            return cache[program].remap(event)
        except ValueError as e:  # pyvrl raises ValueError for compile errors and failed runs alike
            raise VRLError(str(e)) from None

    return Runtime("pyvrl", run)


def _vrl_python() -> Runtime:
    vrl_python = pytest.importorskip("vrl_python", reason="vrl-python is not installed (pip install -e '.[test]')")
    runtime = vrl_python.VRLRuntime(timezone="UTC")

    def run(program: str, event: dict[str, Any]) -> Any:
        try:
            return runtime.execute(program, event).runtime_result
        except (ValueError, RuntimeError, vrl_python.VRLCompileError, vrl_python.VRLRuntimeError) as e:
            raise VRLError(str(e)) from None

    return Runtime("vrl-python", run)


RUNTIMES = {"pyvrl": _pyvrl, "vrl-python": _vrl_python}


@functools.cache
def runtime(name: str) -> Runtime:
    """The runtime of that name (one per process: pyvrl's compiled programs are cached in it)."""
    return RUNTIMES[name]()


# -- the pipeline -------------------------------------------------------------------------------------------------


def config() -> dict[str, Any]:
    return yaml.safe_load(VECTOR.read_text())


def vector_tests() -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for path in VECTOR_TESTS:
        tests += yaml.safe_load(path.read_text())["tests"]
    return tests


def _condition(transform: dict[str, Any]) -> str:
    c = transform["condition"]
    if isinstance(c, str):
        return c
    if c.get("type", "vrl") != "vrl":
        raise NotImplementedError(f"condition type {c.get('type')!r}")
    return c["source"]


class Pipeline:
    """The transforms of vector.yaml: each a remap or a filter with a single input."""

    def __init__(self, cfg: dict[str, Any] | None = None) -> None:
        self.transforms: dict[str, dict[str, Any]] = (cfg or config())["transforms"]
        for name, t in self.transforms.items():
            if t["type"] not in ("remap", "filter") or len(t["inputs"]) != 1:
                raise NotImplementedError(f"transform {name}: only single-input remap and filter are run here")

    def path(self, start: str, end: str) -> list[str]:
        """The transforms an event inserted at ``start`` goes through to reach ``end`` (both included)."""
        chain = [end]
        while chain[-1] != start:
            (up,) = self.transforms[chain[-1]]["inputs"]
            if up not in self.transforms:
                raise ValueError(f"{end} is not downstream of {start}")
            chain.append(up)
        return chain[::-1]

    def through(self, rt: Runtime, event: dict[str, Any], start: str, end: str) -> tuple[str, str | None]:
        """``(program, dropped_by)``: the VRL whose state is the event leaving ``end``, or the filter that drops it."""
        program = ""
        for name in self.path(start, end):
            t = self.transforms[name]
            if t["type"] == "remap":
                program += t["source"].rstrip("\n") + "\n"
            elif rt.run(program + _condition(t), event) is not True:
                return program, name
        return program, None

    def output(self, rt: Runtime, event: dict[str, Any], start: str, end: str) -> dict[str, Any] | None:
        """The event leaving ``end`` as JSON (through VRL's ``encode_json``), or ``None`` when a filter drops it."""
        program, dropped_by = self.through(rt, event, start, end)
        return None if dropped_by else json.loads(rt.run(program + "encode_json(.)", event))


def run_vector_test(rt: Runtime, pipeline: Pipeline, test: dict[str, Any]) -> None:
    """One test of Vector's unit-test format, as `vector test` would judge it; raises ``AssertionError``."""
    (given,) = test["inputs"]  # every test here has one input
    if given.get("type", "log") != "log":
        raise NotImplementedError("only log inputs")
    start, event = given["insert_at"], dict(given["log_fields"])
    for out in test.get("outputs", []):
        program, dropped_by = pipeline.through(rt, event, start, out["extract_from"])
        assert dropped_by is None, f"{test['name']}: no output from {out['extract_from']} ({dropped_by} dropped it)"
        for cond in out["conditions"]:
            try:
                rt.run(program + _condition({"condition": cond}), event)
            except VRLError as e:
                raise AssertionError(f"{test['name']}: condition failed in {rt.name}:\n{e}") from None
    for name in test.get("no_outputs_from", []):
        _, dropped_by = pipeline.through(rt, event, start, name)
        assert dropped_by is not None, f"{test['name']}: {name} had an output"
