"""Benchmark: our engine against transformers' continuous batching and static ``generate``.

    python bench/engine_bench.py --part throughput   # about 7 minutes here
    python bench/engine_bench.py --part latency      # about 8-11 minutes here
    python bench/engine_bench.py --quick             # smoke run, about a minute

Same process, same model (SmolLM2-135M-Instruct, float32, CPU), same requests, greedy
decoding with the same ``max_new_tokens`` and batch limits; the systems take turns within
each repetition (round robin, rotating who goes first) so load from other work on the
machine spreads over all of them, and each figure is the median over repetitions.

1. Throughput: every request is submitted at t=0; output tokens (to end-of-sequence) per
   second of wall time. Latency there is the time from t=0 until a request's output is done.
2. Latency under load: lower-priority calls arrive in a burst at t=0, the rest (priority-0
   calls among them) as Poisson arrivals faster than the system serves (``--load`` times the
   capacity: ours-fcfs requests/s with all requests at t=0, measured in the same run, since
   the machine's speed drifts with its other load); per-priority end-to-end latency from each
   call's scheduled arrival. Each priority-0 call is also run alone on an idle engine, the
   reference for the "under load within 1.5x of idle" target.
3. Scheduler overhead: ``StepRecord.scheduler_s`` against ``step_s`` of our engine's steps.

How each system is driven and timed: ``bench/engine_systems.py``. Prompts are test-split
calls of the triage corpus wrapped as the site wraps them (``inference.prompts``: the
level's system prompt and the call, in the chat template).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import os
import random
import shlex
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.common import machine  # noqa: E402
from bench.engine_systems import (RunResult, ServeConfig, TimedRequest, run_engine,  # noqa: E402
                                  run_hf_continuous, run_static)
from inference.engine.policy_profiles import engine_policy  # noqa: E402
from inference.model_store import SMOLLM2_DIR_NAME, default_models_dir, load_causal_lm  # noqa: E402
from inference.prompts import call_messages, render_chat  # noqa: E402
from inference.triage.evaluation import read_jsonl  # noqa: E402
from inference.triage.training import DEFAULT_CORPUS_DIR  # noqa: E402
from scheduling.plan import BatchLimits  # noqa: E402

SYSTEMS = ("ours-semantic", "ours-guard-cpu", "ours-fcfs", "hf-continuous", "hf-static")
OURS_TARGETED = ("ours-semantic", "ours-guard-cpu")
"""Our systems held to the targets: ``semantic``, and ``semantic-guard`` with the engine's CPU
profile (``inference.engine.policy_profiles``)."""
PRIORITIES = range(5)
IDLE = "ours-semantic, idle"


def build_prompts(tokenizer, num: int, seed: int) -> list[tuple[int, tuple[int, ...]]]:
    """``num`` test-split calls in a seeded order, as (priority, prompt token ids)."""
    calls = read_jsonl(DEFAULT_CORPUS_DIR / "test.jsonl")
    order = random.Random(seed).sample(range(len(calls)), min(num, len(calls)))
    prompts = []
    for call in (calls[i] for i in order):
        text = render_chat(tokenizer, call_messages(call.text, call.priority))
        prompts.append((call.priority, tuple(tokenizer(text, add_special_tokens=False).input_ids)))
    return prompts


def offline(prompts: Sequence[tuple[int, tuple[int, ...]]]) -> list[TimedRequest]:
    return [TimedRequest(i, priority, ids, 0.0) for i, (priority, ids) in enumerate(prompts)]


def burst_then_poisson(prompts: Sequence[tuple[int, tuple[int, ...]]], burst: int, rate_per_s: float,
                       seed: int) -> list[TimedRequest]:
    """The first ``burst`` lower-priority calls arrive at t=0 and fill the engine; the rest,
    priority-0 calls among them, follow as a Poisson process, so every priority-0 call
    arrives into a loaded engine."""
    in_burst = [i for i, (priority, _) in enumerate(prompts) if priority > 0][:burst]
    order = in_burst + [i for i in range(len(prompts)) if i not in in_burst]
    rng = random.Random(seed)
    requests, arrival_s = [], 0.0
    for position, i in enumerate(order):
        if position >= burst:
            arrival_s += rng.expovariate(rate_per_s)
        priority, ids = prompts[i]
        requests.append(TimedRequest(i, priority, ids, arrival_s))
    return requests


def guard_cpu_policy(cap: int | None):
    """semantic-guard with the engine's CPU profile, its batch cap overridden when ``cap`` is given."""
    policy = engine_policy("semantic-guard", "cpu")
    return policy if cap is None else dataclasses.replace(policy, urgent_batch_cap=cap)


def runner(name: str, model, config: ServeConfig, page_size: int,
           cap: int | None = None) -> Callable[[list[TimedRequest]], RunResult]:
    if name == "ours-guard-cpu":  # a fresh policy per run: policies keep per-run state
        return lambda requests: run_engine(model, guard_cpu_policy(cap), requests, config)
    if name.startswith("ours-"):
        policy = name.removeprefix("ours-")
        return lambda requests: run_engine(model, policy, requests, config)
    if name == "hf-continuous":
        return lambda requests: run_hf_continuous(model, requests, config, page_size)
    return lambda requests: run_static(model, requests, config)


def concatenate(runs: Sequence[RunResult]) -> RunResult:
    """Runs on separate engines as one: each engine's clock starts at 0, so its records and
    spans are shifted past the previous engine's."""
    records, spans, offset = [], {}, 0.0
    for run in runs:
        records += [dataclasses.replace(r, time_s=r.time_s + offset) for r in run.step_records]
        spans.update({k: tuple(t + offset for t in v) for k, v in run.spans_s.items()})
        offset = records[-1].time_s + 1.0 if records else offset
    return RunResult(sum(r.wall_s for r in runs), {k: v for r in runs for k, v in r.outputs.items()},
                     {k: v for r in runs for k, v in r.latency_s.items()}, None, len(records), records, spans)


def round_robin(names: Sequence[str], repeats: int, run_one: Callable[[str], RunResult]) -> dict[str, list[RunResult]]:
    results: dict[str, list[RunResult]] = {name: [] for name in names}
    for rep in range(repeats):
        for name in list(names[rep % len(names):]) + list(names[:rep % len(names)]):
            results[name].append(run_one(name))
            print(f"  rep {rep + 1} {name:22s} {results[name][-1].wall_s:7.1f} s", file=sys.stderr, flush=True)
    return results


def p90(values: Sequence[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def median_of(runs: Sequence[RunResult], figure: Callable[[RunResult], float | None]) -> float:
    values = [v for v in (figure(run) for run in runs) if v is not None]
    return statistics.median(values) if values else float("nan")


def latencies_of(run: RunResult, requests: Sequence[TimedRequest], priority: int | None) -> list[float]:
    return [run.latency_s[r.index] for r in requests if priority is None or r.priority == priority]


def stat(run: RunResult, requests: Sequence[TimedRequest], priority: int | None, how: Callable) -> float | None:
    values = latencies_of(run, requests, priority)
    return how(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (1 repetition, few requests)")
    parser.add_argument("--part", choices=("all", "throughput", "latency"), default="all",
                        help="latency alone measures the capacity with one ours-fcfs run first")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads, all systems alike")
    parser.add_argument("--requests", type=int, default=16, help="throughput part: requests at t=0")
    parser.add_argument("--load-requests", type=int, default=20, help="latency part: requests")
    parser.add_argument("--burst", type=int, default=6, help="latency part: lower-priority requests at t=0")
    parser.add_argument("--load", type=float, default=1.2, help="latency part: arrival rate / capacity")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--max-num-seqs", type=int, default=8)
    parser.add_argument("--max-num-batched-tokens", type=int, default=256)
    parser.add_argument("--kv-capacity-tokens", type=int, default=16384)
    parser.add_argument("--page-size", type=int, default=16, help="transformers' KV page size (our block size)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--urgent-batch-cap", type=int,
                        help="ours-guard-cpu: override the CPU profile's urgent_batch_cap")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.requests, args.load_requests, args.burst = 1, 8, 8, 4
        args.max_new_tokens = 16

    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    model, tokenizer = load_causal_lm(default_models_dir() / SMOLLM2_DIR_NAME, device="cpu")
    eos = model.generation_config.eos_token_id
    eos = eos if isinstance(eos, int) else eos[0]
    config = ServeConfig(BatchLimits(args.max_num_seqs, args.max_num_batched_tokens), args.kv_capacity_tokens,
                         args.max_new_tokens, eos, tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos)
    runners = {name: runner(name, model, config, args.page_size, args.urgent_batch_cap) for name in SYSTEMS}

    prompts = build_prompts(tokenizer, max(args.requests, args.load_requests), args.seed)
    warm = offline(prompts[:2])
    warm_config = ServeConfig(config.limits, config.kv_capacity_tokens, 4, eos, config.pad_token_id)
    for name in SYSTEMS:  # first-call costs (allocator, kernels) out of the timed runs
        runner(name, model, warm_config, args.page_size)(warm)

    batch = offline(prompts[:args.requests])
    throughput: dict[str, list[RunResult]] = {}
    if args.part != "latency":
        print("part 1: throughput", file=sys.stderr)
        throughput = round_robin(SYSTEMS, args.repeats, lambda name: runners[name](batch))
        capacity = statistics.median(len(batch) / run.wall_s for run in throughput["ours-fcfs"])
    else:
        print("capacity: one ours-fcfs run", file=sys.stderr)
        capacity = len(batch) / runners["ours-fcfs"](batch).wall_s
    rate = args.load * capacity

    latency = {}
    loaded, urgent = [], []
    if args.part != "throughput":
        print("part 2: latency under load", file=sys.stderr)
        loaded = burst_then_poisson(prompts[:args.load_requests], args.burst, rate, args.seed + 1)
        urgent = [TimedRequest(r.index, r.priority, r.prompt_ids, 0.0) for r in loaded if r.priority == 0]
        idle_runner = runner("ours-semantic", model, config, args.page_size)

        def run_idle() -> RunResult:  # each priority-0 call alone on an idle engine
            return concatenate([idle_runner([request]) for request in urgent])

        latency = round_robin(SYSTEMS + (IDLE,), args.repeats,
                              lambda name: run_idle() if name == IDLE else runners[name](loaded))
    load_after = os.getloadavg()

    print_header(args, model, batch, load_before, load_after)
    if args.part != "latency":
        print_throughput(batch, throughput)
    if args.part != "throughput":
        print_latency(args, loaded, urgent, latency, rate, capacity)
        print_urgent_breakdown(latency, urgent)
    print_targets(throughput, latency, loaded, urgent)


def print_header(args, model, batch, load_before, load_after) -> None:
    prompt_lengths = [len(r.prompt_ids) for r in batch]
    print(f"machine: {machine()}, torch {torch.__version__}, {torch.get_num_threads()} torch thread(s), "
          f"device {model.device}")
    print(f"load average (1, 5 min): before {load_before[0]:.2f} {load_before[1]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f}")
    print("command: python " + shlex.join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]))
    print(f"model SmolLM2-135M-Instruct float32; greedy, max_new_tokens {args.max_new_tokens}, "
          f"max_num_seqs {args.max_num_seqs}, max_num_batched_tokens {args.max_num_batched_tokens}, "
          f"KV {args.kv_capacity_tokens} tokens; medians of {args.repeats} round-robin repetitions")
    print(f"prompts: test-split calls in the chat template, {min(prompt_lengths)}-{max(prompt_lengths)} tokens "
          f"(mean {statistics.fmean(prompt_lengths):.0f})")


def print_throughput(batch: Sequence[TimedRequest], throughput: dict[str, list[RunResult]]) -> None:
    print()
    print(f"1. throughput: {len(batch)} requests at t=0 (latency = from t=0 until the output is done)")
    print(f"{'system':14s} {'out tok/s':>9s} {'runs':>17s} {'wall s':>7s} {'tokens':>6s} "
          f"{'vs hf-cont':>10s} {'vs static':>9s} {'mean lat s':>10s} {'P0 mean s':>9s}")
    rates = {name: [run.num_output_tokens / run.wall_s for run in runs] for name, runs in throughput.items()}
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, runs in throughput.items():
        print(f"{name:14s} {medians[name]:9.1f} {' '.join(f'{v:5.1f}' for v in rates[name]):>17s} "
              f"{median_of(runs, lambda r: r.wall_s):7.1f} {median_of(runs, lambda r: r.num_output_tokens):6.0f} "
              f"{medians[name] / medians['hf-continuous']:9.2f}x {medians[name] / medians['hf-static']:8.2f}x "
              f"{median_of(runs, lambda r: stat(r, batch, None, statistics.fmean)):10.2f} "
              f"{median_of(runs, lambda r: stat(r, batch, 0, statistics.fmean)):9.2f}")
    reference = throughput["hf-static"][0].outputs
    for name in (*OURS_TARGETED, "ours-fcfs", "hf-continuous"):
        same = sum(throughput[name][0].outputs[i] == reference[i] for i in reference)
        print(f"  outputs identical to static generate's, {name}: {same}/{len(reference)}")


def print_latency(args, loaded: Sequence[TimedRequest], urgent: Sequence[TimedRequest],
                  latency: dict[str, list[RunResult]], rate: float, capacity: float) -> None:
    print()
    counts = ", ".join(f"P{p} {sum(r.priority == p for r in loaded)}" for p in PRIORITIES)
    print(f"2. latency under load: {len(loaded)} requests ({counts}); {args.burst} lower-priority at t=0, "
          f"then Poisson at {rate:.3f} req/s = {args.load:.1f}x capacity ({capacity:.3f} req/s, ours-fcfs "
          f"with all at t=0). Seconds from scheduled arrival to done; medians over runs of each figure")
    header = " ".join(f"{f'P{p} mean':>7s} {f'p90':>5s}" for p in PRIORITIES)
    print(f"{'system':21s} {header} {'all mean':>8s}")
    for name, runs in latency.items():
        requests = urgent if name == IDLE else loaded
        cells = []
        for p in PRIORITIES:
            if name == IDLE and p != 0:
                cells.append(f"{'':>7s} {'':>5s}")
                continue
            cells.append(f"{median_of(runs, lambda r: stat(r, requests, p, statistics.fmean)):7.2f} "
                         f"{median_of(runs, lambda r: stat(r, requests, p, p90)):5.2f}")
        all_mean = median_of(runs, lambda r: stat(r, requests, None, statistics.fmean))
        print(f"{name:21s} {' '.join(cells)} {all_mean:8.2f}")


def urgent_breakdown(run: RunResult, urgent: Sequence[TimedRequest]) -> tuple[float, float, float, float]:
    """Over the priority-0 calls of one run of our engine: mean wait for a seat, median length
    of the decode-only steps they ran in, their mean batch size, and the mean time per call
    spent in steps that also prefilled (other calls', or its own)."""
    waits, decode_steps, batch_sizes, prefill_s = [], [], [], []
    for request in urgent:
        arrival, scheduled, finished = run.spans_s[request.index]
        life = [r for r in run.step_records if scheduled < r.time_s <= finished + 1e-9]
        waits.append(scheduled - arrival)
        decode_steps += [r.step_s for r in life if not r.num_prefill_tokens]
        batch_sizes += [r.batch_size for r in life]
        prefill_s.append(sum(r.step_s for r in life if r.num_prefill_tokens))
    return (statistics.fmean(waits), statistics.median(decode_steps), statistics.fmean(batch_sizes),
            statistics.fmean(prefill_s))


def print_urgent_breakdown(latency: dict[str, list[RunResult]], urgent: Sequence[TimedRequest]) -> None:
    if not urgent:
        return
    print()
    print("where priority-0 calls spend their time (ours, engine records; medians over runs): wait for a seat,")
    print("median decode-only step, mean batch, and time per call in steps that prefill (its own prompt included)")
    print(f"{'system':21s} {'seat wait s':>11s} {'decode step s':>13s} {'batch':>5s} {'prefill steps s':>15s}")
    for name in (*OURS_TARGETED, "ours-fcfs", IDLE):
        figures = [urgent_breakdown(run, urgent) for run in latency[name]]
        wait, step, batch, prefill = (statistics.median(f[i] for f in figures) for i in range(4))
        print(f"{name:21s} {wait:11.2f} {step:13.3f} {batch:5.1f} {prefill:15.2f}")


def print_targets(throughput: dict[str, list[RunResult]], latency: dict[str, list[RunResult]],
                  loaded: Sequence[TimedRequest], urgent: Sequence[TimedRequest]) -> None:
    print()
    print("targets")
    for name in OURS_TARGETED if "hf-continuous" in throughput else ():
        ratio = (statistics.median(r.num_output_tokens / r.wall_s for r in throughput[name])
                 / statistics.median(r.num_output_tokens / r.wall_s for r in throughput["hf-continuous"]))
        print(f"  throughput, {name} / hf-continuous: {ratio:.2f}x (target >= 1): "
              f"{'met' if ratio >= 1.0 else 'MISSED'}")
    if latency and urgent:
        idle_mean = median_of(latency[IDLE], lambda r: stat(r, urgent, 0, statistics.fmean))
        idle_p90 = median_of(latency[IDLE], lambda r: stat(r, urgent, 0, p90))
        for name in SYSTEMS:
            loaded_mean = median_of(latency[name], lambda r: stat(r, loaded, 0, statistics.fmean))
            loaded_p90 = median_of(latency[name], lambda r: stat(r, loaded, 0, p90))
            verdict = ""
            if name in OURS_TARGETED:
                verdict = f" (target mean <= 1.5x): {'met' if loaded_mean <= 1.5 * idle_mean else 'MISSED'}"
            print(f"  P0 latency under load / idle, {name}: mean {loaded_mean / idle_mean:.2f}x, "
                  f"p90 {loaded_p90 / idle_p90:.2f}x{verdict}")
    for (part, results), name in itertools.product((("throughput", throughput), ("under load", latency)),
                                                   OURS_TARGETED):
        if name not in results:
            continue
        share = median_of(results[name], lambda r: r.scheduler_share)
        steps = median_of(results[name], lambda r: r.num_steps)
        print(f"  scheduler overhead, {name}, {part}: {100 * share:.2f}% of busy time over {steps:.0f} "
              f"steps (target < 2%): {'met' if share < 0.02 else 'MISSED'}")


if __name__ == "__main__":
    main()
