"""Each token reaches the request's callback as it is produced, with the text it adds."""

import queue

from inference.engine import Engine
from scheduling.plan import BatchLimits


def test_tokens_stream_to_a_queue_in_order(model, tokenizer):
    events: queue.Queue = queue.Queue()
    engine = Engine(model, tokenizer, "fcfs", BatchLimits(max_num_seqs=2, max_num_batched_tokens=64),
                    kv_capacity_tokens=256)
    request = engine.add_request("Chest pain, short of breath.", priority=0, max_new_tokens=15,
                                 on_token=events.put)
    silent = engine.add_request("Broken tap.", priority=4, max_new_tokens=5)

    engine.step()
    assert events.qsize() == 1  # the first token arrives with the step that made it
    engine.run_until_idle()

    streamed = [events.get_nowait() for _ in range(events.qsize())]
    assert [e.token_id for e in streamed] == request.output_token_ids
    assert {e.request_id for e in streamed} == {request.request_id}
    assert [e.is_last for e in streamed] == [False] * 14 + [True]
    assert "".join(e.text for e in streamed) == request.text
    assert request.prompt_token_ids == tokenizer.encode("Chest pain, short of breath.")
    assert silent.is_finished and len(silent.output_token_ids) == 5
