"""Anonymous questions in the console: `champbot console` in a subprocess, the same flow as in Slack."""

from __future__ import annotations

from tests.cli import champbot

ANSWER = "No. AI changes tasks, not whole jobs; the champions help you use it."


def console(database_url: str, user: str, lines: list[str], *flags: str) -> str:
    result = champbot(
        "console",
        "--user",
        user,
        *flags,
        stdin="".join(f"{line}\n" for line in lines),
        CHAMPBOT_DATABASE_URL=database_url,
        CHAMPBOT_QA_MAX_DELAY="0",
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_a_console_user_asks_votes_once_a_champion_answers_and_the_receipt_links_the_question(
    database_url: str,
) -> None:
    console(database_url, "ana", ["setup questions #ai-questions", "grant champion @bo"], "--admin")
    # Buttons are numbered across the session: the receipt's are 1 and 2, the posted question's 3 and 4.
    out = console(
        database_url,
        "bo",
        ["ask Will AI take my job? Call me on +45 20 12 34 56", "3", "3", "4", ANSWER, "1"],
    )
    assert "Your question Q-1 is being posted in #ai-questions, without your name." in out
    assert "a phone number" in out
    assert "[1] Show my question  [2] Add a follow-up" in out
    assert "[#ai-questions] Q-1 · anonymous question" in out and "[phone removed]" in out
    post_lines = out.split("[#ai-questions] Q-1", 1)[1].splitlines()
    posted = "\n".join([post_lines[0], *[line for line in post_lines[1:4] if line.startswith("    ")]])
    assert "Will AI take my job?" in posted and "@bo" not in posted and "bo:" not in posted
    assert "Counted: Q-1 now has 1 × +1." in out
    assert "You have already given Q-1 a +1 today" in out
    assert "Answer Q-1" in out and "Your answer to Q-1 is posted in its thread." in out
    assert "Answer from @bo:" in out and ANSWER in out
    assert "✅ Answered" in out
    assert "Your question: Q-1 in the questions channel (console:#ai-questions/1)" in out


def test_console_bad_input_gets_clear_answers(database_url: str) -> None:
    out = console(database_url, "cy", ["ask Will AI take my job?"])
    assert "Anonymous questions are not set up yet" in out
    console(database_url, "ana", ["setup questions #ai-questions"], "--admin")
    out = console(database_url, "cy", ["ask " + "x" * 2001, "ask", "   "])
    assert "longer than 2,000 characters" in out
    assert "Your question is empty" in out
    assert "Q-1" not in out
