"""Benchmark of ``coco explore`` (issue 28): the app driven headless through Textual's pilot (``App.run_test``)
on a large one-day store. Prints figures, asserts nothing.

For each size it generates (once, kept under ``--dir``) a one-day archive with the generator's bulk mode and loads
it into a store, then measures:

- **first screen**: a process of its own per run, from the moment the benchmark starts it (interpreter start-up
  and imports included, as the command has them) to the overview drawn - the errors by code (with the window
  before's counts) and the first page of the newest deliveries in its lists, painted; also to the whole list
  (``--limit``, 50).
- **the first screen's parts**, in-process, once: each question the overview asks (``first_screen_parts``), the
  newest deliveries also as they were found before the store kept each delivery's first row (store schema 9).
- **navigations**, in one resident app (one open connection, as ``coco explore`` runs): from the overview, open a
  delivery's timeline (``enter``), jump to the robot's day around one of its rows (``r``), back to the delivery
  (``esc``), back to the overview (``esc``), then the next delivery. Each is timed from the key to the screen
  drawn (the answer on screen, every widget done with its messages, and the screen painted: ``drawn``). Twice:
  **cold**, the app's memory of timelines emptied before each ``enter`` and its prefetch off, so every delivery
  and robot's day is built from the store with nothing else running (``esc`` shows what is kept); then **with
  the prefetch** (which builds what the cursor rests on and next to in advance, on a reader of its own), the
  cursor resting ``--dwell`` (0.3 s) on each row before its key, as a person reading it does.

    python benchmarks/bench_explore.py                        # 1M events
    python benchmarks/bench_explore.py --sizes 1M,10M         # 10M: ~8 min to generate, ~2 min to load (quiet)
    python benchmarks/bench_explore.py --runs 5 --navigations 30

Goals (issue 28), at 10M events: first screen <= 1 s after start; each navigation <= 100 ms at the 95th
percentile. Figures: the dated sections of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

DAY = {"since": "2026-11-25T00:00:00Z", "until": "2026-11-26T00:00:00Z"}  # the generator's day


def size_arg(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def store_of(n: int, folder: Path) -> Path:
    """The store of ``n`` events under ``folder``, generated and loaded the first time."""
    from cocoevents.store.loader import load

    archive, store = folder / label(n), folder / f"{label(n)}.duckdb"
    if not store.exists():
        if not glob.glob(str(archive / "dt=*")):
            from cocoevents.devtools.bulk import write_bulk_archive

            started = time.perf_counter()
            files, records = write_bulk_archive(archive, n)
            print(f"{label(n)}: generated {records:,} records in {files:,} files in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        load(store, sorted(glob.glob(str(archive / "dt=*"))))
        print(f"{label(n)}: loaded in {time.perf_counter() - started:.0f} s", flush=True)
    return store


def make_app(store: Path) -> Any:
    """The app as ``coco explore --store STORE --since ... --until ...`` makes it (``explore.start``, then
    ``explore.resident_gc``)."""
    from cocoevents.core.options import parse_options
    from cocoevents.explore import resident_gc, start
    from cocoevents.sources.local import LocalSource

    opts = parse_options(**DAY)
    app = start(
        lambda: LocalSource(store), subject_id=None, kind=None, opts=opts, since=opts.since, until=opts.until, tz="UTC", where=str(store)
    )
    resident_gc()  # as the command does before it runs the app
    return app


async def drawn(pilot: Any) -> None:
    """Until the screen in front is painted with what its widgets hold: every widget done with its messages, and
    nothing left for the screen to lay out or paint, nor to run after its paint (``call_after_refresh``, which may
    paint again). Textual paints on a timer of its own (60 a second), so the widgets can be done before it paints:
    without this, a move that ends in nothing but a paint (``esc``) was timed before any of it was on the screen."""
    app = pilot.app
    while True:
        await pilot._wait_for_screen()
        s = app.screen
        if not (s._layout_required or s._repaint_required or s._scroll_required or s._dirty_widgets or s._callbacks):
            return
        await asyncio.sleep(0.001)


async def until(pilot: Any, condition: Callable[[], bool], timeout: float = 120.0) -> None:
    """Run the app until ``condition`` holds, then until it is idle (the answer drawn)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("the app did not get there in time")
        await asyncio.sleep(0.001)
    await pilot.pause()


# -- the first screen, in a process of its own ------------------------------------------------------------------


def first_screen_child(store: Path, started: float) -> None:
    """Print the seconds since ``started`` (the parent's clock when it started this process) at the overview's
    first screen - the errors by code and the first deliveries in the overview's lists, painted (``drawn``) - then
    as it was timed before 2026-12-08 (the same, then Textual's ``pilot.pause``, which also waits up to a second
    for the process's CPU time to stop growing, and it does not while the rest of the list is built), and at its
    whole list of deliveries. Textual is imported by ``make_app`` (``explore.start``), as the command imports it:
    while the source opens and answers (before 2026-12-08 this benchmark imported it first, before the store was
    opened, which the command never does)."""
    app = make_app(store)
    from cocoevents.explore.widgets import LineList

    def on_screen() -> bool:
        screen = app.screen
        if not hasattr(screen, "overview") or screen.overview.errors is None:
            return False
        errors, deliveries = screen.query_one("#errors", LineList), screen.query_one("#deliveries", LineList)
        return len(errors.source) == len(screen.overview.errors.groups) and len(deliveries.source) > 0

    async def drive() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.perf_counter() + 120
            while not on_screen():
                if time.perf_counter() > deadline:
                    raise RuntimeError("the overview did not come in time")
                await asyncio.sleep(0.001)
            await drawn(pilot)
            first = time.time() - started
            await pilot.pause()
            before = time.time() - started
            await until(pilot, lambda: app.screen.overview.deliveries_done)
            print(f"{first:.4f} {time.time() - started:.4f} {before:.4f}", flush=True)

    try:
        asyncio.run(drive())
    finally:
        app.resident.close()


def first_screens(store: Path, runs: int) -> list[tuple[float, float, float]]:
    out = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, __file__, "--child-first-screen", str(store), repr(time.time())], capture_output=True, text=True, check=True
        )
        first, whole, before = done.stdout.split()
        out.append((float(first), float(whole), float(before)))
    return out


# -- the first screen's parts, in-process ---------------------------------------------------------------------------


def first_screen_parts(store: Path) -> dict[str, float]:
    """Seconds of each question the overview asks, one after the other on one source as the app asks them (the
    store opened first): the day's errors by code with the window before's counts, the newest 50 deliveries (from
    the store's kept facts, store schema 9, and - for comparison - from the rows, as before them), the first page of
    10 built."""
    from cocoevents.core.options import parse_options
    from cocoevents.explore.model import FIRST_PAGE, Overview, Resident, newest
    from cocoevents.sources.local import LocalSource

    opts = parse_options(**DAY)
    resident = Resident(lambda: LocalSource(store), opts)
    overview = Overview(opts.since, opts.until)
    parts: dict[str, float] = {}

    def timed(what: str, question: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        answer = question()
        parts[what] = time.perf_counter() - started
        return answer

    try:
        timed("open the store", resident.open)
        timed("errors by code, with the window before", lambda: resident.errors(overview))
        timed("the 50 newest deliveries", lambda: resident.ask(lambda source: newest(source, Overview(opts.since, opts.until), 50)))

        def from_rows(source: Any) -> Any:
            source.kept_facts = False
            try:
                return newest(source, Overview(opts.since, opts.until), 50)
            finally:
                source.kept_facts = True

        timed("  the same from the rows (before)", lambda: resident.ask(from_rows))
        timed(f"the first page of {FIRST_PAGE} built", lambda: next(resident.deliveries(overview, 50)))
    finally:
        resident.close()
    return parts


# -- navigations, in one resident app -----------------------------------------------------------------------------


def navigations(store: Path, count: int, dwell: float = 0.0, painted: bool = True) -> dict[str, list[float]]:
    """Cold (``dwell`` 0): the remembered timelines dropped before each ``enter``, the prefetch off. With ``dwell``
    seconds: the prefetch on, nothing dropped, and the cursor resting ``dwell`` on a row before each key, as a
    person reading it does. ``painted`` false: each move timed only until the widgets are done with their messages
    (``drawn`` not waited for), as this benchmark timed them before 2026-12-08."""
    from cocoevents.explore import base, screens, timeline_screen
    from cocoevents.explore.model import robot_at
    from cocoevents.explore.screens import OverviewScreen
    from cocoevents.explore.timeline_screen import TimelineScreen

    # cold: a cursor never rests this long here
    screens.PREFETCH_AFTER = timeline_screen.PREFETCH_AFTER = base.PREFETCH_AFTER if dwell else 3600.0

    app = make_app(store)
    times: dict[str, list[float]] = {"open a timeline": [], "jump (robot's day)": [], "back": []}

    def on_timeline(kind: str, ident: Any = None) -> Callable[[], bool]:
        def shown() -> bool:
            s = app.screen
            return (
                isinstance(s, TimelineScreen)
                and s.timeline is not None
                and s.timeline.kind == kind
                and (ident is None or s.timeline.id == ident)
            )

        return shown

    async def timed(pilot: Any, key: str, condition: Callable[[], bool], what: str) -> None:
        """The key as the terminal sends it, then until the answer is on the screen: every widget has handled its
        messages and the screen is painted (``drawn``). Not ``pilot.press``: it also waits until the process's CPU
        time stops growing, which on a shared machine adds a few hundred milliseconds that are not the app's."""
        if dwell:
            await asyncio.sleep(dwell)
        started = time.perf_counter()
        app.simulate_key(key)
        deadline = started + 120
        while not condition():
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{what}: the app did not get there in time")
            await asyncio.sleep(0.001)
        await (drawn(pilot) if painted else pilot._wait_for_screen())
        times[what].append(time.perf_counter() - started)

    async def drive() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, OverviewScreen) and app.screen.overview.deliveries_done)
            overview = app.screen
            await pilot.press("tab")  # the deliveries list
            rows = overview.overview.deliveries
            for k in range(min(count, len(rows))):
                if not dwell:
                    app.resident.forget()  # cold: built from the store, not remembered or prefetched
                await timed(pilot, "enter", on_timeline("delivery", rows[k].delivery_id), "open a timeline")
                screen = app.screen
                t = screen.timeline
                with_robot = next((n for n in range(len(t.rows)) if robot_at(t, n) is not None), None)
                if with_robot is not None:
                    screen.select_row(with_robot)
                    await pilot.pause()
                    await timed(pilot, "r", on_timeline("robot"), "jump (robot's day)")
                    await timed(pilot, "escape", on_timeline("delivery", t.id), "back")
                await timed(pilot, "escape", lambda: app.screen is overview, "back")
                await pilot.press("down")

    try:
        asyncio.run(drive())
    finally:
        app.resident.close()
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1M", help="comma-separated event counts (1M, 10M, 200k...)")
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "coco-explore-bench"))
    p.add_argument("--runs", type=int, default=5, help="first-screen processes per size")
    p.add_argument("--navigations", type=int, default=20, help="deliveries opened per size (each: open, jump, back, back; 0: none)")
    p.add_argument(
        "--dwell",
        type=float,
        default=0.3,
        help="seconds the cursor rests on a row before each key in a second round of navigations, the prefetch on (0: none)",
    )
    p.add_argument("--skip-first-screen", action="store_true", help="the navigations only")
    p.add_argument(
        "--unpainted",
        action="store_true",
        help="time each navigation until the widgets are done with their messages, not until the screen is painted (as before 2026-12-08)",
    )
    p.add_argument("--child-first-screen", nargs=2, metavar=("STORE", "STARTED"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child_first_screen:
        first_screen_child(Path(a.child_first_screen[0]), float(a.child_first_screen[1]))
        return 0
    folder = Path(a.dir)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores", flush=True)
    for n in (size_arg(s) for s in a.sizes.split(",")):
        store = store_of(n, folder)
        if not a.skip_first_screen:
            firsts = first_screens(store, a.runs)
            first = [f for f, _, _ in firsts]
            whole = [w for _, w, _ in firsts]
            before = [b for _, _, b in firsts]
            print(
                f"{label(n)}: first screen (process start -> errors and the first deliveries drawn): median "
                f"{ms(statistics.median(first))}, max {ms(max(first))} over {len(first)} runs; the whole list of deliveries: median "
                f"{ms(statistics.median(whole))}; timed as before 2026-12-08 (then an idle CPU waited for): median "
                f"{ms(statistics.median(before))}",
                flush=True,
            )
        for what, seconds in first_screen_parts(store).items():
            print(f"{label(n)}:   in-process: {what:<42} {ms(seconds)}", flush=True)
        rounds = ((0.0, a.dwell) if a.dwell else (0.0,)) if a.navigations > 0 else ()  # --navigations 0: none
        for dwell in rounds:
            how = f"prefetch on, {ms(dwell)} on each row before its key" if dwell else "cold (nothing remembered, no prefetch)"
            times = navigations(store, a.navigations, dwell, painted=not a.unpainted)
            every = [x for v in times.values() for x in v]
            print(f"{label(n)}: navigations, {how}:")
            for what, values in times.items():
                if values:
                    figures = f"median {ms(statistics.median(values))}  p95 {ms(p95(values))}  max {ms(max(values))}"
                    print(f"{label(n)}:   {what:<20} n={len(values):<3} {figures}")
            print(f"{label(n)}: navigations p95 {ms(p95(every))} (n={len(every)}), {how}", flush=True)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
