"""Per-request timings are ordered; per-step records add up to what was generated."""

from inference.engine import Engine, scheduler_overhead_share
from scheduling.plan import BatchLimits

MAX_NEW_TOKENS = 12


def test_request_timings_are_ordered(model, make_prompts, clock):
    prompts = make_prompts([10, 25, 4], seed=8)
    engine = Engine(model, None, "semantic", BatchLimits(max_num_seqs=2, max_num_batched_tokens=16),
                    kv_capacity_tokens=256, clock=clock)
    requests = [engine.add_request(p, priority=4 - i, max_new_tokens=MAX_NEW_TOKENS)
                for i, p in enumerate(prompts)]

    records = engine.run_until_idle()

    for request in requests:
        r = request.request
        assert r.arrival_time_s < r.first_scheduled_time_s < r.first_token_time_s < r.finish_time_s
        assert request.queueing_delay_s >= 0 and request.ttft_s > 0 and request.tpot_s > 0
        assert request.latency_s == r.finish_time_s - r.arrival_time_s
    assert [r.time_s for r in records] == sorted(r.time_s for r in records)
    # Every output token comes from a decode or from a prefill that completes (recompute included).
    total_outputs = sum(len(r.output_token_ids) for r in requests)
    assert sum(r.num_decode_tokens for r in records) <= total_outputs - len(requests)
    assert sum(r.num_prefill_tokens for r in records) >= sum(len(p) for p in prompts)
    assert sum(r.num_finished for r in records) == len(requests)
    assert 0 < scheduler_overhead_share(records) < 1
