"""Greedy generation through the engine equals ``model.generate`` run on each prompt alone."""

from inference.engine import Engine
from scheduling.plan import BatchLimits

MAX_NEW_TOKENS = 24


def test_concurrent_prompts_match_generate_alone(model, make_prompts, greedy):
    prompts = make_prompts([5, 17, 9, 30, 12, 1])
    engine = Engine(model, None, "fcfs", BatchLimits(max_num_seqs=4, max_num_batched_tokens=256),
                    kv_capacity_tokens=1024)
    requests = [engine.add_request(p, priority=2, max_new_tokens=MAX_NEW_TOKENS) for p in prompts]

    records = engine.run_until_idle()

    assert max(r.num_decode_tokens for r in records) == 4  # decodes really were batched
    for request, prompt in zip(requests, prompts):
        assert request.output_token_ids == greedy(prompt, MAX_NEW_TOKENS)
        assert request.finish_reason == "length"
    assert engine.executor.num_cached_tokens == 0  # every finished request's KV was released


def test_requests_added_while_running_match_generate(model, make_prompts, greedy):
    prompts = make_prompts([8, 20, 4, 11], seed=2)
    engine = Engine(model, None, "semantic", BatchLimits(max_num_seqs=3, max_num_batched_tokens=64),
                    kv_capacity_tokens=512)
    requests = [engine.add_request(prompts[0], priority=3, max_new_tokens=MAX_NEW_TOKENS)]
    for prompt in prompts[1:]:
        engine.step()
        engine.step()
        requests.append(engine.add_request(prompt, priority=1, max_new_tokens=MAX_NEW_TOKENS))

    engine.run_until_idle()

    for request, prompt in zip(requests, prompts):
        assert request.output_token_ids == greedy(prompt, MAX_NEW_TOKENS)
