"""An end-of-sequence token stops a request early, as it stops ``generate``."""

from inference.engine import Engine
from scheduling.plan import BatchLimits

MAX_NEW_TOKENS = 20


def first_new_token_after(tokens: list[int], position: int) -> tuple[int, int]:
    """A token first seen at ``position`` or later, and where: stopping there is unambiguous."""
    for index in range(position, len(tokens)):
        if tokens[index] not in tokens[:index]:
            return tokens[index], index
    raise AssertionError("no fresh token to use as end-of-sequence")


def test_eos_stops_a_request_early(model, make_prompts, greedy):
    prompt, other = make_prompts([9, 13], seed=6)
    eos, index = first_new_token_after(greedy(prompt, MAX_NEW_TOKENS), 4)
    engine = Engine(model, None, "fcfs", BatchLimits(max_num_seqs=2, max_num_batched_tokens=64),
                    kv_capacity_tokens=256, eos_token_ids=[eos])
    stopping = engine.add_request(prompt, priority=2, max_new_tokens=MAX_NEW_TOKENS)
    neighbour = engine.add_request(other, priority=2, max_new_tokens=MAX_NEW_TOKENS)

    engine.run_until_idle()

    assert stopping.output_token_ids == greedy(prompt, MAX_NEW_TOKENS, eos=eos)
    assert len(stopping.output_token_ids) == index + 1 and stopping.output_token_ids[-1] == eos
    assert stopping.finish_reason == "eos" and stopping.request.output_tokens == index + 1
    assert neighbour.output_token_ids == greedy(other, MAX_NEW_TOKENS, eos=eos)


def test_eos_as_the_very_first_token(model, make_prompts, greedy):
    (prompt,) = make_prompts([7], seed=7)
    eos = greedy(prompt, 1)[0]
    engine = Engine(model, None, "fcfs", BatchLimits(max_num_seqs=2, max_num_batched_tokens=64),
                    kv_capacity_tokens=256, eos_token_ids=[eos])
    request = engine.add_request(prompt, priority=0, max_new_tokens=MAX_NEW_TOKENS)

    engine.run_until_idle()

    assert request.output_token_ids == [eos] and request.is_finished
    assert request.tpot_s is None and request.latency_s == request.ttft_s
