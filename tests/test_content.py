"""The curriculum as content: complete in both languages, enough lessons per track, strict checks with
file and line, HR's own folder replacing a shipped lesson, and a bad lesson stopping start-up."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from bot.learning.content import (
    FUNCTIONS,
    SECTIONS,
    ContentError,
    load_curriculum,
    parse_lesson,
    read_folder,
    shipped_content_dir,
)
from tests.cli import champbot

SHIPPED = shipped_content_dir()
LESSON = SHIPPED / "en" / "foundations" / "01-what-generative-ai-is.md"


def shipped_lessons() -> list:
    lessons, problems = read_folder(SHIPPED)
    assert problems == []
    return lessons


def test_every_shipped_lesson_exists_in_english_and_danish_with_the_same_id_and_file_name() -> None:
    lessons = shipped_lessons()
    by_locale = {
        locale: {lesson.id: lesson for lesson in lessons if lesson.locale == locale}
        for locale in ("en", "da")
    }
    assert set(by_locale["en"]) == set(by_locale["da"])
    for lesson_id, english in by_locale["en"].items():
        danish = by_locale["da"][lesson_id]
        assert english.path.relative_to(SHIPPED / "en") == danish.path.relative_to(SHIPPED / "da")
        assert (english.track, english.level, english.functions, english.order) == (
            danish.track,
            danish.level,
            danish.functions,
            danish.order,
        ), lesson_id
        assert len(english.quiz.choices) == len(danish.quiz.choices), lesson_id
        assert english.quiz.correct_index == danish.quiz.correct_index, lesson_id
        assert english.title != danish.title, f"{lesson_id} is not translated"


def test_the_tracks_have_the_promised_number_of_lessons() -> None:
    english = [lesson for lesson in shipped_lessons() if lesson.locale == "en"]
    tracks = Counter(lesson.track for lesson in english)
    assert tracks["foundations"] >= 8
    assert tracks["champion"] >= 6
    per_function = Counter(
        f for lesson in english if lesson.track == "practitioner" for f in lesson.functions
    )
    for function in FUNCTIONS:  # sales, finance, hr, customer-service, operations and managers
        assert per_function[function] >= 4, function
    assert "managers" in FUNCTIONS


def test_every_quiz_choice_has_its_own_feedback_and_one_is_correct() -> None:
    for lesson in shipped_lessons():
        choices = lesson.quiz.choices
        assert 2 <= len(choices) <= 4, lesson.path
        assert sum(choice.correct for choice in choices) == 1, lesson.path
        assert all(choice.feedback.strip() for choice in choices), lesson.path
        assert len({choice.feedback for choice in choices}) == len(choices), lesson.path
        assert 15 <= lesson.minutes <= 20


def test_every_lesson_has_the_four_sections_in_its_own_language() -> None:
    for lesson in shipped_lessons():
        headings = [line[3:] for line in lesson.body.splitlines() if line.startswith("## ")]
        assert len(headings) >= len(SECTIONS[lesson.locale]), lesson.path


def test_content_check_of_the_shipped_folder_passes() -> None:
    result = champbot("content", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "76 lesson files, 38 lessons, no problems" in result.stdout


GOOD = LESSON.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("minutes: 18", "minutes: 45"), 7, "minutes 45 must be between 15 and 20"),
        (("level: 1", "level: 7"), 5, "level 7 must be"),
        (("level: 1", "level: one"), 5, "level 'one' must be"),
        (("track: foundations", "track: basics"), 3, "track 'basics' is not one of"),
        (("functions: [all]", "functions: [legal]"), 6, "unknown function 'legal'"),
        (("locale: en", "locale: de"), 8, "locale 'de' is not one of"),
        (("order: 1\n", "order: 1\ncolour: blue\n"), 5, "unknown key 'colour'"),
        (("summary: ", "summery: "), 10, "unknown key 'summery'"),
        (("id: foundations-01", "id: Foundations 01"), 2, "may use only a-z"),
        (("      correct: true\n", "      correct: yes please\n"), 15, "correct must be true or false"),
        (
            ('      feedback: "Some assistants', '      comment: "Some assistants'),
            19,
            "unknown key 'comment' in the choice",
        ),
        (("## Try it now", "## Try it later"), 50, "the section '## Try it now' is missing before it"),
        (("## Remember", "## Remember\n\n## The case"), 52, "heading '## The case' is out of order"),
        (("title: ", "title: [unclosed"), 9, "not valid"),
    ],
)
def test_a_malformed_lesson_is_reported_with_file_and_line(
    change: tuple[str, str], line: int, words: str
) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ContentError) as caught:
        parse_lesson(LESSON, GOOD.replace(old, new, 1))
    assert words in caught.value.problem
    assert caught.value.path == LESSON
    assert caught.value.line == line, caught.value


def test_a_choice_without_feedback_is_named() -> None:
    text = GOOD.replace(
        next(
            line + "\n" for line in GOOD.splitlines() if line.startswith('      feedback: "Some assistants')
        ),
        "",
    )
    with pytest.raises(ContentError) as caught:
        parse_lesson(LESSON, text)
    assert caught.value.problem == "this choice has no feedback"
    assert caught.value.line == 17


def test_two_correct_answers_and_a_missing_header_are_refused() -> None:
    with pytest.raises(ContentError, match="exactly one choice must be correct"):
        parse_lesson(LESSON, GOOD.replace("correct: false", "correct: true", 1))
    with pytest.raises(ContentError, match="starts with a '---' line") as caught:
        parse_lesson(LESSON, GOOD.split("---", 2)[2])
    assert caught.value.line == 1
    summary = next(line for line in GOOD.splitlines() if line.startswith("summary: "))
    with pytest.raises(ContentError, match="the header is missing summary"):
        parse_lesson(LESSON, GOOD.replace(summary + "\n", ""))


def custom_folder(
    tmp_path: Path, title: str = "What our approved assistant, Copilot, is — and is not"
) -> Path:
    folder = tmp_path / "company-content"
    target = folder / "en" / "foundations" / "01-what-generative-ai-is.md"
    target.parent.mkdir(parents=True)
    target.write_text(
        GOOD.replace('title: "What generative AI is — and is not"', f'title: "{title}"'), "utf-8"
    )
    extra = folder / "en" / "foundations" / "09-our-own-policy.md"
    extra.write_text(
        GOOD.replace("id: foundations-01", "id: acme-policy").replace("order: 1", "order: 9"), "utf-8"
    )
    return folder


def test_a_lesson_in_the_company_folder_replaces_the_shipped_one_and_new_ids_join_the_track(
    tmp_path: Path,
) -> None:
    curriculum = load_curriculum(SHIPPED, custom_folder(tmp_path))
    replaced = curriculum.lesson("foundations-01", "en")
    assert replaced is not None and replaced.title.startswith("What our approved assistant, Copilot")
    danish = curriculum.lesson("foundations-01", "da")
    assert danish is not None and danish.locale == "da"  # the Danish lesson stays until HR replaces it too
    foundations = [lesson.id for lesson in curriculum.track("foundations", "en")]
    assert foundations[0] == "foundations-01" and foundations[-1] == "acme-policy"
    assert curriculum.lesson("acme-policy", "da") is not None  # falls back to the language it exists in


def test_duplicate_ids_in_one_folder_are_reported(tmp_path: Path) -> None:
    folder = custom_folder(tmp_path)
    shutil.copy(
        folder / "en" / "foundations" / "09-our-own-policy.md", folder / "en" / "foundations" / "10-copy.md"
    )
    _, problems = read_folder(folder)
    assert [(p.path.name, p.line) for p in problems] == [("10-copy.md", 2)]
    assert "is also used by" in problems[0].problem


def break_lesson(folder: Path) -> Path:
    broken = folder / "en" / "foundations" / "09-our-own-policy.md"
    broken.write_text(broken.read_text("utf-8").replace("minutes: 18", "minutes: 90"), "utf-8")
    return broken


def test_content_check_reports_each_problem_with_file_and_line(tmp_path: Path) -> None:
    folder = custom_folder(tmp_path)
    broken = break_lesson(folder)
    result = champbot("content", "check", str(folder))
    assert result.returncode == 1
    assert f"{broken}:7: minutes 90 must be between 15 and 20" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_malformed_company_lesson_stops_start_up_with_its_file_and_line(tmp_path: Path) -> None:
    folder = custom_folder(tmp_path)
    broken = break_lesson(folder)
    database = f"sqlite:///{tmp_path / 'champbot.db'}"
    for command in (("console", "--user", "bo"), ("run",)):
        result = champbot(
            *command,
            stdin="help\n",
            CHAMPBOT_DATABASE_URL=database,
            CHAMPBOT_CONTENT_DIR=str(folder),
            PORT="0",
        )
        assert result.returncode == 2, command
        lines = result.stderr.strip().splitlines()
        assert lines == [
            "champbot: cannot start, a lesson is malformed: "
            f"{broken.resolve()}:7: minutes 90 must be between 15 and 20"
        ]


def test_a_missing_content_folder_is_a_configuration_error(tmp_path: Path) -> None:
    result = champbot("console", "--user", "bo", CHAMPBOT_CONTENT_DIR=str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "CHAMPBOT_CONTENT_DIR" in result.stderr and "is not a folder" in result.stderr
