"""Under memory pressure the engine preempts instead of exceeding its KV budget, and stays exact."""

import pytest

from inference.engine import Engine, TorchExecutor
from scheduling.plan import BatchLimits, StepPlan
from scheduling.request import Request

MAX_NEW_TOKENS = 24
KV_CAPACITY_TOKENS = 96  # 6 blocks of 16; four requests want 3 blocks each by the end


def test_kv_budget_is_never_exceeded(model, make_prompts, greedy):
    prompts = make_prompts([20, 18, 22, 15], seed=5)
    engine = Engine(model, None, "semantic", BatchLimits(max_num_seqs=4, max_num_batched_tokens=128),
                    kv_capacity_tokens=KV_CAPACITY_TOKENS, block_size=16)
    requests = [engine.add_request(p, priority=i, max_new_tokens=MAX_NEW_TOKENS)
                for i, p in enumerate(prompts)]

    while (record := engine.step()) is not None:
        assert record.num_kv_blocks_used <= record.num_kv_blocks == 6
        assert engine.executor.num_cached_tokens <= KV_CAPACITY_TOKENS
        for request in requests:  # the executor holds exactly what the scheduler accounts for
            held = engine.executor.num_cached_tokens_of(request.request_id)
            if request.is_finished:
                assert held == 0
            else:
                assert held == request.request.num_computed_tokens <= request.request.num_kv_blocks * 16

    assert engine.scheduler.num_preemptions > 0
    for request, prompt in zip(requests, prompts):
        assert request.output_token_ids == greedy(prompt, MAX_NEW_TOKENS)


def test_request_larger_than_the_budget_is_refused(model):
    engine = Engine(model, None, "fcfs", BatchLimits(max_num_seqs=2, max_num_batched_tokens=64),
                    kv_capacity_tokens=32, block_size=16)
    with pytest.raises(ValueError, match="KV cache"):
        engine.add_request([5] * 20, priority=0, max_new_tokens=20)


def test_swap_preemption_is_refused_by_the_executor(model):
    swapped = Request(0, 0.0, prompt_tokens=4, output_tokens=2, priority=1)
    with pytest.raises(ValueError, match="recompute"):
        TorchExecutor(model).run(StepPlan(swapped_in=[swapped]))
