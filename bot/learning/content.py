"""The curriculum from files: lessons in Markdown with a YAML header, checked strictly, merged by id.

HR adapts the shipped `content/` with a folder of its own (CHAMPBOT_CONTENT_DIR): a lesson with a
shipped id replaces that lesson, a new id joins its track. Every problem names a file and line, so
a person editing a lesson finds the mistake without reading Python.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

LOCALES = ("en", "da")
TRACKS = ("foundations", "practitioner", "champion")
FUNCTIONS = ("sales", "finance", "hr", "customer-service", "operations", "managers")
REQUIRED_KEYS = (
    "id",
    "track",
    "order",
    "level",
    "functions",
    "minutes",
    "locale",
    "title",
    "summary",
    "quiz",
)
QUIZ_KEYS = ("question", "choices")
CHOICE_KEYS = ("text", "correct", "feedback")
SECTIONS = {
    "en": (r"The case", r"Activity \(\d+ min\)", r"Try it now", r"Remember"),
    "da": (r"Casen", r"Aktivitet \(\d+ min\)", r"Prøv det nu", r"Husk"),
}
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there


class ContentError(Exception):
    """A lesson file that cannot be used, with the file and line to fix."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Quiz:
    question: str
    choices: tuple[Choice, ...]

    @property
    def correct_index(self) -> int:
        return next(index for index, choice in enumerate(self.choices) if choice.correct)


@dataclass(frozen=True)
class Lesson:
    id: str
    track: str
    level: int
    functions: tuple[str, ...]
    minutes: int
    locale: str
    title: str
    body: str
    quiz: Quiz
    path: Path
    order: int = 0
    summary: str = ""

    def fits(self, function: str) -> bool:
        return "all" in self.functions or function in self.functions


@dataclass
class Curriculum:
    """Every lesson by id and language; lookups fall back to the other language when one is missing."""

    _lessons: dict[tuple[str, str], Lesson] = field(default_factory=dict)

    def add(self, lesson: Lesson) -> None:
        self._lessons[(lesson.id, lesson.locale)] = lesson

    def lesson(self, lesson_id: str, locale: str) -> Lesson | None:
        found = self._lessons.get((lesson_id, locale))
        if found is None:
            found = next(
                (
                    self._lessons[(lesson_id, other)]
                    for other in LOCALES
                    if (lesson_id, other) in self._lessons
                ),
                None,
            )
        return found

    def ids(self) -> set[str]:
        return {lesson_id for lesson_id, _ in self._lessons}

    def all(self, locale: str) -> list[Lesson]:
        found = (self.lesson(lesson_id, locale) for lesson_id in self.ids())
        return sorted((lesson for lesson in found if lesson), key=_order_key)

    def track(self, name: str, locale: str) -> list[Lesson]:
        """The lessons of a track in order (practitioner lessons grouped by function)."""
        return [lesson for lesson in self.all(locale) if lesson.track == name]

    def tracks(self) -> list[str]:
        present = {lesson.track for lesson in self._lessons.values()}
        return [name for name in TRACKS if name in present]


def _order_key(lesson: Lesson) -> tuple[int, str, int, str]:
    function = "" if "all" in lesson.functions else lesson.functions[0]
    return (TRACKS.index(lesson.track), function, lesson.order, lesson.id)


def shipped_content_dir() -> Path:
    """The lessons that ship with champbot: next to the package in a checkout, else ./content."""
    beside = Path(__file__).resolve().parents[2] / "content"
    return beside if beside.is_dir() else Path.cwd() / "content"


def load_curriculum(shipped: Path, extra: Path | None) -> Curriculum:
    """The shipped lessons, then HR's own on top (same id and language replaces). Raises ContentError."""
    curriculum = Curriculum()
    for folder in (shipped, extra):
        if folder is None:
            continue
        for lesson in _checked(folder.resolve(), _signature(folder)):
            curriculum.add(lesson)
    return curriculum


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What the files look like now, so an unchanged folder is parsed once per process."""
    if not folder.is_dir():
        return ()
    return tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in lesson_files(folder))


@functools.lru_cache(maxsize=8)
def _checked(folder: Path, signature: tuple[tuple[str, int, int], ...]) -> tuple[Lesson, ...]:
    del signature  # part of the cache key only
    lessons, problems = read_folder(folder)
    if problems:
        raise problems[0]
    return tuple(lessons)


def lesson_files(folder: Path) -> Iterator[Path]:
    """Every lesson file under a folder; FORMAT.md and README files are documentation."""
    for path in sorted(folder.rglob("*.md")):
        if path.name.upper() not in {"FORMAT.MD", "README.MD"}:
            yield path


def read_folder(folder: Path) -> tuple[list[Lesson], list[ContentError]]:
    """All lessons of a folder and every problem found, in file order, for `champbot content check`."""
    if not folder.is_dir():
        return [], [ContentError(folder, 0, "not a folder")]
    lessons: list[Lesson] = []
    problems: list[ContentError] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in lesson_files(folder):
        try:
            lesson, id_line = parse_lesson(path, path.read_text(encoding="utf-8"), folder=folder)
        except ContentError as error:
            problems.append(error)
            continue
        except (OSError, UnicodeDecodeError) as error:
            problems.append(ContentError(path, 0, f"cannot be read: {error}"))
            continue
        key = (lesson.id, lesson.locale)
        if key in seen:
            problems.append(ContentError(path, id_line, f"id {lesson.id!r} is also used by {seen[key]}"))
            continue
        seen[key] = path
        lessons.append(lesson)
    return lessons, problems


def parse_lesson(path: Path, text: str, *, folder: Path | None = None) -> tuple[Lesson, int]:
    """One lesson file → the lesson and the line of its id. Raises ContentError on the first problem."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, "a lesson starts with a '---' line and a YAML header")
    end = next((index for index in range(1, len(lines)) if lines[index].strip() == "---"), None)
    if end is None:
        raise ContentError(path, 1, "the YAML header is not closed with a '---' line")
    header = "\n".join(lines[1:end])
    try:
        node = yaml.compose(header, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        context = error.context_mark
        mark = context if context is not None and context.line > 0 else error.problem_mark
        line = mark.line + 2 if mark else 2
        raise ContentError(path, line, f"the YAML header is not valid: {error.problem}") from None
    if not isinstance(node, MappingNode):
        raise ContentError(path, 2, "the YAML header must be a mapping of keys to values")
    fields = _mapping(path, node, REQUIRED_KEYS, "header")
    locale = _choice(path, fields, "locale", LOCALES)
    if folder is not None:
        first = path.relative_to(folder).parts[0]
        if first in LOCALES and first != locale:
            raise ContentError(path, fields["locale"][1], f"locale {locale!r} but the file is in {first}/")
    lesson_id = _string(path, fields, "id")
    if not _ID.fullmatch(lesson_id):
        raise ContentError(path, fields["id"][1], f"id {lesson_id!r} may use only a-z, 0-9 and '-'")
    track = _choice(path, fields, "track", TRACKS)
    functions = _functions(path, fields, track)
    level = _integer(path, fields, "level", 1, 3, "1 (beginner), 2 or 3 (advanced)")
    minutes = _integer(path, fields, "minutes", 15, 20, "between 15 and 20")
    order = _integer(path, fields, "order", 1, 999, "a position from 1")
    body = "\n".join(lines[end + 1 :]).strip()
    _check_sections(path, lines, end, locale)
    lesson = Lesson(
        id=lesson_id,
        track=track,
        level=level,
        functions=functions,
        minutes=minutes,
        locale=locale,
        title=_string(path, fields, "title"),
        body=body,
        quiz=_quiz(path, fields["quiz"]),
        path=path,
        order=order,
        summary=_string(path, fields, "summary"),
    )
    return lesson, fields["id"][1]


Located = tuple[Node, int]


def _mapping(path: Path, node: MappingNode, keys: Iterable[str], what: str) -> dict[str, Located]:
    wanted = tuple(keys)
    found: dict[str, Located] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 2
        key = key_node.value if isinstance(key_node, ScalarNode) else "?"
        if key not in wanted:
            raise ContentError(
                path, line, f"unknown key {key!r} in the {what} (expected: {', '.join(wanted)})"
            )
        if key in found:
            raise ContentError(path, line, f"key {key!r} appears twice in the {what}")
        found[key] = (value_node, line)
    missing = [key for key in wanted if key not in found]
    if missing:
        raise ContentError(path, node.start_mark.line + 2, f"the {what} is missing {', '.join(missing)}")
    return found


def _value(node: Node) -> Any:
    return SafeConstructor().construct_object(node, deep=True)


def _string(path: Path, fields: dict[str, Located], key: str) -> str:
    node, line = fields[key]
    value = _value(node) if isinstance(node, ScalarNode) else None
    if not isinstance(value, str) or not value.strip():
        raise ContentError(path, line, f"{key} must be non-empty text")
    return value.strip()


def _choice(path: Path, fields: dict[str, Located], key: str, allowed: tuple[str, ...]) -> str:
    node, line = fields[key]
    value = _value(node) if isinstance(node, ScalarNode) else None
    if value not in allowed:
        raise ContentError(path, line, f"{key} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _integer(path: Path, fields: dict[str, Located], key: str, low: int, high: int, hint: str) -> int:
    node, line = fields[key]
    value = _value(node) if isinstance(node, ScalarNode) else None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ContentError(path, line, f"{key} {value!r} must be {hint}")
    return value


def _functions(path: Path, fields: dict[str, Located], track: str) -> tuple[str, ...]:
    node, line = fields["functions"]
    value = _value(node)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise ContentError(path, line, "functions must be a list such as [all] or [sales]")
    unknown = [item for item in value if item not in ("all", *FUNCTIONS)]
    if unknown:
        known = ", ".join(("all", *FUNCTIONS))
        raise ContentError(path, line, f"unknown function {unknown[0]!r} (known: {known})")
    if track == "practitioner" and "all" in value:
        raise ContentError(path, line, "a practitioner lesson names its function, e.g. [sales]")
    return tuple(value)


def _quiz(path: Path, located: Located) -> Quiz:
    node, line = located
    if not isinstance(node, MappingNode):
        raise ContentError(path, line, "quiz must have a question and choices")
    quiz = _mapping(path, node, QUIZ_KEYS, "quiz")
    question = _string(path, quiz, "question")
    choices_node, choices_line = quiz["choices"]
    if not isinstance(choices_node, SequenceNode) or not 2 <= len(choices_node.value) <= 4:
        raise ContentError(path, choices_line, "a quiz has two to four choices")
    choices: list[Choice] = []
    for item in choices_node.value:
        item_line = item.start_mark.line + 2
        if not isinstance(item, MappingNode):
            raise ContentError(path, item_line, "each choice has text, correct and feedback")
        try:
            choice = _mapping(path, item, CHOICE_KEYS, "choice")
        except ContentError as error:
            if "missing feedback" in error.problem:
                raise ContentError(path, item_line, "this choice has no feedback") from None
            raise
        correct_node, correct_line = choice["correct"]
        correct = _value(correct_node)
        if not isinstance(correct, bool):
            raise ContentError(path, correct_line, "correct must be true or false")
        choices.append(Choice(_string(path, choice, "text"), correct, _string(path, choice, "feedback")))
    if sum(choice.correct for choice in choices) != 1:
        raise ContentError(path, choices_line, "exactly one choice must be correct: true")
    return Quiz(question, tuple(choices))


def _check_sections(path: Path, lines: list[str], end: int, locale: str) -> None:
    """The four headings, in order, in the lesson's language."""
    expected = SECTIONS[locale]
    headings = [
        (index + 1, line[3:].strip())
        for index, line in enumerate(lines)
        if index > end and line.startswith("## ")
    ]
    position = 0
    for number, heading in headings:
        found = next((i for i, pattern in enumerate(expected) if re.fullmatch(pattern, heading)), None)
        if found is None:
            continue  # a heading of the author's own inside a section
        if found < position:
            raise ContentError(path, number, f"heading '## {heading}' is out of order")
        if found > position:
            raise ContentError(
                path, number, f"the section '## {_name(expected[position])}' is missing before it"
            )
        position += 1
    if position < len(expected):
        raise ContentError(path, end + 2, f"the body is missing the section '## {_name(expected[position])}'")


def _name(pattern: str) -> str:
    return pattern.replace("\\(\\d+ min\\)", "(15 min)").replace("\\", "")
