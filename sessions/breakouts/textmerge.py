"""Three-way merge of plain text, for notes that several people type into at once.

Both sides' changes to a common base come from diff-match-patch; changes to different
parts of the text are both applied, and where they touch the same part both sides'
new text is kept, so nothing typed is ever lost. static/js/breakouts.js merges the
same way in the browser.
"""

from diff_match_patch import diff_match_patch

Edit = tuple[int, int, str]  # replace base[start:end] with text


def edits(base: str, text: str) -> list[Edit]:
    """The changes that turn `base` into `text`, as replacements of ranges of `base`."""
    found: list[list] = []
    position = 0
    for operation, chunk in diff_match_patch().diff_main(base, text):
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
