"""Shared notes as text: a participant's edit applied to the revision it was made against, and a
three-way merge of plain text, for notes that several people type into at once.

An edit is a diff-match-patch patch made against a revision whose text the server keeps, so it
applies exactly where it says or not at all: diff-match-patch's own `patch_apply` looks for text
that is not where the patch says with fuzzy matching, which cost a second of CPU for a patch of
200 pieces that matched nothing (every room of the process waits meanwhile). Both sides' changes
to a common base come from diff-match-patch; changes to different parts of the text are both
applied, and where they touch the same part both sides' new text is kept, so nothing typed is
ever lost. static/js/breakouts.js merges the same way in the browser.

The work is bounded by the input: at most `MAX_PIECES` pieces per edit, each applied by one
comparison and one splice, and each diff of a merge given `DIFF_SECONDS`, after which
diff-match-patch returns a coarser (still correct) diff: a merge then keeps both people's text of
the part that both changed.
"""

from typing import AnyStr

from diff_match_patch import diff_match_patch

Edit = tuple[int, int, str]  # replace base[start:end] with text

# More than any typing between two saves: the browser sends an edit 0.4 s after the last keystroke.
MAX_PIECES = 100
# A diff of two texts of a few thousand characters that share little can take seconds; ordinary
# edits between two saves take well under a millisecond. A merge runs two diffs, and everyone else on
# the process waits meanwhile: 5 ms each held a bystander's step change for twice its idle time.
DIFF_SECONDS = 0.002


class Unreadable(ValueError):
    """Not a diff-match-patch patch, or one that would cut a character in two."""


class TooManyPieces(ValueError):
    """A patch of more than `MAX_PIECES` pieces."""


def apply_patch(base: str, patch: str) -> str | None:
    """`base` with `patch` (diff-match-patch's text form) applied, or None when the text the patch
    changes is not where it says in `base`.

    The browser counts positions in UTF-16 code units (JavaScript's strings), Python's
    diff-match-patch in code points; text with characters beyond the Basic Multilingual Plane
    (emoji) is tried both ways.
    """
    try:
        pieces = diff_match_patch().patch_fromText(patch)
    except ValueError:
        raise Unreadable from None
    if len(pieces) > MAX_PIECES:
        raise TooManyPieces
    differ = diff_match_patch()
    changes = [(piece.start2, differ.diff_text1(piece.diffs), differ.diff_text2(piece.diffs)) for piece in pieces]
    applied = _apply(base, changes)
    if applied is None and len(wide := base.encode("utf-16-le")) != 2 * len(base):
        in_units = [(2 * start, old.encode("utf-16-le"), new.encode("utf-16-le")) for start, old, new in changes]
        applied_units = _apply(wide, in_units)
        try:
            applied = None if applied_units is None else applied_units.decode("utf-16-le")
        except UnicodeDecodeError:
            # It cut an emoji in two.
            raise Unreadable from None
    return applied


def _apply(text: AnyStr, changes: list[tuple[int, AnyStr, AnyStr]]) -> AnyStr | None:
    """Replace, piece after piece, `old` at `start` of the text so far with `new`; None if an `old`
    is not exactly there."""
    for start, old, new in changes:
        if start < 0 or not text.startswith(old, start):
            return None
        text = text[:start] + new + text[start + len(old) :]
    return text


class _DiffWithinDeadline(diff_match_patch):
    """diff-match-patch with every step of a diff under its deadline. Its half-match speed-up and its
    line mode (with the semantic clean-up that follows) run past the deadline on repetitive text: 60 ms
    for two texts of 5,000 characters that share one long run of one letter."""

    def __init__(self) -> None:
        super().__init__()
        self.Diff_Timeout = DIFF_SECONDS

    def diff_halfMatch(self, text1: str, text2: str) -> None:
        return None

    def diff(self, text1: str, text2: str) -> list[tuple[int, str]]:
        return self.diff_main(text1, text2, False)


def edits(base: str, text: str) -> list[Edit]:
    """The changes that turn `base` into `text`, as replacements of ranges of `base`."""
    found: list[list] = []
    position = 0
    for operation, chunk in _DiffWithinDeadline().diff(base, text):
        if operation == diff_match_patch.DIFF_EQUAL:
            position += len(chunk)
            continue
        if not found or found[-1][1] != position:
            found.append([position, position, ""])
        if operation == diff_match_patch.DIFF_DELETE:
            position += len(chunk)
            found[-1][1] = position
        else:
            found[-1][2] += chunk
    return [tuple(edit) for edit in found]


def merge(base: str, ours: str, theirs: str, theirs_first: bool = False) -> str:
    """`base` changed into `ours` here and into `theirs` elsewhere: the text with both changes.

    Where both inserted at the same place, `theirs_first` decides whose text comes first;
    overlapping changes keep both replacements, ours then theirs.
    """
    tagged = [(start, 0 if theirs_first else 1, end, text) for start, end, text in edits(base, theirs)]
    tagged += [(start, 1 if theirs_first else 0, end, text) for start, end, text in edits(base, ours)]
    tagged.sort(key=lambda edit: (edit[0], edit[1]))
    out: list[str] = []
    position = 0
    group_end = -1
    for start, _side, end, text in tagged:
        if start < group_end:
            # Overlaps the change before it: keep both new texts, drop the base text either replaced.
            out.append(text)
            group_end = max(group_end, end)
            continue
        if group_end >= 0:
            position = group_end
        out.append(base[position:start])
        out.append(text)
        position, group_end = start, end
    out.append(base[max(position, group_end) :])
    return "".join(out)
