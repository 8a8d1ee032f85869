"""`manage.py fidelity --setting-file FILE`: one trace on the real engine and in the simulator,
end-to-end latency compared per priority (target: within 10% wherever a priority has >= 20 calls)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from triage_site.management.commands._cli import (CLOCK_HELP, EXIT_USAGE, THREADS_HELP, check_device, checked,
                                                  load_model, make_errors_one_line, positive_float,
                                                  positive_int, use_threads)

DEFAULT_POLICIES = "fcfs,semantic"


@checked
def policy_list(text: str) -> list[str]:
    from scheduling.policies import policy_names

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in policy_names()]
    if not names or unknown:
        raise ValueError(f"unknown policy {unknown[0]!r}; choose from {', '.join(policy_names())}"
                         if unknown else "no policy named")
    return list(dict.fromkeys(names))


class Command(BaseCommand):
    help = ("Replay one trace of calls on the real engine (real time) and in the simulator with a "
            "calibrated setting; print real vs simulated latency per priority.")
    requires_system_checks: list[str] = []  # no database

    def create_parser(self, prog_name, subcommand, **kwargs):
        return make_errors_one_line(super().create_parser(prog_name, subcommand, **kwargs))

    def add_arguments(self, parser) -> None:
        parser.add_argument("--setting-file", type=Path, required=True,
                            help="setting written by `manage.py calibrate` for this machine")
        parser.add_argument("--policies", type=policy_list, default=DEFAULT_POLICIES,
                            help=f"comma-separated (default {DEFAULT_POLICIES})")
        parser.add_argument("--num-requests", type=positive_int, default=140)
        parser.add_argument("--rate", type=positive_float, default=0.6,
                            help="Poisson arrivals per second (default 0.6)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--max-new-tokens", type=positive_int, default=32)
        parser.add_argument("--max-num-seqs", type=positive_int, default=8)
        parser.add_argument("--max-num-batched-tokens", type=positive_int, default=256)
        parser.add_argument("--data", type=Path, default=settings.TRIAGE_CORPUS_DIR / "test.jsonl",
                            help="labelled calls (JSON Lines) the prompts come from")
        parser.add_argument("--model-dir", type=Path, default=settings.TRIAGE_LM_DIR)
        parser.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
        parser.add_argument("--threads", type=positive_int, default=1, help=THREADS_HELP)
        parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help=CLOCK_HELP)
        parser.add_argument("--json", type=Path, help="also write every figure as JSON")
        parser.add_argument("--from-json", type=Path,
                            help="skip the real replay: take the real runs from an earlier --json "
                                 "and simulate them with --setting-file (to compare settings on the "
                                 "very same real runs)")

    def handle(self, *args, **options) -> None:
        from inference.fidelity import (CpuClock, build_trace, format_rows, reply_prompt_ids,
                                        run_fidelity, step_time_bias)
        from triage_site.triage import get_length_predictor
        from inference.triage.evaluation import DatasetError, read_jsonl
        from scheduling.hardware import SettingError, load_setting_file
        from scheduling.plan import BatchLimits

        policies = options["policies"]  # argparse runs a string default through the type too
        if options["from_json"] is not None:
            self._from_json(options)
            return
        try:
            setting = load_setting_file(options["setting_file"])
            calls = read_jsonl(options["data"])
            limits = BatchLimits(options["max_num_seqs"], options["max_num_batched_tokens"])
        except (SettingError, DatasetError, ValueError, OSError) as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from None
        if options["json"] is not None and not options["json"].parent.is_dir():
            raise CommandError(f"output folder {options['json'].parent} does not exist",
                               returncode=EXIT_USAGE)
        if not calls:
            raise CommandError(f"{options['data']} holds no calls", returncode=EXIT_USAGE)
        use_threads(options["threads"])
        device = check_device(options["device"])
        model, tokenizer = load_model(options["model_dir"], device)

        trace = build_trace(calls, lambda text: reply_prompt_ids(tokenizer, text),
                            num_requests=options["num_requests"], rate_per_s=options["rate"],
                            seed=options["seed"], predict_lengths=get_length_predictor().predict)
        longest = max(len(call.prompt_ids) for call in trace) + options["max_new_tokens"]
        if longest > setting.kv_capacity_tokens:
            raise CommandError(f"the setting's KV capacity ({setting.kv_capacity_tokens} tokens) "
                               f"cannot hold a {longest}-token call", returncode=EXIT_USAGE)
        self.stdout.write(f"setting {setting.name} (KV {setting.kv_capacity_tokens} tokens); "
                          f"{len(trace)} calls from {options['data'].name}, Poisson {options['rate']:g}/s, "
                          f"seed {options['seed']}, max_new_tokens {options['max_new_tokens']}, "
                          f"max_num_seqs {limits.max_num_seqs}, "
                          f"max_num_batched_tokens {limits.max_num_batched_tokens}; {device}, "
                          f"{options['threads']} thread(s), {options['clock']} clock")

        def report(result) -> None:
            real = result.real
            outputs = [o.output_tokens for o in real.outcomes]
            span = max(o.arrival_s + o.latency_s for o in real.outcomes)
            self.stdout.write(f"\n{result.policy}: {len(real.steps)} engine steps, busy "
                              f"{real.busy_s / span:.0%} of {span:.0f} s, mean output "
                              f"{sum(outputs) / len(outputs):.1f} tokens, wall {result.wall_s:.0f} s")
            self.stdout.write(bias_line(step_time_bias(setting, real.steps)))
            self.stdout.write(format_rows(result.rows))
            self.stdout.flush()

        timing = {}
        if options["clock"] == "cpu":
            clock = CpuClock()
            timing = {"clock": clock, "sleep": clock.sleep}
        results = run_fidelity(model, trace, policies=policies, setting=setting, limits=limits,
                               max_new_tokens=options["max_new_tokens"], device=device,
                               on_policy=report, **timing)
        self.stdout.write(target_line([row for result in results for row in result.rows]))
        if options["json"]:
            figures = _as_json(setting.name, options, results)
            options["json"].write_text(json.dumps(figures, indent=2) + "\n")


    def _from_json(self, options: dict) -> None:
        from inference.fidelity import (Outcome, RealRun, compare, format_rows,
                                        replay_simulated, step_time_bias)
        from inference.calibration.steps import StepSample
        from scheduling.hardware import SettingError, load_setting_file
        from scheduling.plan import BatchLimits

        try:
            setting = load_setting_file(options["setting_file"])
            earlier = json.loads(options["from_json"].read_text())
            trace = earlier["trace"]
            limits = BatchLimits(trace["max_num_seqs"], trace["max_num_batched_tokens"])
            runs = {policy: RealRun(
                [Outcome(r["request_id"], r["priority"], r["arrival_s"], r["prompt_tokens"], r["output_tokens"],
                         r["predicted_output_tokens"], r["real_latency_s"], r["real_ttft_s"])
                 for r in data["requests"]],
                [StepSample(tuple(s["decode_contexts"]), tuple(map(tuple, s["prefill_chunks"])), s["model_s"],
                            s["host_s"]) for s in data["real_steps"]])
                for policy, data in earlier["policies"].items()}
        except (SettingError, OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot use {options['from_json']}: {exc}", returncode=EXIT_USAGE) from None
        self.stdout.write(f"setting {setting.name}; real runs from {options['from_json']} "
                          f"({earlier['setting']} was the setting then)")
        all_rows = []
        for policy, real in runs.items():
            rows = compare(policy, real.outcomes, replay_simulated(real.outcomes, policy=policy, limits=limits,
                                                                   setting=setting))
            self.stdout.write(f"\n{policy}: " + bias_line(step_time_bias(setting, real.steps)))
            self.stdout.write(format_rows(rows))
            all_rows += rows
        self.stdout.write(target_line(all_rows))


def bias_line(bias: dict[str, tuple[int, float, float]]) -> str:
    return "the setting's step times against this run's own steps (total; felt by requests): " + ", ".join(
        f"{kind} {total:+.1%}; {felt:+.1%} ({count})" for kind, (count, total, felt) in bias.items())


def target_line(rows) -> str:
    """The verdict over every checked priority row of every policy."""
    missed = [f"{row.policy} P{row.priority}" for row in rows if row.priority is not None and not row.meets_target]
    return ("\ntarget (mean and p90 within 10% for priorities with >= 20 calls): "
            + (f"MISSED for {', '.join(missed)}" if missed else "met"))


def _as_json(setting_name: str, options: dict, results) -> dict:
    trace = {key: options[key] for key in ("num_requests", "rate", "seed", "max_new_tokens",
                                           "max_num_seqs", "max_num_batched_tokens")}
    trace["data"] = str(options["data"])
    policies = {}
    for result in results:
        simulated = {o.request_id: o for o in result.simulated}
        policies[result.policy] = {
            "rows": [row.as_dict() for row in result.rows],
            "real_busy_s": result.real.busy_s,
            "real_steps": [dataclasses.asdict(step) for step in result.real.steps],
            "requests": [{"request_id": o.request_id, "priority": o.priority, "arrival_s": o.arrival_s,
                          "prompt_tokens": o.prompt_tokens, "output_tokens": o.output_tokens,
                          "predicted_output_tokens": o.predicted_output_tokens,
                          "real_latency_s": o.latency_s, "sim_latency_s": simulated[o.request_id].latency_s,
                          "real_ttft_s": o.ttft_s, "sim_ttft_s": simulated[o.request_id].ttft_s}
                         for o in result.real.outcomes]}
    return {"setting": setting_name, "trace": trace, "policies": policies}
