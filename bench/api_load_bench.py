"""Benchmark: POST /api/calls under concurrent load, embedded default (SQLite) or deployed.

Starts daphne on a checkout of the project (this one, or ``--root`` for another, e.g. an older
commit in a ``git worktree``) with a fresh database, sends ``--requests`` calls through
``--concurrency`` connections at once, and counts answers by class, latency, and the calls
actually stored (read from the database afterwards). Prints a table and the command.

    python bench/api_load_bench.py [--requests 1000] [--concurrency 50] [--root PATH]
                                   [--generation off|default] [--sqlite-defaults] [--deployed]

``--generation off`` (the default) stores and rates calls without answering them, so the
database and the request path are measured, not the language model; ``default`` keeps the
checkout's own choice (the embedded engine generating in the web process).

``--deployed``: the deployment configuration instead: a fresh PostgreSQL database on
``--postgres-url``'s server, Redis as channel layer and cache (``--redis-url``), and a RabbitMQ
node of the bench's own as broker, generation ``fleet`` (every call is rated and sent to the
broker, where it waits: no GPU worker runs, so the web tier is measured alone). Afterwards the
bench also counts the calls the broker holds: each stored call must be there once.
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
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx2 as httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from common import machine  # noqa: E402

TEXT = "My neighbour fell off a ladder, he is awake but his leg is bent the wrong way."
SERVER_START_S = 180


def server_env(root: Path, db_path: Path | None, generation: str, sqlite_defaults: bool,
               deployed: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the embedded default on ``db_path``, or ``deployed``'s
    DATABASE_URL, REDIS_URL and BROKER_URL."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "TRIAGE_GENERATION", "DJANGO_DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="load_bench_settings", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="bench-only",
               PYTHONPATH=os.pathsep.join([str(BENCH_DIR), str(root)]), LOAD_BENCH_DB=str(db_path or ""),
               TRIAGE_MODELS_DIR=os.environ.get("TRIAGE_MODELS_DIR", str(BENCH_DIR.parent / "models")),
               LOAD_BENCH_GENERATION_OFF="1" if generation == "off" else "0",
               LOAD_BENCH_SQLITE_DEFAULTS="1" if sqlite_defaults else "0")
    env.update(deployed or {})
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


def stored_calls(db_path: Path | None, database_url: str | None = None) -> int:
    query = "SELECT count(*) FROM triage_site_call"
    if database_url is not None:
        import psycopg
        with psycopg.connect(database_url) as connection:
            return connection.execute(query).fetchone()[0]
    with sqlite3.connect(db_path) as connection:
        return connection.execute(query).fetchone()[0]


def fresh_postgres_database(server_url: str) -> tuple[str, Callable[[], None]]:
    """A new empty database on ``server_url``'s server: (its URL, a function that drops it)."""
    import psycopg
    name = f"load_bench_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return server_url.rsplit("/", 1)[0] + f"/{name}", drop


def messages_in_broker(broker_url: str) -> int:
    """Messages waiting in the GPU queues (urgent and routine) of the bench's broker."""
    from kombu import Connection
    total = 0
    with Connection(broker_url) as connection:
        channel = connection.default_channel
        for queue in ("gpu.urgent", "gpu"):
            try:
                total += channel.queue_declare(queue, passive=True).message_count
            except Exception:  # noqa: BLE001 - a queue never declared holds nothing; the failed
                channel = connection.channel()  # passive declare closed the channel: open another
    return total


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
    parser.add_argument("--deployed", action="store_true",
                        help="PostgreSQL + Redis + a RabbitMQ node of the bench's own, generation fleet")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args(argv)
    root = args.root.resolve()

    in_broker = None
    with tempfile.TemporaryDirectory(prefix="api-load-bench-") as tmp, ExitStack() as cleanup:
        db_path, deployed, database_url = Path(tmp) / "db.sqlite3", None, None
        if args.deployed:
            from fleet_processes import OwnRabbitMQ
            database_url, drop = fresh_postgres_database(args.postgres_url)
            cleanup.callback(drop)
            rabbitmq = OwnRabbitMQ().start()
            cleanup.callback(rabbitmq.stop)
            db_path = None
            deployed = {"DATABASE_URL": database_url, "REDIS_URL": args.redis_url,
                        "BROKER_URL": rabbitmq.url}
            if args.generation != "off":
                deployed["TRIAGE_GENERATION"] = "fleet"
        env = server_env(root, db_path, args.generation, args.sqlite_defaults, deployed)
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
        stored = stored_calls(db_path, database_url)
        if args.deployed and args.generation != "off":
            in_broker = messages_in_broker(deployed["BROKER_URL"])

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                            text=True).stdout.strip()
    ok = sum(n for status, n in statuses.items() if isinstance(status, int) and 200 <= status < 300)
    server_errors = sum(n for status, n in statuses.items() if isinstance(status, int) and status >= 500)
    other = args.requests - ok - server_errors
    print(f"machine: {machine()}")
    configuration = ("deployed: PostgreSQL, Redis, RabbitMQ (no GPU worker)" if args.deployed
                     else "embedded default: SQLite")
    print(f"checkout: {root} at {commit}; {configuration}; generation {args.generation}"
          f"{'; SQLite options dropped' if args.sqlite_defaults else ''}")
    print(f"{'requests':>9} {'conc':>5} {'2xx':>6} {'5xx':>6} {'other':>6} {'stored':>7} "
          f"{'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'locked':>7}")
    print(f"{args.requests:>9} {args.concurrency:>5} {ok:>6} {server_errors:>6} {other:>6} {stored:>7} "
          f"{args.requests / wall_s:>7.1f} {1000 * statistics.median(latencies):>8.0f} "
          f"{1000 * percentile(latencies, 0.99):>8.0f} {log_text.count('database is locked'):>7}")
    print(f"statuses: {dict(sorted(statuses.items(), key=str))}")
    if in_broker is not None:
        print(f"calls waiting in the broker for a GPU worker: {in_broker} (stored: {stored})")
    print("command: python " + shlex.join([str(Path(sys.argv[0])), *(argv if argv is not None else sys.argv[1:])]))


if __name__ == "__main__":
    main()
