"""The engine ranks by the predicted length it is given, never by more than the request's cap."""

from inference.engine import Engine
from scheduling.plan import BatchLimits


def test_shorter_predicted_replies_go_first_and_a_prediction_is_cut_to_the_cap(model, make_prompts):
    prompts = make_prompts([6, 6, 6], seed=3)
    engine = Engine(model, None, "semantic", BatchLimits(max_num_seqs=1, max_num_batched_tokens=64),
                    kv_capacity_tokens=512)
    long = engine.add_request(prompts[0], priority=2, max_new_tokens=12, predicted_output_tokens=40)
    unknown = engine.add_request(prompts[1], priority=2, max_new_tokens=12)
    short = engine.add_request(prompts[2], priority=2, max_new_tokens=12, predicted_output_tokens=3)

    engine.run_until_idle()

    assert long.request.predicted_output_tokens == 12  # 40 cannot happen under a 12-token cap
    assert unknown.request.predicted_output_tokens == 12
    assert short.request.predicted_output_tokens == 3
    finished = sorted([long, unknown, short], key=lambda r: r.request.finish_time_s)
    assert finished[0] is short  # one seat: the shortest prediction is served first
