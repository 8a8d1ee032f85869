"""Prompts split over several steps by a small token budget give the same tokens."""

from inference.engine import Engine
from scheduling.plan import BatchLimits

MAX_NEW_TOKENS = 16


def test_chunked_prefill_matches_generate(model, make_prompts, greedy):
    prompts = make_prompts([37, 23, 6], seed=4)
    engine = Engine(model, None, "sjf", BatchLimits(max_num_seqs=3, max_num_batched_tokens=7),
                    kv_capacity_tokens=512)
    requests = [engine.add_request(p, priority=1, max_new_tokens=MAX_NEW_TOKENS) for p in prompts]

    records = engine.run_until_idle()

    assert all(r.num_prefill_tokens + r.num_decode_tokens <= 7 for r in records)
    assert sum(r.num_prefill_tokens > 0 for r in records) >= 37 // 7  # the long prompt took many steps
    for request, prompt in zip(requests, prompts):
        assert request.output_token_ids == greedy(prompt, MAX_NEW_TOKENS)
