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
    # Each person's earlier partners among those here.
    met: dict[int, set[int]] = {person: set() for person in order}
    for pair in avoid:
        if len(pair) == 2:
            a, b = pair
            if a in met and b in met:
                met[a].add(b)
                met[b].add(a)
    # Place the most constrained people first: the search fails fast where it must fail.
    order.sort(key=lambda p: -len(met[p]))
    floor = _fewest_possible(sizes, met)
    # When every arrangement repeats someone, the exact search for one that does not would spend its
    # whole budget finding that out.
    if floor == 0 and len(order) < sys.getrecursionlimit() // 2:
        found = _without_repeats(order, sizes, met)
        if found is not None:
            return found
    return _fewest_repeats(order, sizes, met, floor, rng)


def _without_repeats(order: list[int], sizes: list[int], met: dict[int, set[int]]) -> list[list[int]] | None:
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
            if any(other in met[person] for other in room):
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


def _fewest_repeats(
    order: list[int], sizes: list[int], met: dict[int, set[int]], floor: int, rng: random.Random
) -> list[list[int]]:
    """Local search from the rooms in `order`, swapping two people while that repeats no more pairs,
    until it reaches `floor` (no arrangement repeats fewer: in a group where everyone has met
    everyone, at once) or its rounds run out. `met` is each person's earlier partners."""
    rooms: list[list[int]] = []
    start = 0
    for size in sizes:
        rooms.append(order[start : start + size])
        start += size
    best = sum(1 for room in rooms for a, b in combinations(room, 2) if b in met[a])
    if len(rooms) < 2:
        return rooms
    for _ in range(LOCAL_SEARCH_ROUNDS):
        if best <= floor:
            break
        a, b = rng.sample(range(len(rooms)), 2)
        i, j = rng.randrange(len(rooms[a])), rng.randrange(len(rooms[b]))
        x, y = rooms[a][i], rooms[b][j]
        # Only the pairs of the two people swapped change: x's with room a and y's with room b go,
        # x's with room b (but y) and y's with room a (but x) come.
        change = (
            sum(1 for other in rooms[b] if other != y and other in met[x])
            + sum(1 for other in rooms[a] if other != x and other in met[y])
            - sum(1 for other in rooms[a] if other != x and other in met[x])
            - sum(1 for other in rooms[b] if other != y and other in met[y])
        )
        if change <= 0:
            rooms[a][i], rooms[b][j] = y, x
            best += change
    return rooms


def _fewest_possible(sizes: list[int], met: dict[int, set[int]]) -> int:
    """A lower bound on the repeated pairs of any arrangement into rooms of `sizes`: the pairs the rooms
    hold beyond those not yet met, and the partners each person must take beyond those new to them
    (each repeat counted by both people)."""
    people = len(met)
    fresh = people * (people - 1) // 2 - sum(len(partners) for partners in met.values()) // 2
    by_rooms = sum(size * (size - 1) // 2 for size in sizes) - fresh
    fewest_partners = min(sizes) - 1
    by_people = sum(max(0, fewest_partners - (people - 1 - len(partners))) for partners in met.values())
    return max(0, by_rooms, -(-by_people // 2))
