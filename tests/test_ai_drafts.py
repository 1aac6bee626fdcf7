"""AI drafts in the whole bot: `champbot console` in a subprocess with CHAMPBOT_LLM_* pointing at a
loopback OpenAI-compatible fake. The draft reaches the champions channel only, grounded in the
knowledge base; a failing model leaves the question open with one warning and no question text."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.cli import champbot
from tests.fakes.openai_api import FakeOpenAI, Mode

DRAFT = "AI mostly changes tasks rather than whole jobs; talk to your manager about your area."
QUESTION = "Is AI going to replace my job soon?"


def channel_posts(out: str, channel: str) -> list[str]:
    """The posts shown in one console channel (a post's indented lines included)."""
    posts = re.findall(r"^\[#([^\]]+)\] (.*(?:\n    .*)*)", out, flags=re.MULTILINE)
    return [text for name, text in posts if name.split(" thread")[0] == channel]


async def run(
    fake: FakeOpenAI, database_url: str, user: str, lines: list[str], *flags: str
) -> tuple[str, str]:
    result = await asyncio.to_thread(  # the fake answers on this loop while the console runs
        champbot,
        "console",
        "--user",
        user,
        *flags,
        stdin="".join(f"{line}\n" for line in lines),
        CHAMPBOT_DATABASE_URL=database_url,
        CHAMPBOT_QA_MAX_DELAY="0",
        CHAMPBOT_LLM_BASE_URL=fake.base_url,
        CHAMPBOT_LLM_API_KEY=fake.api_key,
        CHAMPBOT_LLM_MODEL="gpt-test",
        CHAMPBOT_LLM_TIMEOUT="0.5",
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout, result.stderr


async def set_up(fake: FakeOpenAI, database_url: str) -> None:
    await run(
        fake,
        database_url,
        "ana",
        [
            "setup questions #ai-questions",
            "setup champions #champions",
            "grant champion @bo",
            "kb add Will AI replace my job? | No, it changes tasks; your manager knows the plans.",
        ],
        "--admin",
    )


async def test_a_draft_grounded_in_the_knowledge_base_reaches_the_champions_only(database_url: str) -> None:
    async with FakeOpenAI(answer=DRAFT) as fake:
        await set_up(fake, database_url)
        out, _ = await run(fake, database_url, "cy", [f"ask {QUESTION}"])

    [draft] = channel_posts(out, "champions")
    assert "AI draft for Q-1" in draft and DRAFT in draft and "Publish" in draft
    assert not [post for post in channel_posts(out, "ai-questions") if DRAFT in post]
    assert "Asked before:" in out  # the knowledge base answered at once as well
    [request] = fake.requests
    assert QUESTION in request.text() and "your manager knows the plans" in request.text()


@pytest.mark.parametrize("mode", ["garbage", "hang", "500"])
async def test_a_failing_model_leaves_the_question_open_with_one_warning(
    database_url: str, mode: Mode
) -> None:
    async with FakeOpenAI(answer=DRAFT) as fake:
        await set_up(fake, database_url)
        fake.mode = mode
        out, err = await run(fake, database_url, "cy", [f"ask {QUESTION}"])

    assert len(fake.requests) == 1
    assert channel_posts(out, "champions") == []
    [question] = [post for post in channel_posts(out, "ai-questions") if QUESTION in post]
    assert "Open" in question
    warnings = [line for line in err.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "AI draft failed" in warnings[0]
    assert "replace my job" not in err
