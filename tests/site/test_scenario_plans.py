"""A scenario's plan: arrivals as asked, levels in the requested mix, texts of the drawn level."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.conf import settings

from inference.reply_lengths import ReplyLength, ReplyLengthSource
from inference.triage.evaluation import read_jsonl
from triage_site.services.scenario_plan import (Arrivals, corpus_texts, estimated_prompt_tokens,
                                                plan_calls, simulator_requests)


def test_bursts_arrive_together_at_regular_gaps():
    by_duration = Arrivals("bursts", max_calls=100, burst_size=3, burst_gap_s=10.0, duration_s=25.0)
    assert by_duration.times_s(random.Random(0)) == [0.0] * 3 + [10.0] * 3 + [20.0] * 3
    by_count = Arrivals("bursts", max_calls=100, burst_size=3, burst_gap_s=10.0, num_calls=7)
    assert by_count.times_s(random.Random(0)) == [0.0] * 3 + [10.0] * 3 + [20.0]


def test_the_cap_stops_arrivals():
    arrivals = Arrivals("poisson", max_calls=5, rate_per_s=100.0, duration_s=3600.0)
    times = arrivals.times_s(random.Random(0))
    assert len(times) == 5 and times == sorted(times)
    assert arrivals.is_capped(len(times))
    assert not Arrivals("poisson", max_calls=5, rate_per_s=1.0, num_calls=5).is_capped(5)


def test_poisson_arrivals_follow_the_rate():
    times = Arrivals("poisson", max_calls=10_000, rate_per_s=2.0, duration_s=1000.0).times_s(random.Random(1))
    assert 1800 < len(times) < 2200 and max(times) < 1000.0


@pytest.mark.parametrize("source", ["corpus", "generated"])
def test_texts_have_the_drawn_level_and_a_seed_repeats_the_plan(source):
    arrivals = Arrivals("poisson", max_calls=100, rate_per_s=1.0, num_calls=30)
    corpus = settings.TRIAGE_CORPUS_DIR
    calls = plan_calls(arrivals, (1, 0, 0, 0, 1), source, corpus, seed=7)
    assert len(calls) == 30 and {c.level for c in calls} <= {0, 4}
    assert all(c.text.strip() for c in calls)
    if source == "corpus":
        texts = corpus_texts(corpus / "test.jsonl")
        assert all(c.text in texts[c.level] for c in calls)
    assert plan_calls(arrivals, (1, 0, 0, 0, 1), source, corpus, seed=7) == calls
    assert plan_calls(arrivals, (1, 0, 0, 0, 1), source, corpus, seed=8) != calls


def test_the_simulator_sees_the_same_calls_with_real_lengths_and_the_given_predictions():
    arrivals = Arrivals("poisson", max_calls=100, rate_per_s=1.0, num_calls=20)
    calls = plan_calls(arrivals, (1, 1, 1, 1, 1), "corpus", settings.TRIAGE_CORPUS_DIR, seed=3)
    table = [ReplyLength(row.id, row.priority, 50, 10 + index, "eos")
             for index, row in enumerate(read_jsonl(settings.TRIAGE_CORPUS_DIR / "test.jsonl"))]
    lengths = ReplyLengthSource.from_table(table, read_jsonl(settings.TRIAGE_CORPUS_DIR / "test.jsonl"))
    requests = simulator_requests(calls, 3, lengths, lambda texts, levels: [len(t) for t in texts])
    assert [(r.arrival_time_s, r.priority) for r in requests] == [(c.arrival_s, c.level) for c in calls]
    assert all(r.prompt_tokens == estimated_prompt_tokens(c.text, c.level) for r, c in zip(requests, calls))
    assert [r.output_tokens for r in requests] == [lengths.by_text[c.text] for c in calls]
    assert [r.predicted_output_tokens for r in requests] == [len(c.text) for c in calls]
    assert Counter(r.priority for r in requests).total() == 20


def test_generated_calls_draw_real_lengths_of_their_level():
    arrivals = Arrivals("poisson", max_calls=100, rate_per_s=1.0, num_calls=30)
    calls = plan_calls(arrivals, (1, 0, 0, 0, 1), "generated", settings.TRIAGE_CORPUS_DIR, seed=4)
    lengths = ReplyLengthSource({}, ((7,), (), (), (), (90, 91)))
    requests = simulator_requests(calls, 4, lengths, lambda texts, levels: [1] * len(texts))
    assert {r.output_tokens for r in requests if r.priority == 0} == {7}
    assert {r.output_tokens for r in requests if r.priority == 4} == {90, 91}
    again = simulator_requests(calls, 4, lengths, lambda t, lv: [1] * len(t))
    assert [r.output_tokens for r in again] == [r.output_tokens for r in requests]  # seeded
