"""An urgent request displaces a running routine one; both still produce their exact outputs."""

import pytest

from inference.engine import Engine
from scheduling.plan import BatchLimits

MAX_NEW_TOKENS = 20


@pytest.mark.parametrize("max_num_batched_tokens", [256, 8], ids=["whole-prefill", "chunked"])
def test_priority_0_displaces_running_priority_4(model, make_prompts, greedy, max_num_batched_tokens):
    routine_a, routine_b, urgent_prompt = make_prompts([14, 10, 12], seed=3)
    engine = Engine(model, None, "semantic",
                    BatchLimits(max_num_seqs=2, max_num_batched_tokens=max_num_batched_tokens),
                    kv_capacity_tokens=512)
    longer = engine.add_request(routine_a, priority=4, max_new_tokens=MAX_NEW_TOKENS)
    shorter = engine.add_request(routine_b, priority=4, max_new_tokens=MAX_NEW_TOKENS - 5)
    for _ in range(8):  # both running, several tokens in
        engine.step()
    assert longer.output_token_ids and shorter.output_token_ids

    urgent = engine.add_request(urgent_prompt, priority=0, max_new_tokens=MAX_NEW_TOKENS)
    engine.step()

    # The batch was full: the priority-4 request with the most work left gave up its seat.
    assert longer.num_preemptions == 1 and shorter.num_preemptions == 0
    assert urgent.request.first_scheduled_time_s is not None
    if max_num_batched_tokens >= len(urgent_prompt):
        assert len(urgent.output_token_ids) == 1  # its whole prompt ran in the step it arrived
    engine.run_until_idle()
    assert longer.output_token_ids == greedy(routine_a, MAX_NEW_TOKENS)
    assert shorter.output_token_ids == greedy(routine_b, MAX_NEW_TOKENS - 5)
    assert urgent.output_token_ids == greedy(urgent_prompt, MAX_NEW_TOKENS)
