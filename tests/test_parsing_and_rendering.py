"""Command parsing and the three renderers; properties over arbitrary text with hypothesis."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.messages import Actions, Button, Form, Input, Message, Note, Section
from bot.parsing import ChannelArg, UserArg, Word, parse, tokenize
from bot.text import ChannelLink, Markup, MentionUser, Text, UserText, shorten
from handlers.console import render as console
from handlers.console.shell import to_neutral
from handlers.slack import render as slack
from handlers.teams import render as teams


def test_slack_escaped_people_and_channels_become_arguments() -> None:
    parsed = parse("setup questions <#C123|ai-questions>")
    assert parsed.name == "setup"
    assert parsed.args == (Word("questions"), ChannelArg("C123", "ai-questions"))
    parsed = parse("GRANT champion <@U1|ana> <@U2>")
    assert parsed.name == "grant" and parsed.args == (
        Word("champion"),
        UserArg("U1", "ana"),
        UserArg("U2", ""),
    )


def test_the_rest_of_the_line_is_kept_verbatim_for_free_text_commands() -> None:
    assert parse("  ask   Will AI  take my job?  ").rest == "Will AI  take my job?"


@given(st.text(alphabet="ab <>@#|:-\n\t", max_size=40))
def test_one_tokenizer_the_command_and_its_tokens_agree_and_tokens_point_at_their_text(text: str) -> None:
    tokens = tokenize(text)
    parsed = parse(text)
    args = tuple(token.arg for token in tokens)
    assert args == ((Word(parsed.name), *parsed.args) if parsed.name else parsed.args)
    for token in tokens:
        typed = text[token.start : token.end]
        assert typed.strip() and (not isinstance(token.arg, Word) or typed == token.arg.text)


def test_teams_ids_with_colons_survive() -> None:
    assert parse("grant admin <@29:1a2b-c|Bo Bø>").args[1] == UserArg("29:1a2b-c", "Bo Bø")


def test_the_console_turns_at_and_hash_into_neutral_tokens_but_not_inside_words() -> None:
    assert to_neutral("grant champion @bo @ana.k") == "grant champion <@bo|bo> <@ana.k|ana.k>"
    assert to_neutral("setup questions #ai-q") == "setup questions <#ai-q|ai-q>"
    assert to_neutral("mail bo@example.com") == "mail bo@example.com"


@given(st.text())
def test_parsing_never_fails_on_any_text(text: str) -> None:
    parsed = parse(text)
    assert parsed.name == parsed.name.lower()


DANGEROUS = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U999>",
        "<#C999>",
        "<!subteam^S1>",
        "<at>Everyone</at>",
        "&lt;!here&gt;",
        "<https://evil|click>",
    ]
)


@given(st.lists(st.one_of(st.text(), DANGEROUS), max_size=5).map("".join))
def test_user_text_rendered_for_slack_contains_no_control_sequence(text: str) -> None:
    message = Message.of(Text.of(Markup("Asked: "), UserText(text)))
    for rendered in (slack.blocks(message)[0]["text"]["text"], slack.fallback(message)):
        assert "<" not in rendered and ">" not in rendered


@given(st.lists(st.one_of(st.text(), DANGEROUS), max_size=5).map("".join))
def test_user_text_rendered_for_teams_never_forms_an_at_tag(text: str) -> None:
    card = teams.card(Message.of(Text.of(UserText(text))))
    assert not re.search(r"<at>|</at>", card["body"][0]["text"], re.IGNORECASE)
    assert "msteams" not in card


def test_mentions_we_mean_are_real_mentions_on_each_platform() -> None:
    message = Message.of(
        Text.of(MentionUser("U2", "bo"), Markup(" is now **champion** in "), ChannelLink("C1", "q"))
    )
    assert slack.blocks(message)[0]["text"]["text"] == "<@U2> is now *champion* in <#C1>"
    card = teams.card(message)
    assert card["body"][0]["text"] == "<at>bo</at> is now **champion** in **#q**"
    assert card["msteams"]["entities"][0]["mentioned"] == {"id": "U2", "name": "bo"}
    assert console.render(message) == "@bo is now champion in #q"


def test_buttons_fields_and_notes_render_on_every_platform() -> None:
    message = Message(
        (
            Section(Text.of(Markup("Lesson")), fields=(("Track", Text.of(UserText("foundations"))),)),
            Actions(
                (Button("Start", "lesson.start", "l1", "primary"), Button("Snooze", "lesson.snooze", "l1"))
            ),
            Note(Text.of(Markup("small print"))),
        )
    )
    blocks = slack.blocks(message)
    assert [b["type"] for b in blocks] == ["section", "actions", "context"]
    assert blocks[1]["elements"][0] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Start", "emoji": True},
        "action_id": "lesson.start",
        "value": "l1",
        "style": "primary",
    }
    card = teams.card(message)
    assert card["actions"][0]["data"] == {"action_id": "lesson.start", "value": "l1"}
    assert card["body"][1]["facts"] == [{"title": "Track", "value": "foundations"}]
    assert "[1] Start  [2] Snooze" in console.render(message)


def test_forms_become_a_slack_modal_and_a_teams_card() -> None:
    form = Form(
        "learn.start",
        "Start learning",
        (
            Input("function", "Your function", "select", (("sales", "Sales"), ("hr", "HR")), initial="hr"),
            Input("note", "Anything else?", "multiline", required=False, max_length=500),
        ),
        "Start",
    )
    modal = slack.modal(form)
    assert (
        modal["callback_id"] == "learn.start"
        and modal["blocks"][0]["element"]["initial_option"]["value"] == "hr"
    )
    assert modal["blocks"][1]["optional"] is True and modal["blocks"][1]["element"]["max_length"] == 500
    state = {
        "values": {
            "function": {"function": {"type": "static_select", "selected_option": {"value": "sales"}}},
            "note": {"note": {"type": "plain_text_input", "value": "hi"}},
        }
    }
    assert slack.form_values(state) == {"function": "sales", "note": "hi"}
    card = teams.form_card(form)
    assert card["actions"][0]["data"] == {"form_id": "learn.start", "metadata": ""}
    assert [element["type"] for element in card["body"][1:]] == ["Input.ChoiceSet", "Input.Text"]


def test_plain_strings_cannot_be_smuggled_in_as_trusted_markup() -> None:
    import pytest

    with pytest.raises(TypeError):
        Text.of("<!channel>")  # type: ignore[arg-type]


@given(st.text(max_size=80), st.integers(min_value=1, max_value=60), st.booleans())
def test_shorten_keeps_within_the_limit_and_marks_a_cut(text: str, limit: int, one_line: bool) -> None:
    short = shorten(text, limit, one_line=one_line)
    whole = " ".join(text.split()) if one_line else text
    assert len(short) <= limit
    if len(whole) <= limit:
        assert short == whole
    else:
        assert short.endswith("…") and whole.startswith(short[:-1])


def test_shorten_folds_whitespace_for_a_quote_and_keeps_lines_for_a_card() -> None:
    assert shorten("Will AI\n  take my job?", 100) == "Will AI take my job?"
    assert shorten("line one\nline two", 100, one_line=False) == "line one\nline two"
    assert shorten("Will AI take my job?", 9) == "Will AI…"
