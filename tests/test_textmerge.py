"""Merging notes typed at the same time: both people's words survive, each in one piece."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.breakouts.textmerge import merge

words = st.text(alphabet="abc xyz🙂\n", min_size=1, max_size=12)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="abc \n", max_size=30), st.integers(0, 30), words, st.integers(0, 30), words, st.booleans())
def test_two_insertions_into_the_same_base_both_survive_whole(base, at_a, a, at_b, b, theirs_first):
    at_a, at_b = min(at_a, len(base)), min(at_b, len(base))
    ours = base[:at_a] + a + base[at_a:]
    theirs = base[:at_b] + b + base[at_b:]
    merged = merge(base, ours, theirs, theirs_first)
    assert len(merged) == len(base) + len(a) + len(b)
    assert sorted(merged) == sorted(base + a + b)
    # Where an insertion could sit at several places ("aa" + "a"), a diff may pick any of them:
    # each insertion stays whole at one of the places that give the same text.
    assert merged in both_inserted(base, ours, a, theirs, b), "each insertion stays in one piece"


def both_inserted(base: str, ours: str, a: str, theirs: str, b: str) -> set[str]:
    """Every text with one insertion that makes `ours` and one that makes `theirs`, each whole, at a
    place of `base` (typing "a" after "aa" is the same change as typing it before them)."""

    def insertions(changed: str, size: int) -> list[tuple[int, str]]:
        return [
            (i, changed[i : i + size])
            for i in range(len(base) + 1)
            if changed[:i] == base[:i] and changed[i + size :] == base[i:]
        ]

    texts = set()
    for i, one in insertions(ours, len(a)):
        for j, other in insertions(theirs, len(b)):
            if i == j:
                texts |= {base[:i] + one + other + base[i:], base[:i] + other + one + base[i:]}
            else:
                (first, x), (second, y) = sorted([(i, one), (j, other)])
                texts.add(base[:first] + x + base[first:second] + y + base[second:])
    return texts


def test_simultaneous_typing_into_empty_notes_keeps_each_text_in_one_piece():
    merged = merge("", "Sasha: reply A ", "Robin: reply C put the phone down.", theirs_first=True)
    assert merged == "Robin: reply C put the phone down.Sasha: reply A "


def test_an_edit_inside_text_that_someone_else_replaced_keeps_both():
    assert merge("abcdef", "aXf", "abYcdef") == "aXYf"
    assert merge("hello world", "hello brave world", "hello world!") == "hello brave world!"


def test_a_deletion_on_one_side_and_an_addition_elsewhere_both_apply():
    assert merge("one two three", "one three", "one two three four") == "one three four"
