"""Who goes into which room: everyone once, balanced sizes, nobody alone, no repeated partner when avoidable."""

import random
from itertools import combinations, permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.breakouts.assignment import assign, repeats, room_sizes

people_lists = st.lists(st.integers(min_value=1, max_value=10_000), min_size=2, max_size=40, unique=True)


@st.composite
def groups_with_history(draw, max_people=9):
    people = draw(st.lists(st.integers(1, 500), min_size=2, max_size=max_people, unique=True))
    pairs = [frozenset(pair) for pair in combinations(people, 2)]
    avoid = set(draw(st.lists(st.sampled_from(pairs), max_size=len(pairs)))) if pairs else set()
    return people, avoid


def test_seven_people_in_pairs_make_two_pairs_and_a_three():
    assert sorted(room_sizes(7, 2)) == [2, 2, 3]
    assert sorted(room_sizes(9, 3)) == [3, 3, 3]
    assert sorted(room_sizes(4, 3)) == [2, 2]
    assert room_sizes(1, 2) == []


@given(people_lists, st.sampled_from([2, 3]), st.randoms(use_true_random=False))
def test_everyone_is_placed_exactly_once_in_balanced_rooms(people, group_size, rng):
    rooms = assign(people, group_size, set(), random.Random(rng.random()))
    placed = [person for room in rooms for person in room]
    assert sorted(placed) == sorted(people)
    sizes = [len(room) for room in rooms]
    assert min(sizes) >= 2, "nobody is alone"
    assert max(sizes) - min(sizes) <= 1, "sizes are balanced"
    assert set(sizes) <= {group_size - 1, group_size, group_size + 1}


def _best_possible(people: list[int], group_size: int, avoid: set) -> int:
    """The fewest repeats of any arrangement, by brute force (small groups only)."""
    sizes = room_sizes(len(people), group_size)
    best = None
    for order in permutations(people):
        rooms, start = [], 0
        for size in sizes:
            rooms.append(order[start : start + size])
            start += size
        score = repeats(rooms, avoid)
        best = score if best is None else min(best, score)
        if best == 0:
            break
    return best


@settings(max_examples=60, deadline=None)
@given(groups_with_history(max_people=7), st.sampled_from([2, 3]))
def test_no_partner_is_repeated_whenever_that_is_avoidable(group, group_size):
    people, avoid = group
    rooms = assign(people, group_size, avoid, random.Random(1))
    if _best_possible(people, group_size, avoid) == 0:
        assert repeats(rooms, avoid) == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=8, max_value=30), st.sampled_from([2, 3]), st.integers(0, 2**32))
def test_successive_rounds_keep_finding_new_partners(count, group_size, seed):
    """Two rounds of one cohort: in a group of eight or more, everyone can meet someone new in the
    second round, so nobody meets a partner again. (Five people in pairs cannot: the three of the
    first round would have to split across a three and a pair.)"""
    rng = random.Random(seed)
    people = list(range(1, count + 1))
    history: set = set()
    for _ in range(2):
        rooms = assign(people, group_size, history, rng)
        assert repeats(rooms, history) == 0
        history |= {frozenset(pair) for room in rooms for pair in combinations(room, 2)}


def test_a_thousand_people_are_placed_quickly_with_history():
    rng = random.Random(7)
    people = list(range(1000))
    first = assign(people, 2, set(), rng)
    history = {frozenset(room[:2]) for room in first}
    second = assign(people, 2, history, rng)
    assert sorted(p for room in second for p in room) == people
    assert repeats(second, history) == 0
