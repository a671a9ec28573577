"""The Markdown programme format (docs/programme-format.md): load a programme folder,
check every file against the format, and render step text to sanitised HTML.

Loading collects every issue in every file before raising, so that an author fixes a
programme in one pass. No database code lives here; the importer builds on ProgrammeSpec.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard, TypeVar, get_args

import nh3
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from facilitation.field_errors import FIELD_ERRORS
from facilitation.measures import load_instruments

StepKind = Literal["slide", "poll", "breakout", "reflection", "measure"]
STEP_KINDS: tuple[StepKind, ...] = get_args(StepKind)
PROGRAMME_FILE = "programme.yaml"
# A programme's instruments (docs/measures.md): one YAML file each, named by the instrument's slug.
MEASURES_FOLDER = "measures"

_ALLOWED_TAGS = {
    "p",
    "em",
    "strong",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "h3",
    "h4",
    "code",
    "pre",
    "br",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_renderer = MarkdownIt("commonmark", {"linkify": False}).enable("table")
# One container that accepts any name, so that `::: slid` is reported, not read as text.
_parser = (
    MarkdownIt("commonmark")
    .use(front_matter_plugin)
    .use(container_plugin, name="step", validate=lambda params, _markup: bool(params.strip()))
)
_OPENER = re.compile(r"^ {0,3}:{3,}\s*\S")
_CLOSER = re.compile(r"^ {0,3}:{3,}\s*$")


@dataclass(frozen=True)
class ProgrammeIssue:
    """One problem in a programme folder; file is relative to the folder."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ProgrammeError(Exception):
    """A programme folder has issues; str() lists them all, one per line."""

    def __init__(self, issues: list[ProgrammeIssue]) -> None:
        self.issues = sorted(issues, key=lambda issue: (issue.file, issue.line))
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass(frozen=True)
class StepSpec:
    kind: StepKind
    title: str  # a poll's question
    line: int
    body_md: str
    body_html: str
    notes_md: str
    notes_html: str
    content_note: str | None
    settings: dict[str, Any]  # the kind's other settings, JSON-able


@dataclass(frozen=True)
class SessionSpec:
    number: int
    title: str
    duration: int
    summary: str
    file: str
    steps: list[StepSpec]


@dataclass(frozen=True)
class ProgrammeSpec:
    slug: str
    title: str
    summary: str
    language: str
    sessions: list[SessionSpec]
    content_hash: str


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SlideTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgrammeSettings(_Settings):
    slug: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    title: Text
    summary: Text
    language: Text = "en"


class SessionSettings(_Settings):
    number: Annotated[int, Field(ge=1)]
    title: Text
    duration: Annotated[int, Field(ge=15, le=240)]
    summary: Text


class SlideSettings(_Settings):
    title: SlideTitle
    content_note: Text | None = None


class ReflectionSettings(_Settings):
    title: Text


Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class MeasureSettings(_Settings):
    instrument: Slug
    title: SlideTitle | None = None


class Role(_Settings):
    name: Text
    prompt: Text


class BreakoutSettings(_Settings):
    title: Text
    group_size: Literal[2, 3]
    minutes: Annotated[int, Field(ge=2, le=60)]
    roles: list[Role]
    content_note: Text | None = None

    @model_validator(mode="after")
    def _one_role_per_person(self) -> BreakoutSettings:
        if len(self.roles) != self.group_size:
            raise ValueError(
                f"roles: {len(self.roles)} roles for a group of {self.group_size}; give one role per person"
            )
        return self


class _Poll(_Settings):
    kind: str
    question: Question


class ScalePoll(_Poll):
    kind: Literal["scale"]
    labels: Annotated[list[Text], Field(min_length=2, max_length=2)]


class _ChoicePoll(_Poll):
    options: list[Option]

    @model_validator(mode="after")
    def _check_options(self) -> _ChoicePoll:
        if len(self.options) < 2:
            raise ValueError("options: at least 2 options are needed")
        if len(self.options) > 10:
            raise ValueError("options: at most 10 options are allowed")
        folded = [option.casefold() for option in self.options]
        if len(set(folded)) != len(folded):
            raise ValueError("options: each option may appear only once")
        if "pass" in folded:
            raise ValueError("options: every poll offers 'pass' by itself; leave it out")
        return self


class SinglePoll(_ChoicePoll):
    kind: Literal["single"]


class MultiplePoll(_ChoicePoll):
    kind: Literal["multiple"]
    max_picks: int | None = None

    @model_validator(mode="after")
    def _check_max_picks(self) -> MultiplePoll:
        if self.max_picks is None:
            self.max_picks = len(self.options)
        elif not 1 <= self.max_picks <= len(self.options):
            raise ValueError(f"max_picks: must be from 1 to the number of options ({len(self.options)})")
        return self


class WordsPoll(_Poll):
    kind: Literal["words"]


class TextPoll(_Poll):
    kind: Literal["text"]
    max_length: Annotated[int, Field(ge=20, le=500)] = 280


_POLLS: dict[str, type[_Poll]] = {
    "single": SinglePoll,
    "multiple": MultiplePoll,
    "scale": ScalePoll,
    "words": WordsPoll,
    "text": TextPoll,
}


def validate_poll_settings(raw: dict) -> dict:
    """Check a poll's settings as a programme file would (used for quick polls from the console);
    raise ValueError with a sentence naming what is wrong."""
    model = _POLLS.get(str(raw.get("kind")))
    if model is None:
        raise ValueError(f"kind: must be one of {', '.join(_POLLS)}")
    try:
        return model.model_validate(raw).model_dump()
    except ValidationError as failure:
        first = failure.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where + ': ' if where else ''}{first['msg'].removeprefix('Value error, ')}") from None


_STEPS: dict[str, type[_Settings]] = {
    "slide": SlideSettings,
    "breakout": BreakoutSettings,
    "reflection": ReflectionSettings,
    "measure": MeasureSettings,
}
_TEXT_PART = {"slide": "the slide's text", "breakout": "the scenario", "reflection": "the prompt"}
_MESSAGES = FIELD_ERRORS
Model = TypeVar("Model", bound=BaseModel)


# The same text always renders to the same HTML, in every process: a cache keyed by the text itself
# can never serve a stale page, and spares rendering a group's agreement on every join-page view.
@lru_cache(maxsize=1024)
def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to show anyone: raw HTML and unsafe links are removed."""
    return nh3.clean(
        _renderer.render(text),
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _describe(error: Any, model: type[BaseModel]) -> tuple[str, str]:
    """A pydantic error as (setting, sentence) in the words of the format's documentation."""
    where = ": ".join(f"item {p + 1}" if isinstance(p, int) else str(p) for p in error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "value_error":
        # Our validators write "setting: sentence", since their errors have no location.
        setting, _, sentence = str(ctx["error"]).partition(": ")
        return (setting, sentence) if sentence else (where, setting)
    if kind == "extra_forbidden" and len(error["loc"]) == 1:
        return where, f"unknown setting (expected one of: {', '.join(model.model_fields)})"
    if kind == "extra_forbidden":
        return where, "unknown setting"
    if kind.startswith("int_"):
        return where, "must be a whole number"
    return where, _MESSAGES[kind].format(**ctx) if kind in _MESSAGES else error["msg"]


def _key_line(lines: list[str], key: str) -> int | None:
    """Index of the line that sets a top-level key, so that an issue can point at it."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    return next((i for i, text in enumerate(lines) if pattern.match(text)), None)


class _File:
    """Collects the issues of one file into the folder's list."""

    def __init__(self, name: str, issues: list[ProgrammeIssue]) -> None:
        self.name, self.issues = name, issues
        self.number_line = 1

    def error(self, line: int, message: str) -> None:
        self.issues.append(ProgrammeIssue(self.name, line, message))

    def read(self, path: Path) -> str | None:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            self.error(1, "not UTF-8 text; save the file as UTF-8")
            return None
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def load_yaml(self, text: str, first_line: int, what: str) -> dict[str, Any] | None:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            # Parser errors carry marks; a few (bad characters) carry only a message.
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            mark = getattr(exc, "problem_mark", None)
            context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
            if context and context_mark:
                problem += f" ({context} that starts at line {first_line + context_mark.line})"
            self.error(first_line + mark.line if mark else first_line, f"{what} not valid YAML: {problem}")
            return None
        if data is None or isinstance(data, dict):
            return data or {}
        self.error(first_line, f"{what} not 'name: value' lines")
        return None

    def validate(
        self, model: type[Model], data: dict[str, Any], lines: list[str], first_line: int, line: int, prefix: str = ""
    ) -> Model | None:
        """Validate settings; each issue points at its setting's line, else at line."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                where, sentence = _describe(error, model)
                index = _key_line(lines, where.split(":")[0]) if where else None
                at = line if index is None else first_line + index
                self.error(at, f"{prefix}{where}: {sentence}" if where else prefix + sentence)
            return None


def _split_step(inner: list[str]) -> tuple[list[str], str, str]:
    """A step's lines as settings, text (after `---`) and presenter notes (after `???`)."""
    marks = [i for i, text in enumerate(inner) if text.rstrip() in ("---", "???")]
    if not marks:
        return inner, "", ""
    first = marks[0]
    settings, rest = inner[:first], inner[first + 1 :]
    if inner[first].rstrip() == "???":
        return settings, "", "\n".join(rest).strip("\n")
    notes_at = next((i for i, text in enumerate(rest) if text.rstrip() == "???"), len(rest))
    return settings, "\n".join(rest[:notes_at]).strip("\n"), "\n".join(rest[notes_at + 1 :]).strip("\n")


def _is_step_kind(kind: str) -> TypeGuard[StepKind]:
    return kind in STEP_KINDS


def _load_step(file: _File, lines: list[str], token: Token, instruments: dict[str, dict | None]) -> StepSpec | None:
    kind = token.info.strip()
    start, end = token.map or (0, 0)  # 0-based: the opening line, the closing line
    line = start + 1
    if not _is_step_kind(kind):
        file.error(line, f"unknown step kind '{kind}' (expected {', '.join(STEP_KINDS)})")
        return None
    inner = lines[start + 1 : end]
    # A forgotten ::: lets the step run on into the next one, or to the end of the file.
    nested = next((i for i, text in enumerate(inner) if _OPENER.match(text)), None)
    if nested is not None or end >= len(lines) or not _CLOSER.match(lines[end]):
        before = "" if nested is None else f" before line {line + 1 + nested}"
        file.error(line, f"{kind}: this step is not closed{before}; end it with a line that is exactly :::")
        return None
    settings_lines, body_md, notes_md = _split_step(inner)
    data = file.load_yaml("\n".join(settings_lines), line + 1, f"{kind}: settings are")
    if data is None:
        return None
    model: type[_Settings] | None
    if kind == "poll":
        model = _POLLS.get(str(data.get("kind")))
        if model is None:
            file.error(line, f"poll: kind: must be one of {', '.join(_POLLS)}")
            return None
        if body_md:
            file.error(line, "poll: a poll has settings only; put words for the facilitator after ??? as notes")
    else:
        model = _STEPS[kind]
        if not body_md and kind in _TEXT_PART:
            file.error(line, f"{kind}: {_TEXT_PART[kind]} is missing; write it after a line that is exactly ---")
    settings = file.validate(model, data, settings_lines, line + 1, line, f"{kind}: ")
    if settings is None or (kind in _TEXT_PART and not body_md):
        return None
    values = settings.model_dump()
    if kind == "measure":
        # A broken instrument file's issues are listed with it; the step stands (nothing is imported).
        broken = values["instrument"] in instruments and instruments[values["instrument"]] is None
        instrument = {"name": values["instrument"]} if broken else instruments.get(values["instrument"])
        if instrument is None:
            index = _key_line(settings_lines, "instrument")
            known = ", ".join(sorted(instruments)) or "none yet"
            file.error(
                line + 1 + (index or 0),
                f"measure: instrument: no file {MEASURES_FOLDER}/{values['instrument']}.yaml "
                f"(instruments in this programme: {known})",
            )
            return None
        values = {"instrument": values["instrument"], "title": values["title"] or instrument["name"], **instrument}
    title = values.pop("title", None) or values["question"]
    content_note = values.pop("content_note", None)
    return StepSpec(
        kind,
        title,
        line,
        body_md,
        render_markdown(body_md) if body_md else "",
        notes_md,
        render_markdown(notes_md) if notes_md else "",
        content_note,
        values,
    )


def _load_front_matter(file: _File, token: Token) -> SessionSettings | None:
    front_lines = token.content.split("\n")
    opener = next((i for i, text in enumerate(front_lines) if _OPENER.match(text)), None)
    if opener is not None:
        file.error(
            1, f"the front matter is not closed before line {opener + 2}; end it with a line that is exactly ---"
        )
        return None
    number_index = _key_line(front_lines, "number")
    file.number_line = 1 if number_index is None else 2 + number_index
    data = file.load_yaml(token.content, 2, "front matter is")
    return None if data is None else file.validate(SessionSettings, data, front_lines, 2, 1)


def _load_session(path: Path, file: _File, instruments: dict[str, dict | None]) -> SessionSpec | None:
    text = file.read(path)
    if text is None:
        return None
    lines = text.split("\n")
    tokens = _parser.parse(text)
    header = None
    if tokens and tokens[0].type == "front_matter":
        header = _load_front_matter(file, tokens[0])
    else:
        file.error(
            1, "the file must start with front matter: number, title, duration and summary between two --- lines"
        )
    steps: list[StepSpec] = []
    for token in tokens:
        if token.level != 0 or token.nesting == -1 or token.type == "front_matter":
            continue
        line = token.map[0] + 1 if token.map else 1
        content = token.content.strip()
        if token.type == "container_step_open":
            step = _load_step(file, lines, token, instruments)
            steps += [step] if step else []
        elif token.type == "html_block" and content.startswith("<!--") and content.endswith("-->"):
            continue
        elif _CLOSER.match(lines[line - 1]):
            file.error(line, "this ::: closes no step; a step opens with a line like '::: slide'")
        else:
            file.error(line, "text outside a step; put it inside a step or in a <!-- comment -->")
    if header is None:
        return None
    if not steps and not any(issue.file == file.name for issue in file.issues):
        file.error(1, "a session needs at least one step")
    return SessionSpec(header.number, header.title, header.duration, header.summary, file.name, steps)


def _load_header(folder: Path, issues: list[ProgrammeIssue]) -> ProgrammeSettings | None:
    file = _File(PROGRAMME_FILE, issues)
    if not (folder / PROGRAMME_FILE).is_file():
        file.error(1, "missing: every programme folder needs a programme.yaml with slug, title and summary")
        return None
    text = file.read(folder / PROGRAMME_FILE)
    data = None if text is None else file.load_yaml(text, 1, "programme.yaml is")
    if text is None or data is None:
        return None
    return file.validate(ProgrammeSettings, data, text.split("\n"), 1, 1)


def _check_numbers(loaded: list[tuple[SessionSpec, _File]], file_count: int) -> None:
    """Sessions are numbered 1..N; with N files, any gap shows as a repeat or a number above N."""
    first_file: dict[int, str] = {}
    for session, file in loaded:
        if session.number in first_file:
            file.error(file.number_line, f"number: {session.number} is already used by {first_file[session.number]}")
        elif session.number > file_count:
            file.error(
                file.number_line,
                f"number: sessions are numbered 1 to {file_count} with no gaps "
                f"(there are {file_count} session files), not {session.number}",
            )
        first_file.setdefault(session.number, session.file)


def load_programme(path: Path) -> ProgrammeSpec:
    """Load and check a programme folder; raise ProgrammeError listing every issue found."""
    folder = Path(path)
    if not folder.is_dir():
        raise ProgrammeError([ProgrammeIssue(str(folder), 1, "programme folder not found")])
    issues: list[ProgrammeIssue] = []
    header = _load_header(folder, issues)
    # Names starting with a dot are editors' backups and lock files, never sessions.
    session_paths = sorted(p for p in folder.glob("*.md") if p.is_file() and not p.name.startswith("."))
    if not session_paths:
        issues.append(ProgrammeIssue(".", 1, "no session files: write one .md file per session"))
    instruments, instrument_issues = load_instruments(folder / MEASURES_FOLDER)
    issues += [ProgrammeIssue(name, issue.line, issue.message) for name, issue in instrument_issues]
    loaded = []
    for session_path in session_paths:
        file = _File(session_path.name, issues)
        session = _load_session(session_path, file, instruments)
        if session is not None:
            loaded.append((session, file))
    _check_numbers(loaded, len(session_paths))
    if issues or header is None:
        raise ProgrammeError(issues)
    digest = hashlib.sha256()
    measure_paths = sorted(p for p in (folder / MEASURES_FOLDER).glob("*.yaml") if not p.name.startswith("."))
    for file_path in [folder / PROGRAMME_FILE, *session_paths, *measure_paths]:
        data = file_path.read_bytes()
        digest.update(f"{file_path.relative_to(folder).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    sessions = sorted((session for session, _ in loaded), key=lambda session: session.number)
    return ProgrammeSpec(header.slug, header.title, header.summary, header.language, sessions, digest.hexdigest())
