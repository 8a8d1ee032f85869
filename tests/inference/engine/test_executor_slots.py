"""The executor's slot layout: a request part-way through its prefill can sit between decoding
ones after a release compacts the slots; the decode pass then computes a throw-away row for it,
and every output is still exactly greedy."""

from inference.engine import Engine, TorchExecutor
from scheduling.plan import BatchLimits


def test_a_prefilling_slot_inside_the_decode_span_keeps_outputs_exact(model, make_prompts, greedy,
                                                                     monkeypatch):
    skipped_rows = []
    decode = TorchExecutor._decode

    def counting_decode(self, decodes):
        slots = [self._slot_of[r.request_id] for r in decodes]
        skipped_rows.append(max(slots) + 1 - min(slots) - len(decodes))
        return decode(self, decodes)

    monkeypatch.setattr(TorchExecutor, "_decode", counting_decode)
    prompts = make_prompts([3, 4, 5, 60], seed=4)
    max_new_tokens = [30, 5, 30, 10]
    engine = Engine(model, None, "fcfs", BatchLimits(max_num_seqs=4, max_num_batched_tokens=6),
                    kv_capacity_tokens=2048)
    requests = [engine.add_request(p, priority=2, max_new_tokens=n)
                for p, n in zip(prompts[:3], max_new_tokens[:3])]
    for _ in range(3):  # slots 0, 1, 2 decoding
        engine.step()
    # A long prompt prefills in chunks of a few tokens; meanwhile slot 1 finishes and the
    # long prompt's slot moves into it, between the two requests still decoding.
    requests.append(engine.add_request(prompts[3], priority=2, max_new_tokens=max_new_tokens[3]))

    engine.run_until_idle()

    assert any(skipped_rows)
    for request, prompt, n in zip(requests, prompts, max_new_tokens):
        assert request.output_token_ids == greedy(prompt, n)
    assert engine.executor.num_cached_tokens == 0
