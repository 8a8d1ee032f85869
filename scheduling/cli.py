"""Command line: ``python -m scheduling simulate ...`` (``manage.py simulate`` wraps it).

Every policy in one run sees the identical request list and identical limits. With
``--replicas``/``--router`` each policy runs inside every replica of a fleet (``fleet.py``).
Bad input ends with one line naming the problem and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from scheduling import metrics, report, workloads
from scheduling.fleet import FleetConfig, simulate_fleet, summarize_replicas
from scheduling.hardware import (HardwareSetting, builtin_setting_names, load_builtin_setting,
                                 load_setting_file, PREEMPTION_MODES)
from scheduling.plan import BatchLimits
from scheduling.policies import (DEFAULT_GUARD_S, DEFAULT_MAX_WAIT_S, POLICY_OPTIONS, make_policy,
                                 policy_names)
from scheduling.predictors import PredictorConfig, apply_predictions
from scheduling.request import Request
from scheduling.routers import ROUTERS_WITH_RESERVE, ROUTERS_WITH_URGENT_RESERVE, router_names
from scheduling.simulator import simulate

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line; printed as one line, exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + error; we print one line
        raise UsageError(message)


def checked(parse: Callable[[str], object]) -> Callable[[str], object]:
    """Wrap a parser so argparse shows its message (it hides a ValueError's text)."""
    def wrapped(text: str) -> object:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    wrapped.__name__ = parse.__name__
    return wrapped


def _number(minimum: float, inclusive: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (value >= minimum if inclusive else value > minimum):  # NaN fails too
            relation = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(f"must be {relation} {minimum:g}, got {text!r}")
        return value
    return parse


positive = _number(0.0, inclusive=False)
non_negative = _number(0.0, inclusive=True)


def _integer(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text!r}")
        return value
    return parse


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = OneLineParser(prog=prog, description="Semantic scheduling for LLM inference.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    add_simulate_arguments(commands.add_parser(
        "simulate", help="simulate an LLM server under one or more scheduling policies"))
    return parser


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    hw = parser.add_argument_group("hardware")
    source = hw.add_mutually_exclusive_group(required=True)
    source.add_argument("--setting", help=f"built-in setting: {', '.join(builtin_setting_names())}")
    source.add_argument("--setting-file", type=Path, help="YAML or JSON file with a custom setting")
    hw.add_argument("--preemption-mode", choices=PREEMPTION_MODES,
                    help="override the setting's preemption mode")

    sched = parser.add_argument_group("scheduling")
    sched.add_argument("--policy", action="append", metavar="NAME",
                       help=f"repeatable; one of {', '.join(policy_names())} or 'all' (default)")
    sched.add_argument("--max-num-seqs", type=int, default=BatchLimits.max_num_seqs)
    sched.add_argument("--max-num-batched-tokens", type=int,
                       default=BatchLimits.max_num_batched_tokens)
    sched.add_argument("--max-wait-s", type=positive, default=DEFAULT_MAX_WAIT_S,
                       help="starvation bound: semantic-aging's for class 4 (classes 1-3 get "
                            "1/4, 2/4, 3/4 of it); semantic-guard's for classes 1-4")
    sched.add_argument("--guard-s", type=non_negative, default=DEFAULT_GUARD_S,
                       help="semantic-guard: seconds of less urgent prefill an iteration may add, "
                            "summed over the class-0 decodes it delays")
    sched.add_argument("--urgent-batch-cap", type=_integer(0),
                       help="semantic-guard: while class-0 requests decode, at most this many "
                            "other decodes share their iterations (default: no cap; for CPUs, "
                            "where a batch costs far more than one sequence)")
    sched.add_argument("--class-weights", type=checked(parse_class_weights),
                       help="semantic-guard, research only: weights of classes 1-4, e.g. "
                            "1.75,1.5,1.25,1; classes 1-4 then go by work over weight, not "
                            "urgency first")

    fleet = parser.add_argument_group("fleet")
    fleet.add_argument("--replicas", type=_integer(1), default=1,
                       help="engines behind a router, each with this setting and these limits "
                            "(default 1: the single engine, no router)")
    fleet.add_argument("--router", choices=router_names(),
                       help="fifo (the deployed broker; default with --replicas > 1), semantic "
                            "(urgency-ordered broker, urgent calls first), least-loaded (no broker)")
    fleet.add_argument("--reserve", type=_integer(1),
                       help="fifo, semantic: calls a replica holds before it stops taking from "
                            "the broker (default --max-num-seqs + 2)")
    fleet.add_argument("--urgent-reserve", type=_integer(0),
                       help="semantic: urgent calls a replica takes beyond --reserve (default 2)")

    load = parser.add_argument_group("workload")
    load.add_argument("--workload", choices=("seed-burst", "poisson"), default="seed-burst")
    load.add_argument("--trace", type=Path, help="CSV: arrival_time_s,prompt_tokens,"
                      "output_tokens,priority[,predicted_priority,predicted_output_tokens]")
    load.add_argument("--seed", type=int, default=0)
    load.add_argument("--user_request_gap", "--user-request-gap", dest="user_request_gap",
                      type=non_negative, default=0.01, help="seed-burst: seconds between epochs")
    load.add_argument("--max_concurrent_user_requests", "--max-concurrent-user-requests",
                      dest="max_concurrent_user_requests", type=int, default=5,
                      help="seed-burst: each epoch brings Uniform{0..N} requests")
    load.add_argument("--num-epochs", type=int, default=20, help="seed-burst: number of epochs")
    load.add_argument("--rate", type=positive, help="poisson: requests per second")
    load.add_argument("--duration", type=positive, help="poisson: seconds of arrivals")
    load.add_argument("--num-requests", type=int, help="poisson: number of requests")
    load.add_argument("--priority-mix", type=checked(workloads.parse_priority_mix),
                      help="five weights for priorities 0..4, e.g. 0.1,0.2,0.3,0.2,0.2")
    load.add_argument("--prompt-tokens", type=checked(workloads.parse_length_dist),
                      default=workloads.REFERENCE_PROMPT_TOKENS, help=workloads.LENGTH_DIST_FORMS)
    load.add_argument("--output-tokens", type=checked(workloads.parse_length_dist),
                      default=workloads.REFERENCE_OUTPUT_TOKENS, help=workloads.LENGTH_DIST_FORMS)

    pred = parser.add_argument_group("predictors")
    pred.add_argument("--predictor-latency-s", type=non_negative, default=0.0)
    pred.add_argument("--priority-error-rate", type=non_negative, default=0.0)
    pred.add_argument("--length-error-rate", type=non_negative, default=0.0)

    out = parser.add_argument_group("output")
    out.add_argument("--slo", type=checked(metrics.parse_slos), default=metrics.DEFAULT_SLOS,
                     help="per-priority SLOs, e.g. 0:1:0.05,4:30:0.2 (priority:ttft_s:tpot_s)")
    out.add_argument("--json", type=Path, help="write the results as JSON")
    out.add_argument("--html", type=Path, help="write a self-contained Plotly report")
    out.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def main(argv: Sequence[str] | None = None, prog: str = "python -m scheduling") -> int:
    try:
        args = build_parser(prog).parse_args(argv)
        return run_simulate(args)
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, OSError) as exc:  # SettingError and TraceError are ValueErrors
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def run_simulate(args: argparse.Namespace) -> int:
    setting = load_setting(args)
    policies = choose_policies(args.policy)
    limits = BatchLimits(args.max_num_seqs, args.max_num_batched_tokens)
    fleet = choose_fleet(args)
    predictors = PredictorConfig(args.predictor_latency_s, args.priority_error_rate,
                                 args.length_error_rate)
    requests, workload = build_workload(args)
    apply_predictions(requests, predictors, random.Random(f"predictions:{args.seed}"))
    for path in (args.json, args.html):
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"output folder {path.parent} does not exist")

    results, summaries = {}, {}
    with _progress(len(requests) * len(policies), disable=args.no_progress) as bar:
        for name in policies:
            new_policy = functools.partial(make_policy, name, **policy_options(name, args))
            if fleet is None:
                results[name] = simulate(requests, setting, new_policy(), limits,
                                         predictors.latency_s, on_finish=bar.update)
                summaries[name] = metrics.summarize(results[name], args.slo)
            else:
                fleet_result = simulate_fleet(requests, setting, new_policy, limits, fleet,
                                              predictors.latency_s, on_finish=bar.update)
                results[name] = fleet_result.run
                summaries[name] = metrics.summarize(fleet_result.run, args.slo)
                summaries[name]["per_replica"] = summarize_replicas(fleet_result)
    fleet_description = fleet.describe(limits) if fleet is not None else None

    workload.update(max_num_seqs=limits.max_num_seqs,
                    max_num_batched_tokens=limits.max_num_batched_tokens,
                    predictor_latency_s=predictors.latency_s,
                    priority_error_rate=predictors.priority_error_rate,
                    length_error_rate=predictors.length_error_rate)
    print(f"setting {setting.name}: KV cache {setting.kv_capacity_tokens} tokens; "
          + ", ".join(f"{k}={v}" for k, v in workload.items()))
    if fleet_description is not None:
        print(report.format_fleet(fleet_description))
    print(report.format_table(summaries))
    print(report.format_summary_lines(summaries))
    if fleet_description is not None:
        print(report.format_replica_lines(summaries))
    if args.json:
        report.write_json(args.json, setting.name, workload, summaries, fleet_description)
    if args.html:
        report.write_html(args.html, setting.name, workload, summaries, results, fleet_description)
    return 0


def load_setting(args: argparse.Namespace) -> HardwareSetting:
    setting = (load_setting_file(args.setting_file) if args.setting_file
               else load_builtin_setting(args.setting))
    if args.preemption_mode:
        setting = dataclasses.replace(setting, preemption_mode=args.preemption_mode)
    return setting


def choose_fleet(args: argparse.Namespace) -> FleetConfig | None:
    """The fleet to simulate, or None for today's single engine (one replica, no router)."""
    if args.replicas == 1 and args.router is None:
        for flag, value in (("--reserve", args.reserve), ("--urgent-reserve", args.urgent_reserve)):
            if value is not None:
                raise UsageError(f"{flag} needs a fleet: give --router (or --replicas above 1)")
        return None
    router = args.router or "fifo"
    if args.reserve is not None and router not in ROUTERS_WITH_RESERVE:
        raise UsageError(f"--reserve applies only to --router {' or '.join(ROUTERS_WITH_RESERVE)}")
    if args.urgent_reserve is not None and router not in ROUTERS_WITH_URGENT_RESERVE:
        raise UsageError("--urgent-reserve applies only to --router semantic")
    return FleetConfig(args.replicas, router, args.reserve, args.urgent_reserve)


def policy_options(name: str, args: argparse.Namespace) -> dict:
    """The options of policy ``name`` that the command line sets (None: the policy's default)."""
    options = {option: getattr(args, option) for option in POLICY_OPTIONS.get(name, ())}
    return {option: value for option, value in options.items() if value is not None}


def parse_class_weights(text: str) -> tuple[float, ...]:
    try:
        weights = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"expected 4 comma-separated numbers, got {text!r}") from None
    if len(weights) != 4 or not all(0 < w < float("inf") for w in weights):
        raise ValueError(f"expected 4 positive numbers (classes 1-4), got {text!r}")
    return weights


def choose_policies(names: list[str] | None) -> list[str]:
    if not names or "all" in names:
        return policy_names()
    unknown = [n for n in names if n not in policy_names()]
    if unknown:
        raise UsageError(f"unknown policy {unknown[0]!r}; choose from "
                         f"{', '.join(policy_names())} or all")
    return list(dict.fromkeys(names))


def build_workload(args: argparse.Namespace) -> tuple[list[Request], dict]:
    """The request list every policy will see, and its description for the report."""
    rng = random.Random(f"workload:{args.seed}")
    lengths = {"priority_mix": args.priority_mix, "prompt_tokens": args.prompt_tokens,
               "output_tokens": args.output_tokens}
    poisson_flags = [flag for flag, value in (("--rate", args.rate), ("--duration", args.duration),
                                              ("--num-requests", args.num_requests)) if value is not None]
    if poisson_flags and (args.trace or args.workload != "poisson"):
        raise UsageError(f"{poisson_flags[0]} applies only to --workload poisson")
    if args.trace:
        requests = workloads.read_trace_csv(args.trace)
        workload = {"kind": "trace", "trace": str(args.trace)}
    elif args.workload == "poisson":
        if args.rate is None or (args.duration is None) == (args.num_requests is None):
            raise UsageError("--workload poisson needs --rate and one of --duration or --num-requests")
        requests = workloads.poisson(rng, rate_per_s=args.rate, duration_s=args.duration,
                                     num_requests=args.num_requests, **lengths)
        workload = {"kind": "poisson", "rate_per_s": args.rate, "duration_s": args.duration}
    else:
        requests = workloads.seed_burst(
            rng, user_request_gap_s=args.user_request_gap,
            max_concurrent_user_requests=args.max_concurrent_user_requests,
            num_epochs=args.num_epochs, **lengths)
        workload = {"kind": "seed-burst", "user_request_gap": args.user_request_gap,
                    "max_concurrent_user_requests": args.max_concurrent_user_requests,
                    "num_epochs": args.num_epochs}
    if not requests:
        raise UsageError("the workload has no requests")
    if not args.trace:
        workload.update(prompt_tokens=str(args.prompt_tokens), output_tokens=str(args.output_tokens),
                        priority_mix=list(args.priority_mix) if args.priority_mix else "uniform")
    workload.update(seed=args.seed, num_requests=len(requests))
    return requests, workload


def _progress(total: int, disable: bool):
    from tqdm import tqdm
    # disable=None: tqdm shows the bar only when stderr is a terminal.
    return tqdm(total=total, unit="req", file=sys.stderr, disable=True if disable else None,
                leave=False)
