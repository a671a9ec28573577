"""Merging notes typed at the same time: both people's words survive, each in one piece."""

import pytest
from diff_match_patch import diff_match_patch
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.breakouts import textmerge
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


# What the browser's diff-match-patch (static/vendor/diff-match-patch-es) sent for this edit: its
# positions count UTF-16 code units, so each emoji before the change counts twice.
BROWSER_BASE = "🙂🙂 Our notes 🙂:\nAsh said 🌊 the wall.\n"
BROWSER_TEXT = "🙂🙂 Our notes 🙂:\nAsh said 🌊 the phone was the wall.\nBo: yes 🙂\n"
BROWSER_PATCH = "@@ -32,10 +32,35 @@\n the \n-wall.\n+phone was the wall.%0ABo: yes %F0%9F%99%82\n %0A\n"


def patch_text(base: str, text: str) -> str:
    merger = diff_match_patch()
    return merger.patch_toText(merger.patch_make(base, text))


def test_an_edit_from_the_browser_or_from_python_applies_to_text_with_emoji():
    assert textmerge.apply_patch(BROWSER_BASE, BROWSER_PATCH) == BROWSER_TEXT
    assert textmerge.apply_patch(BROWSER_BASE, patch_text(BROWSER_BASE, BROWSER_TEXT)) == BROWSER_TEXT


def test_an_edit_applies_only_to_the_text_it_was_made_against():
    edit = patch_text("We said the phone was a wall.", "We said the phone was a wall between us.")
    assert textmerge.apply_patch("We said the phone was a wall.", edit) == "We said the phone was a wall between us."
    # diff-match-patch's own patch_apply would find "a wall." near enough and apply the edit anyway.
    assert textmerge.apply_patch("We said: the phone was a wall.", edit) is None
    assert textmerge.apply_patch("", edit) is None


def test_an_edit_of_too_many_pieces_or_not_a_patch_is_refused():
    pieces = "".join(f"@@ -{n + 1},0 +{n + 1},1 @@\n+x\n" for n in range(textmerge.MAX_PIECES + 1))
    with pytest.raises(textmerge.TooManyPieces):
        textmerge.apply_patch("x" * 200, pieces)
    assert textmerge.apply_patch("", pieces.split("@@ -101")[0]) == "x" * textmerge.MAX_PIECES
    # The last one inserts, in UTF-16 code units as the browser counts, between the halves of an emoji.
    for base, unreadable in (("", "not a patch"), ("", "@@ -0,0 +1 @@\n*x\n"), ("🙂🙂", "@@ -4,0 +4,1 @@\n+x\n")):
        with pytest.raises(textmerge.Unreadable):
            textmerge.apply_patch(base, unreadable)


def test_a_merge_whose_diffs_run_out_of_time_still_keeps_both_peoples_words(monkeypatch):
    # Texts that share many short runs: a diff that runs to the end takes seconds.
    base = "ab" * 2000
    ours, theirs = "Ash: " + "ba" * 2000, "ab" * 1000 + "Bo: here" + "ab" * 1000 + "!"
    monkeypatch.setattr(textmerge, "DIFF_SECONDS", 1e-9)

    merged = textmerge.merge(base, ours, theirs)

    assert "Ash: " in merged and "Bo: here" in merged and merged.endswith("!")
