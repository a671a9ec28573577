"""Who goes into which breakout room: balanced sizes, nobody alone, new partners where possible.

Plain Python with no database, so its properties can be checked exhaustively
(tests/test_breakout_assignment.py). Pairs that worked together in earlier rounds
are avoided: an exact search finds an arrangement without any repeated partner
whenever one exists within its budget, and otherwise local search keeps repeats
to as few as it can.
"""

import random
import sys
from collections.abc import Iterable
from itertools import combinations

Pair = frozenset[int]

# Nodes the exact search may visit before it settles for the fewest repeats it can find.
SEARCH_BUDGET = 50_000
LOCAL_SEARCH_ROUNDS = 4_000


def room_sizes(people: int, group_size: int) -> list[int]:
    """Sizes of the rooms for `people`: as many full rooms as possible without leaving anyone alone.

    Pairs take the odd one out into a three (7 → 3, 2, 2); threes split a remainder into
    pairs (7 → 3, 2, 2; 4 → 2, 2). Fewer than two people make no room at all.
    """
    if people < 2:
        return []
    rooms = people // 2 if group_size == 2 else -(-people // group_size)
    base, extra = divmod(people, rooms)
    return [base + 1] * extra + [base] * (rooms - extra)


def repeats(rooms: Iterable[Iterable[int]], avoid: set[Pair]) -> int:
    """How many pairs sitting together have sat together before."""
    return sum(1 for room in rooms for a, b in combinations(room, 2) if frozenset((a, b)) in avoid)


def assign(people: list[int], group_size: int, avoid: set[Pair], rng: random.Random | None = None) -> list[list[int]]:
    """Rooms for `people` (each placed exactly once) with as few partners from `avoid` as possible."""
    rng = rng or random.Random()
    sizes = room_sizes(len(people), group_size)
    if not sizes:
        return []
    order = list(people)
    rng.shuffle(order)
    # Place the most constrained people first: the search fails fast where it must fail.
    partners = {p: sum(1 for q in order if frozenset((p, q)) in avoid) for p in order}
    order.sort(key=lambda p: -partners[p])
    found = _without_repeats(order, sizes, avoid) if len(order) < sys.getrecursionlimit() // 2 else None
    if found is not None:
        return found
    return _fewest_repeats(order, sizes, avoid, rng)


def _without_repeats(order: list[int], sizes: list[int], avoid: set[Pair]) -> list[list[int]] | None:
    rooms: list[list[int]] = [[] for _ in sizes]
    budget = [SEARCH_BUDGET]

    def place(index: int) -> bool:
        if index == len(order):
            return True
        person = order[index]
        empty_sizes_tried: set[int] = set()
        for number, room in enumerate(rooms):
            if len(room) >= sizes[number]:
                continue
            if not room:
                # Empty rooms of one size are interchangeable: trying one is trying them all.
                if sizes[number] in empty_sizes_tried:
                    continue
                empty_sizes_tried.add(sizes[number])
            if any(frozenset((person, other)) in avoid for other in room):
                continue
            budget[0] -= 1
            if budget[0] < 0:
                return False
            room.append(person)
            if place(index + 1):
                return True
            room.pop()
        return False

    return rooms if place(0) else None


def _fewest_repeats(order: list[int], sizes: list[int], avoid: set[Pair], rng: random.Random) -> list[list[int]]:
    rooms: list[list[int]] = []
    start = 0
    for size in sizes:
        rooms.append(order[start : start + size])
        start += size
    best = repeats(rooms, avoid)
    if len(rooms) < 2:
        return rooms
    for _ in range(LOCAL_SEARCH_ROUNDS):
        if best == 0:
            break
        a, b = rng.sample(range(len(rooms)), 2)
        i, j = rng.randrange(len(rooms[a])), rng.randrange(len(rooms[b]))
        before = repeats((rooms[a], rooms[b]), avoid)
        rooms[a][i], rooms[b][j] = rooms[b][j], rooms[a][i]
        change = repeats((rooms[a], rooms[b]), avoid) - before
        if change <= 0:
            best += change
        else:
            rooms[a][i], rooms[b][j] = rooms[b][j], rooms[a][i]
    return rooms
