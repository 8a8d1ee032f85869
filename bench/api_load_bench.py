"""Benchmark: POST /api/calls under concurrent load on the embedded default (SQLite).

Starts daphne on a checkout of the project (this one, or ``--root`` for another, e.g. an older
commit in a ``git worktree``) with a fresh SQLite file, sends ``--requests`` calls through
``--concurrency`` connections at once, and counts answers by class, latency, and the calls
actually stored (read from the database file afterwards). Prints a table and the command.

    python bench/api_load_bench.py [--requests 1000] [--concurrency 50] [--root PATH]
                                   [--generation off|default] [--sqlite-defaults]

``--generation off`` (the default) stores and rates calls without answering them, so the
database and the request path are measured, not the language model; ``default`` keeps the
checkout's own choice (the embedded engine generating in the web process).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from common import machine  # noqa: E402

TEXT = "My neighbour fell off a ladder, he is awake but his leg is bent the wrong way."
SERVER_START_S = 180


def server_env(root: Path, db_path: Path, generation: str, sqlite_defaults: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "TRIAGE_GENERATION", "DJANGO_DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="load_bench_settings", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="bench-only",
               PYTHONPATH=os.pathsep.join([str(BENCH_DIR), str(root)]), LOAD_BENCH_DB=str(db_path),
               TRIAGE_MODELS_DIR=os.environ.get("TRIAGE_MODELS_DIR", str(BENCH_DIR.parent / "models")),
               LOAD_BENCH_GENERATION_OFF="1" if generation == "off" else "0",
               LOAD_BENCH_SQLITE_DEFAULTS="1" if sqlite_defaults else "0")
    return env


def prepare(root: Path, env: dict[str, str]) -> str:
    """Migrate the fresh database and make a staff user's token (staff: it may list every call)."""
    setup = ("from django.contrib.auth import get_user_model\n"
             "from django.core.management import call_command\n"
             "call_command('migrate', verbosity=0)\n"
             "get_user_model().objects.create_user('load-bench', is_staff=True)\n"
             "call_command('create_api_token', 'load-bench', name='load bench')\n")
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", setup], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    if made.returncode != 0:
        raise SystemExit(f"setting up the database failed:\n{made.stderr[-2000:]}")
    return made.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(root: Path, env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                "triage_site.asgi:application"], cwd=root, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("the server did not answer /healthz in time")


async def load(base_url: str, token: str, num_requests: int, concurrency: int) -> tuple[Counter, list[float], float]:
    """``num_requests`` POSTs, ``concurrency`` in flight at once; (status counts, latencies, wall s)."""
    statuses: Counter = Counter()
    latencies: list[float] = []
    pending = iter(range(num_requests))
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=120) as client:
        async def worker() -> None:
            for number in pending:
                started = time.perf_counter()
                try:
                    response = await client.post("/api/calls", json={"text": f"{TEXT} (call {number})"})
                    statuses[response.status_code] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return statuses, latencies, time.perf_counter() - started


def stored_calls(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        return connection.execute("SELECT count(*) FROM triage_site_call").fetchone()[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--root", type=Path, default=BENCH_DIR.parent,
                        help="the checkout to serve (default: this one)")
    parser.add_argument("--generation", choices=("off", "default"), default="off")
    parser.add_argument("--sqlite-defaults", action="store_true",
                        help="drop the checkout's SQLite OPTIONS (WAL, IMMEDIATE, timeout) to isolate their effect")
    args = parser.parse_args(argv)
    root = args.root.resolve()

    with tempfile.TemporaryDirectory(prefix="api-load-bench-") as tmp:
        db_path = Path(tmp) / "db.sqlite3"
        env = server_env(root, db_path, args.generation, args.sqlite_defaults)
        token = prepare(root, env)
        port = free_port()
        server = start_server(root, env, port, Path(tmp) / "daphne.log")
        try:
            statuses, latencies, wall_s = asyncio.run(
                load(f"http://127.0.0.1:{port}", token, args.requests, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)
        log_text = (Path(tmp) / "daphne.log").read_text()
        stored = stored_calls(db_path)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                            text=True).stdout.strip()
    ok = sum(n for status, n in statuses.items() if isinstance(status, int) and 200 <= status < 300)
    server_errors = sum(n for status, n in statuses.items() if isinstance(status, int) and status >= 500)
    other = args.requests - ok - server_errors
    print(f"machine: {machine()}")
    print(f"checkout: {root} at {commit}; generation {args.generation}"
          f"{'; SQLite options dropped' if args.sqlite_defaults else ''}")
    print(f"{'requests':>9} {'conc':>5} {'2xx':>6} {'5xx':>6} {'other':>6} {'stored':>7} "
          f"{'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'locked':>7}")
    print(f"{args.requests:>9} {args.concurrency:>5} {ok:>6} {server_errors:>6} {other:>6} {stored:>7} "
          f"{args.requests / wall_s:>7.1f} {1000 * statistics.median(latencies):>8.0f} "
          f"{1000 * percentile(latencies, 0.99):>8.0f} {log_text.count('database is locked'):>7}")
    print(f"statuses: {dict(sorted(statuses.items(), key=str))}")
    print("command: python " + shlex.join([str(Path(sys.argv[0])), *(argv if argv is not None else sys.argv[1:])]))


if __name__ == "__main__":
    main()
