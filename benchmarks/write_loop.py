"""Small writes on the embedded store: a loop of single-node writes, then writes and questions.

Usage: ``python benchmarks/write_loop.py DATA_DIR [--writes 1000] [--mixed 200]`` on a
loaded data directory (it writes into it: use a copy). First ``--writes`` iterations each
write one ``Person`` node (alternately a new one and an update of an existing one) with
``EmbeddedStore.write`` and read it back (which applies the write to memory): latency
percentiles of the write (SQLite commit included) and of applying it, and writes per second.
Then ``--mixed`` iterations each write a node and ask the questions whose derived indexes a
write could invalidate (uncovered employees and payroll coverage of the largest enterprise,
executives without private banking of the whole book): their latency after a write, against
the same questions asked without writes (equal when no derived index is rebuilt).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

from graph_service.records import GraphBatch, NodeRow
from graph_service.rules import LinkageRules
from graph_service.stores.embedded import EmbeddedStore


def summary(name: str, seconds: list[float]) -> str:
    """``name``: p50, p99 and max of ``seconds``, in ms (nearest rank)."""
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    return f"{name}: p50 {at(0.5):.2f} ms, p99 {at(0.99):.2f} ms, max {ordered[-1] * 1000:.2f} ms"


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    """Seconds ``call()`` takes."""
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def main(data_dir: str, writes: int, mixed: int) -> None:
    """Run both loops on the store in ``data_dir`` and print their figures."""
    started = time.perf_counter()
    store = EmbeddedStore(data_dir, create=False)
    print(f"open: {time.perf_counter() - started:.1f} s")
    rules = LinkageRules()
    coverage = await store.payroll_coverage(await store.list_ids("Enterprise"), rules)
    biggest = max(coverage, key=lambda c: c.employees).enterprise_id
    people = await store.list_ids("Person")

    def write(i: int) -> Callable[[], Awaitable[object]]:
        node_id = f"write-loop-{i}" if i % 2 else people[i]
        return lambda: store.write(
            GraphBatch(nodes=[NodeRow("Person", node_id, {"name": f"written {i}"})])
        )

    async def read(i: int) -> None:
        await store.get_nodes("Person", [f"write-loop-{i}" if i % 2 else people[i]])

    async def ask() -> None:
        await store.uncovered_employees(biggest, ["debit card"], rules)
        await store.payroll_coverage([biggest], rules)
        await store.executives_without_private_banking(None, rules)

    write_s, apply_s = [], []
    loop_started = time.perf_counter()
    for i in range(writes):
        write_s.append(await timed(write(i)))
        apply_s.append(await timed(lambda i=i: read(i)))  # type: ignore[misc]
    elapsed = time.perf_counter() - loop_started
    print(summary(f"{writes} writes, committed", write_s))
    print(summary("applied to memory", apply_s))
    print(f"{writes / elapsed:.0f} writes/s ({elapsed:.2f} s)")

    await ask()  # derived indexes built
    quiet = [await timed(ask) for _ in range(mixed)]
    after = []
    for i in range(writes, writes + mixed):
        await write(i)()
        after.append(await timed(ask))
    print(summary("questions, no writes", quiet))
    print(summary("questions after each write", after))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--mixed", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.data_dir, args.writes, args.mixed))
