"""Benchmark: semantic order across a real fleet against the FIFO fleet, on the same calls.

Two real Celery GPU workers (few seats each, to fit a CPU) on a RabbitMQ node of the bench's
own and PostgreSQL; this process plays the web server (rates each call, sends it to the broker).
For a backlog of 0, 5x and 20x the fleet's seats of routine calls (levels 2-4 in turn), once the
workers are full, a P1 call and then a P0 call arrive. Per configuration:

- P0 / P1 queueing delay: received -> first scheduled by an engine;
- inversions against P0 and P1: calls of a less urgent level that start after the urgent call
  was received and before it starts ("taken after": of those, the ones a worker took from the
  broker after the urgent call was received, i.e. the fleet's own ordering decisions);
- fleet throughput: output tokens / (last finish - first receipt) over the 20x backlog run.

The baseline is the fleet as it was (``TRIAGE_FLEET_ORDER=fifo``: one first-in first-out queue,
workers holding as many calls as they have threads), measured in the same run, configurations
alternating; medians over ``--repeats``.

    python bench/fleet_bench.py [--repeats 3] [--seats 2] [--tokens 24]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "triage_fleet_bench"
REDIS_URL = "redis://127.0.0.1:6379/13"
ROUTINE = "I would like to ask when I can renew my prescription for allergy tablets next week."
URGENT = {1: "My mother has crushing chest pain and is sweating a lot.",
          0: "My husband is not breathing and his lips are blue, please help."}
ORDERS = ("fifo", "semantic")


def setup_django(broker_url: str) -> None:
    database_url = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], capture_output=True)
    os.environ.update(DJANGO_SETTINGS_MODULE="triage_site.settings.local", DJANGO_DEBUG="0",
                      DJANGO_SECRET_KEY="bench-only", DATABASE_URL=database_url, BROKER_URL=broker_url,
                      REDIS_URL=REDIS_URL)
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from triage_site.triage import get_classifier
    get_classifier()  # loaded before any call is timed


def run_backlog(order: str, multiple: int, num_seats_fleet: int, tokens: int, fill_timeout_s: float) -> dict:
    from django.conf import settings

    from bench.fleet_processes import wait_until
    from triage_site.models import Call, CallStatus
    from triage_site.services.calls import call_create

    settings.TRIAGE_FLEET_ORDER = order
    Call.objects.all().delete()
    backlog = [call_create(text=ROUTINE, priority=2 + i % 3, max_new_tokens=tokens)
               for i in range(multiple * num_seats_fleet)]
    if backlog:  # wait until the workers hold all they will take: the rest waits in the broker
        time.sleep(1.0)
        wait_until(lambda: Call.objects.filter(status=CallStatus.GENERATING).count() >= num_seats_fleet,
                   fill_timeout_s, "the workers to fill up", poll_s=0.2)
        time.sleep(1.0)
    urgent = {}
    for level in (1, 0):
        urgent[level] = call_create(text=URGENT[level], priority=level, max_new_tokens=tokens)
        time.sleep(0.2)
    ids = [c.pk for c in backlog] + [c.pk for c in urgent.values()]
    calls = wait_until(lambda: (rows := list(Call.objects.filter(pk__in=ids))) and all(
        r.status in (CallStatus.DONE, CallStatus.FAILED) for r in rows) and rows, 1800,
        "every call to finish", poll_s=0.5)
    failed = [c.pk for c in calls if c.status != CallStatus.DONE]
    if failed:
        raise RuntimeError(f"calls failed: {failed}")
    by_id = {c.pk: c for c in calls}
    row = {"order": order, "backlog_x": multiple, "num_calls": len(calls)}
    for level, created in urgent.items():
        hot = by_id[created.pk]
        started_between = [c for c in calls if c.priority > level and hot.received_at < c.started_at < hot.started_at]
        row[f"p{level}_queueing_s"] = hot.queueing_delay_s
        row[f"p{level}_taken_s"] = (hot.queued_at - hot.received_at).total_seconds()  # rated, sent, taken
        row[f"p{level}_latency_s"] = hot.latency_s
        row[f"p{level}_inversions"] = len(started_between)
        row[f"p{level}_inversions_taken_after"] = sum(c.queued_at > hot.received_at for c in started_between)
    span_s = (max(c.finished_at for c in calls) - min(c.received_at for c in calls)).total_seconds()
    row["throughput_tok_s"] = sum(c.output_tokens for c in calls) / span_s
    return row


def run_order(order: str, rabbitmq_url: str, args, logs: Path) -> list[dict]:
    from bench.fleet_processes import start_worker, stop_worker, wait_until, worker_env, worker_ready

    env = worker_env(database_url=os.environ["DATABASE_URL"], broker_url=rabbitmq_url, redis_url=REDIS_URL,
                     num_seats=args.seats, margin=args.margin)
    env["TRIAGE_FLEET_ORDER"] = order
    workers = []
    for index in range(args.workers):
        log = logs / f"{order}-{index}-{uuid.uuid4().hex[:6]}.log"
        workers.append((start_worker(env, f"bench{index}-{uuid.uuid4().hex[:6]}", log), log))
    try:
        for process, log in workers:
            wait_until(lambda: worker_ready(log) or process.poll() is not None, 300, "a worker")
            if process.poll() is not None:
                raise RuntimeError(log.read_text()[-3000:])
        run_backlog(order, 0, args.workers * args.seats, args.tokens, 300)  # warm-up, not recorded
        return [run_backlog(order, multiple, args.workers * args.seats, args.tokens, 300)
                for multiple in args.backlogs]
    finally:
        for process, _ in workers:
            stop_worker(process)


def median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def print_table(rows: list[dict], args) -> None:
    from bench.common import machine

    print(f"\n{machine()}; {args.workers} workers x {args.seats} seats, margin {args.margin}, "
          f"{args.tokens} new tokens a call, median of {args.repeats}")
    print(f"{'order':9} {'backlog':>7} {'calls':>5} {'P0 queue s':>10} {'(taken s)':>9} {'P0 lat s':>8} {'P1 queue s':>10} "
          f"{'inv P0':>6} {'inv P1':>6} {'taken-after P0/P1':>17} {'tok/s':>6}")
    for order in ORDERS:
        for multiple in args.backlogs:
            group = [r for r in rows if r["order"] == order and r["backlog_x"] == multiple]
            print(f"{order:9} {multiple:>6}x {group[0]['num_calls']:5} {median(group, 'p0_queueing_s'):10.2f} "
                  f"{median(group, 'p0_taken_s'):9.2f} "
                  f"{median(group, 'p0_latency_s'):8.2f} {median(group, 'p1_queueing_s'):10.2f} "
                  f"{median(group, 'p0_inversions'):6g} {median(group, 'p1_inversions'):6g} "
                  f"{median(group, 'p0_inversions_taken_after'):>8g}/{median(group, 'p1_inversions_taken_after'):<8g} "
                  f"{median(group, 'throughput_tok_s'):6.1f}")
    top = max(args.backlogs)
    semantic = [r for r in rows if r["order"] == "semantic"]
    idle = median([r for r in semantic if r["backlog_x"] == 0], "p0_queueing_s") if 0 in args.backlogs else None
    loaded = median([r for r in semantic if r["backlog_x"] == top], "p0_queueing_s")
    fifo_tput = median([r for r in rows if r["order"] == "fifo" and r["backlog_x"] == top], "throughput_tok_s")
    sem_tput = median([r for r in semantic if r["backlog_x"] == top], "throughput_tok_s")
    if idle:
        print(f"semantic P0 queueing delay at {top}x backlog / idle: {loaded / idle:.2f}x (target <= 2x)")
    print(f"semantic throughput / fifo at {top}x backlog: {sem_tput / fifo_tput:.3f} (target >= 0.95)")
    print(f"inversions against P0/P1 under semantic (all backlogs, all repeats): "
          f"{sum(r['p0_inversions'] + r['p1_inversions'] for r in semantic)} "
          f"(taken after: {sum(r['p0_inversions_taken_after'] + r['p1_inversions_taken_after'] for r in semantic)})")
    print("command: python bench/fleet_bench.py " + " ".join(sys.argv[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seats", type=int, default=2)
    parser.add_argument("--margin", type=int, default=1)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--backlogs", type=lambda text: [int(x) for x in text.split(",")], default=[0, 5, 20])
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    args = parser.parse_args()

    from bench.fleet_processes import OwnRabbitMQ

    rabbitmq = OwnRabbitMQ().start()
    try:
        setup_django(rabbitmq.url)
        from triage_site.celery import app
        app.conf.broker_url, app.conf.task_always_eager = rabbitmq.url, False
        logs = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
        rows = []
        for repeat in range(args.repeats):
            for order in (ORDERS if repeat % 2 == 0 else tuple(reversed(ORDERS))):
                rows += run_order(order, rabbitmq.url, args, logs)
                print(json.dumps(rows[-len(args.backlogs):], default=str), flush=True)
        print_table(rows, args)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2, default=str))
    finally:
        rabbitmq.remove()


if __name__ == "__main__":
    main()
