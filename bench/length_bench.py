"""Does a learned output length pay? Semantic scheduling with learned lengths, against one length per
level and against the true lengths (an oracle), on the same calls.

    python bench/length_bench.py --part sim        # simulator, A100_7B, about 2 CPU minutes
    python bench/length_bench.py --part engine     # our engine, SmolLM2-135M on this CPU, about 10 minutes

The calls are the corpus test-split calls whose replies were generated
(``inference/data/reply_lengths/``, ``manage.py generate_replies``): the chat workload (the call as
the user's message), greedy, 160-token cap, so each call has its real prompt and reply length.
Levels are the true ones (no classifier error), so only the length signal differs:

* learned: ``models/length`` (``manage.py train_length``, trained on train-split replies only);
* level-median: the median real reply length of each level over the train-split replies, the fair
  one-length-per-level baseline (every call of a level predicted the same);
* level-baseline: the hand-set per-level table the product used before;
* oracle: the reply's true length.

Simulator: Poisson arrivals at ``--loads`` of FCFS capacity on this workload, ``--requests`` calls
drawn with replacement per seed, A100_7B at vLLM's limits; each predictor on the same requests.
Engine: ``--engine-calls`` calls at t=0 (a backlog, where order matters most) on our engine with
``--max-num-seqs`` seats, the predictors taking turns in each repetition. Figures are medians over
seeds or repetitions; mean latency is arrival to last token.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from inference.learned_length import LearnedLengthPredictor  # noqa: E402
from inference.length_predictor import LevelBaselinePredictor, LevelMedianPredictor  # noqa: E402
from inference.model_store import SMOLLM2_DIR_NAME, default_models_dir  # noqa: E402
from inference.reply_lengths import read_table, table_path  # noqa: E402
from inference.triage.evaluation import read_jsonl  # noqa: E402
from inference.triage.eval_sets import CORPUS_DIR  # noqa: E402
from scheduling.hardware import load_builtin_setting  # noqa: E402
from scheduling.plan import BatchLimits  # noqa: E402
from scheduling.policies import make_policy  # noqa: E402
from scheduling.request import Request  # noqa: E402
from scheduling.simulator import simulate  # noqa: E402

CAP = 160
PREDICTORS = ("learned", "level-median", "level-baseline", "oracle")


@dataclass(frozen=True)
class BenchCall:
    text: str
    level: int
    prompt_tokens: int
    output_tokens: int


def load_calls() -> tuple[list[BenchCall], dict[str, list[int]]]:
    """The test calls with real reply lengths, and each predictor's prediction per call (capped)."""
    table = read_table(table_path(SMOLLM2_DIR_NAME, CAP))
    by_id = {entry.id: entry for entry in table}
    test = [row for row in read_jsonl(CORPUS_DIR / "test.jsonl") if row.id in by_id]
    train_ids = {row.id for row in read_jsonl(CORPUS_DIR / "train.jsonl")}
    train = [entry for entry in table if entry.id in train_ids]
    calls = [BenchCall(row.text, row.priority, by_id[row.id].prompt_tokens, by_id[row.id].output_tokens)
             for row in test]
    texts, levels = [c.text for c in calls], [c.level for c in calls]
    predictors = {
        "learned": LearnedLengthPredictor.load(default_models_dir() / "length", models_dir=default_models_dir()),
        "level-median": LevelMedianPredictor.fit([e.priority for e in train], [e.output_tokens for e in train]),
        "level-baseline": LevelBaselinePredictor(),
    }
    predictions = {name: [min(p, CAP) for p in predictor.predict(texts, levels)]
                   for name, predictor in predictors.items()}
    predictions["oracle"] = [c.output_tokens for c in calls]
    return calls, predictions


def mean_by_level(latencies: Sequence[float], levels: Sequence[int]) -> dict[str, float]:
    figures = {"all": statistics.fmean(latencies)}
    for level in sorted(set(levels)):
        figures[f"P{level}"] = statistics.fmean(x for x, lv in zip(latencies, levels) if lv == level)
    return figures


def medians(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


# --- simulator ---------------------------------------------------------------------------------------

def sim_requests(calls, predicted, picks, arrivals) -> list[Request]:
    return [Request(i, at, calls[c].prompt_tokens, calls[c].output_tokens, calls[c].level,
                    predicted_output_tokens=predicted[c]) for i, (c, at) in enumerate(zip(picks, arrivals))]


def run_sim(args, calls, predictions) -> dict[float, dict[str, dict[str, float]]]:
    setting = load_builtin_setting(args.setting)
    limits = BatchLimits(max_num_seqs=args.sim_max_num_seqs) if args.sim_max_num_seqs else BatchLimits()
    results: dict[float, dict[str, list[dict[str, float]]]] = {load: {p: [] for p in PREDICTORS}
                                                                for load in args.loads}
    for seed in range(args.seeds):
        rng = random.Random(f"length-bench:{seed}")
        picks = [rng.randrange(len(calls)) for _ in range(args.requests)]
        backlog = simulate(sim_requests(calls, predictions["oracle"], picks, [0.0] * len(picks)),
                           setting, make_policy("fcfs"), limits)
        capacity = len(picks) / max(r.finish_time_s for r in backlog.requests)
        for load in args.loads:
            gaps = random.Random(f"length-bench-arrivals:{seed}:{load}")
            arrivals, now = [], 0.0
            for _ in picks:
                now += gaps.expovariate(load * capacity)
                arrivals.append(now)
            for name in PREDICTORS:
                done = simulate(sim_requests(calls, predictions[name], picks, arrivals), setting,
                                make_policy(args.policy), limits).requests
                results[load][name].append(mean_by_level([r.latency_s for r in done], [r.priority for r in done]))
        print(f"seed {seed} done (capacity {capacity:.1f} req/s)", file=sys.stderr)
    return {load: {name: medians(runs) for name, runs in by_name.items()} for load, by_name in results.items()}


# --- real engine -------------------------------------------------------------------------------------

def run_engine_part(args, calls, predictions) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], float]:
    """Wall-clock latencies (medians over repetitions) and engine iterations until each call is
    done (greedy decoding and a fixed order make these the same in every repetition: the
    ordering effect without the machine's timing noise)."""
    import torch

    from bench.engine_systems import ServeConfig, TimedRequest, run_engine
    from inference.model_store import load_causal_lm
    from inference.prompts import render_chat
    from inference.reply_lengths import chat_messages_for

    torch.set_num_threads(args.threads)
    model, tokenizer = load_causal_lm(default_models_dir() / SMOLLM2_DIR_NAME, device="cpu")
    eos = model.generation_config.eos_token_id
    eos = eos if isinstance(eos, int) else eos[0]
    config = ServeConfig(BatchLimits(args.max_num_seqs, 2048), 32768, CAP, eos, tokenizer.pad_token_id or eos)
    picks = random.Random(f"length-bench-engine:{args.seed}").sample(range(len(calls)), args.engine_calls)
    prompt_ids = {c: tuple(tokenizer(render_chat(tokenizer, chat_messages_for(calls[c].text)),
                                     add_special_tokens=False).input_ids) for c in picks}

    def requests(name: str) -> list[TimedRequest]:
        return [TimedRequest(i, calls[c].level, prompt_ids[c], 0.0, predictions[name][c])
                for i, c in enumerate(picks)]

    run_engine(model, args.policy, requests("oracle")[:2], ServeConfig(config.limits, config.kv_capacity_tokens,
                                                                       4, eos, config.pad_token_id))  # warm-up
    names = [name for name in PREDICTORS if name != "level-baseline"]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    steps: dict[str, dict[str, float]] = {}
    same_length = []
    for repeat in range(args.repeats):
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:  # rotate who goes first
            result = run_engine(model, args.policy, requests(name), config)
            levels = [calls[c].level for c in picks]
            runs[name].append(mean_by_level([result.latency_s[i] for i in range(len(picks))], levels))
            finish_step = {rid: step for step, record in enumerate(result.step_records, start=1)
                           for rid in record.finished_ids}  # engine ids are the indices: all added at t=0 in order
            steps[name] = mean_by_level([finish_step[i] for i in range(len(picks))], levels)
            same_length += [len(result.outputs[i]) == calls[c].output_tokens for i, c in enumerate(picks)]
            print(f"repeat {repeat} {name}: mean {runs[name][-1]['all']:.1f} s", file=sys.stderr)
    return {name: medians(r) for name, r in runs.items()}, steps, sum(same_length) / len(same_length)


# --- report ------------------------------------------------------------------------------------------

def table(rows: dict[str, dict[str, float]], unit: str = "s") -> str:
    keys = list(next(iter(rows.values())))
    base = rows["level-median"]["all"]
    lines = ["| lengths | " + " | ".join(f"{k} mean {unit}" for k in keys) + " | all vs level-median |",
             "|---|" + "---|" * (len(keys) + 1)]
    for name, figures in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{figures[k]:.2f}" for k in keys) + f" | {figures['all'] / base:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("sim", "engine"), required=True)
    parser.add_argument("--policy", default="semantic")
    parser.add_argument("--setting", default="A100_7B")
    parser.add_argument("--loads", type=float, nargs="+", default=[0.9, 1.1])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--sim-max-num-seqs", type=int, default=None,
                        help="simulator seats (default: vLLM's 256); fewer seats make requests queue")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--engine-calls", type=int, default=40)
    parser.add_argument("--max-num-seqs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    calls, predictions = load_calls()
    print(f"{machine()}; {len(calls)} test calls with real reply lengths; policy {args.policy}")
    print(f"command: python bench/length_bench.py {' '.join(sys.argv[1:])}\n")
    if args.part == "sim":
        for load, rows in run_sim(args, calls, predictions).items():
            print(f"{args.setting}, Poisson at {load:.0%} of FCFS capacity, {args.requests} requests, "
                  f"median of {args.seeds} seeds\n{table(rows)}\n")
    else:
        rows, steps, agreement = run_engine_part(args, calls, predictions)
        print(f"our engine, {args.engine_calls} calls at t=0, {args.max_num_seqs} seats, cap {CAP}, "
              f"median of {args.repeats} repetitions; {agreement:.1%} of replies as long as in the table\n"
              f"{table(rows)}\n\nthe same runs in engine iterations until each call is done (no timing noise)\n"
              f"{table(steps, unit='steps')}")


if __name__ == "__main__":
    main()
