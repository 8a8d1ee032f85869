"""The semantic key as a broker priority: urgency always first, then shorter answers first."""

from __future__ import annotations

import pytest

from scheduling.broker_key import MAX_BROKER_PRIORITY, broker_priority, length_bucket

LENGTHS = [1, 2, 3, 7, 8, 48, 96, 200, 511, 512, 4096]


def test_a_more_urgent_call_always_outranks_a_less_urgent_one_whatever_their_lengths():
    for priority in range(4):
        least_of_the_urgent = min(broker_priority(priority, n) for n in LENGTHS)
        best_of_the_next = max(broker_priority(priority + 1, n) for n in LENGTHS)
        assert least_of_the_urgent > best_of_the_next


def test_within_a_level_a_shorter_predicted_answer_comes_first():
    for priority in range(5):
        ranks = [broker_priority(priority, n) for n in LENGTHS]
        assert ranks == sorted(ranks, reverse=True)
        assert broker_priority(priority, 20) > broker_priority(priority, 200)


def test_every_priority_fits_the_queues_maximum():
    values = {broker_priority(p, n) for p in range(5) for n in LENGTHS + [0, 10**9]}
    assert min(values) == 0 and max(values) == MAX_BROKER_PRIORITY == 49


def test_length_buckets_are_powers_of_two():
    assert [length_bucket(n) for n in (1, 2, 3, 4, 7, 8, 512, 10**6)] == [0, 1, 1, 2, 2, 3, 9, 9]


@pytest.mark.parametrize("priority", [-1, 5, True, 1.0])
def test_a_priority_outside_the_levels_is_refused(priority):
    with pytest.raises(ValueError, match="priority"):
        broker_priority(priority, 10)
