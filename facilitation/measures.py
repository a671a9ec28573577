"""Instruments (docs/measures.md): a programme's short questionnaires, each a YAML file in its
`measures/` folder, checked with file:line errors, and the scoring of one person's answers.

An instrument names its items, each item's scale and anchors, how it is scored (sum or mean,
reverse items, subscales), optional bands of scores with their meaning, items whose answer past a
threshold is a risk signal, and its source and licence. No database code lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from facilitation.field_errors import FIELD_ERRORS

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
ItemText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Anchor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
SLUG_PATTERN = r"[a-z0-9]+(-[a-z0-9]+)*"
Slug = Annotated[str, Field(pattern=f"^{SLUG_PATTERN}$")]
# Every value of every scale is a whole number in this range, so that a phone shows it as buttons.
SCALE_LIMITS = (0, 10)
ITEMS_MAX = 20


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scale(_Part):
    min: Annotated[int, Field(ge=SCALE_LIMITS[0], le=SCALE_LIMITS[1])]
    max: Annotated[int, Field(ge=SCALE_LIMITS[0], le=SCALE_LIMITS[1])]
    # The words under some values; the lowest and highest values need theirs.
    anchors: dict[int, Anchor]


class Risk(_Part):
    at_least: int
    # Shown to nobody but the facilitators' documentation: why this answer is a signal.
    meaning: Text


class Item(_Part):
    id: Slug
    text: ItemText
    scale: Scale | None = None
    reverse: bool = False
    risk: Risk | None = None


class Band(_Part):
    min: float
    max: float
    meaning: Text
    # A score in this band is a reason for the facilitators to ask (the console's cue).
    concern: bool = False


class Subscale(_Part):
    id: Slug
    name: Short
    items: Annotated[list[Slug], Field(min_length=1)]
    bands: list[Band] = []


class Scoring(_Part):
    method: Literal["sum", "mean"] = "sum"
    higher_is: Literal["better", "worse"]
    bands: list[Band] = []
    subscales: list[Subscale] = []


class Instrument(_Part):
    name: Text
    short_name: Short
    # In plain words, to the person answering: why this is asked.
    purpose: Text
    # The words above the items ("Over the last 2 weeks, how often ...").
    stem: Text | None = None
    source: Text
    licence: Text
    scale: Scale | None = None
    items: Annotated[list[Item], Field(min_length=1, max_length=ITEMS_MAX)]
    scoring: Scoring


_MESSAGES = {
    **FIELD_ERRORS,
    "dict_type": "must be 'value: words' lines",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
}


@dataclass(frozen=True)
class InstrumentIssue:
    line: int
    message: str


def _line_of(node: yaml.Node | None, path: tuple[Any, ...]) -> int:
    """The 1-based line of the setting at `path` in a composed YAML document (or of its nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if str(key.value) == str(part)), None)
            key_node = next((key for key, _ in node.value if str(key.value) == str(part)), None)
            if key_node is None:
                return line
            line, node = key_node.start_mark.line + 1, match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _where(path: tuple[Any, ...]) -> str:
    return ": ".join(f"item {p + 1}" if isinstance(p, int) else str(p) for p in path)


def _describe(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "extra_forbidden":
        return "unknown setting"
    if kind.startswith("int_"):
        return "must be a whole number"
    return _MESSAGES[kind].format(**ctx) if kind in _MESSAGES else str(error["msg"])


def item_scale(instrument: dict, item: dict) -> dict:
    return item.get("scale") or instrument["scale"]


def score_range(instrument: dict, item_ids: list[str] | None = None) -> tuple[float, float]:
    """The lowest and highest total (or mean) of the items named (all of them by default)."""
    items = [item for item in instrument["items"] if item_ids is None or item["id"] in item_ids]
    low = sum(item_scale(instrument, item)["min"] for item in items)
    high = sum(item_scale(instrument, item)["max"] for item in items)
    if instrument["scoring"]["method"] == "mean":
        return low / len(items), high / len(items)
    return float(low), float(high)


def _check(instrument: dict, root: yaml.Node | None) -> list[InstrumentIssue]:
    """What pydantic cannot see: scales that fit, ids that exist, bands inside the score's range."""
    issues = []

    def problem(path: tuple[Any, ...], sentence: str) -> None:
        issues.append(InstrumentIssue(_line_of(root, path), f"{_where(path)}: {sentence}"))

    def check_scale(scale: dict, path: tuple[Any, ...]) -> None:
        if scale["min"] >= scale["max"]:
            problem((*path, "max"), f"must be above min ({scale['min']})")
            return
        outside = [value for value in scale["anchors"] if not scale["min"] <= value <= scale["max"]]
        if outside:
            problem((*path, "anchors"), f"{outside[0]} is outside the scale ({scale['min']} to {scale['max']})")
        for end in ("min", "max"):
            if scale[end] not in scale["anchors"]:
                problem((*path, "anchors"), f"the {end} value ({scale[end]}) needs its words")

    if instrument["scale"] is not None:
        check_scale(instrument["scale"], ("scale",))
    seen: set[str] = set()
    for n, item in enumerate(instrument["items"]):
        if item["id"] in seen:
            problem(("items", n, "id"), f"'{item['id']}' is used by another item")
        seen.add(item["id"])
        if item["scale"] is not None:
            check_scale(item["scale"], ("items", n, "scale"))
        elif instrument["scale"] is None:
            problem(("items", n), "needs a scale (or give the instrument one scale for every item)")
            continue
        scale = item_scale(instrument, item)
        if item["risk"] is not None and not scale["min"] < item["risk"]["at_least"] <= scale["max"]:
            problem(("items", n, "risk", "at_least"), f"must be above {scale['min']} and at most {scale['max']}")
    if issues:
        return issues

    def check_bands(bands: list[dict], low: float, high: float, path: tuple[Any, ...]) -> None:
        ordered = sorted(enumerate(bands), key=lambda pair: pair[1]["min"])
        for (n, band), following in zip(ordered, [*ordered[1:], None], strict=False):
            if band["min"] > band["max"]:
                problem((*path, n, "max"), f"must be at least min ({band['min']:g})")
            elif band["min"] < low or band["max"] > high:
                problem((*path, n), f"must lie within the score's range ({low:g} to {high:g})")
            elif following is not None and following[1]["min"] <= band["max"]:
                problem((*path, following[0], "min"), f"overlaps the band from {band['min']:g} to {band['max']:g}")

    scoring = instrument["scoring"]
    check_bands(scoring["bands"], *score_range(instrument), ("scoring", "bands"))
    names: set[str] = set()
    for n, subscale in enumerate(scoring["subscales"]):
        path = ("scoring", "subscales", n)
        if subscale["id"] in names:
            problem((*path, "id"), f"'{subscale['id']}' is used by another subscale")
        names.add(subscale["id"])
        unknown = [item_id for item_id in subscale["items"] if item_id not in seen]
        if unknown:
            problem((*path, "items"), f"no item has the id '{unknown[0]}'")
            continue
        check_bands(subscale["bands"], *score_range(instrument, subscale["items"]), (*path, "bands"))
    return issues


def load_instrument(text: str) -> tuple[dict | None, list[InstrumentIssue]]:
    """Check one instrument file's text; return its settings (JSON-able) or the issues, with lines."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [InstrumentIssue(mark.line + 1 if mark else 1, f"not valid YAML: {problem}")]
    if not isinstance(data, dict):
        return None, [InstrumentIssue(1, "an instrument is 'name: value' lines (name, items, scoring ...)")]
    try:
        instrument = Instrument.model_validate(data).model_dump()
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            path = tuple(error["loc"])
            at = _line_of(root, path[:-1]) if error["type"] == "missing" else _line_of(root, path)
            issues.append(InstrumentIssue(at, f"{_where(path)}: {_describe(error)}"))
        return None, issues
    issues = _check(instrument, root)
    return (None, issues) if issues else (instrument, [])


def load_instruments(folder: Path) -> tuple[dict[str, dict | None], list[tuple[str, InstrumentIssue]]]:
    """Every instrument in `folder` by slug (its file name; None for a file with issues), and the
    issues of each file by name."""
    found: dict[str, dict | None] = {}
    issues: list[tuple[str, InstrumentIssue]] = []
    if not folder.is_dir():
        return found, issues
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        name = f"{folder.name}/{path.name}"
        slug = path.name.removesuffix(".yaml")
        if not path.name.endswith(".yaml") or not re.fullmatch(SLUG_PATTERN, slug):
            issues.append((name, InstrumentIssue(1, "an instrument file is named like session-rating.yaml")))
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            issues.append((name, InstrumentIssue(1, "not UTF-8 text; save the file as UTF-8")))
            found[slug] = None
            continue
        instrument, problems = load_instrument(text)
        issues += [(name, problem) for problem in problems]
        found[slug] = instrument
    return found, issues


# Scoring one person's answers


def item_score(instrument: dict, index: int, value: int) -> int:
    item = instrument["items"][index]
    scale = item_scale(instrument, item)
    return scale["min"] + scale["max"] - value if item["reverse"] else value


def scores(instrument: dict, values: list[int | None]) -> dict[str, float]:
    """A person's total and subscale scores from their answers (None: passed). A score whose items
    were not all answered is left out: it would not mean what its bands say."""
    by_id = {item["id"]: n for n, item in enumerate(instrument["items"])}
    method = instrument["scoring"]["method"]

    def combine(indexes: list[int]) -> float | None:
        if any(values[n] is None for n in indexes):
            return None
        total = sum(item_score(instrument, n, values[n] or 0) for n in indexes)
        return total / len(indexes) if method == "mean" else float(total)

    out: dict[str, float] = {}
    total = combine(list(range(len(instrument["items"]))))
    if total is not None:
        out["total"] = total
    for subscale in instrument["scoring"]["subscales"]:
        value = combine([by_id[item_id] for item_id in subscale["items"]])
        if value is not None:
            out[subscale["id"]] = value
    return out


def band_of(bands: list[dict], score: float) -> dict | None:
    return next((band for band in bands if band["min"] <= score <= band["max"]), None)


def risk_items(instrument: dict, values: list[int | None]) -> list[int]:
    """Indexes of the items whose answer is at or past their risk threshold."""
    return [
        n
        for n, item in enumerate(instrument["items"])
        if item["risk"] is not None and values[n] is not None and values[n] >= item["risk"]["at_least"]
    ]
