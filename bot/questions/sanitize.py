"""Make an anonymous question safe to post: length limits, no pings, obvious personal data masked.

Pure and I/O-free. Renderers escape `UserText` too; this is the second wall, and the one that
also covers what the renderers cannot know (bare `@here` typed in Teams, a CPR number, …).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import InputError

MAX_LENGTH = 2000

# What a masked item becomes. The question is read by everyone, in any locale, so the
# placeholder is one fixed form; the asker is told in their own language which kinds went.
PLACEHOLDERS = {
    "email": "[e-mail removed]",
    "phone": "[phone removed]",
    "cpr": "[CPR removed]",
}

# A full-width commercial at: reads as "@" to people, is never a mention to Slack or Teams.
SAFE_AT = "\uff20"
# A single left angle quotation mark stands in for a "<" that would open a Slack or Teams token.
SAFE_LT = "\u2039"


@dataclass(frozen=True)
class Cleaned:
    """Text safe to post as `UserText`, and the kinds of personal data that were masked."""

    text: str
    masked: tuple[str, ...]


# --- pings -----------------------------------------------------------------------------------

_SLACK_LINK = re.compile(r"<((?:https?://|mailto:)[^|<>\s]*)(?:\|([^<>]*))?>", re.IGNORECASE)
# Ids as the edges hand them over: Slack `U024BE7LH`, Teams `29:1abc…` (see bot/parsing.py).
_SLACK_USER = re.compile(r"<@([^|<>\s]+)(?:\|([^<>]*))?>")
_SLACK_CHANNEL = re.compile(r"<#([^|<>\s]+)(?:\|([^<>]*))?>")
_SLACK_SPECIAL = re.compile(r"<!([^<>|]*)(?:\|([^<>]*))?>")
_TEAMS_AT = re.compile(r"<at\b[^<>]*>(.*?)</at\s*>", re.IGNORECASE | re.DOTALL)
# Anything left that could still open a token: "<!", "<@", "<#", "<at", "</at".
_OPENER = re.compile(r"<(?=[!@#]|/?at\b)", re.IGNORECASE)
_BARE_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)


def _without_at(name: str) -> str:
    return name.lstrip("@" + SAFE_AT).strip()


def _special(match: re.Match[str]) -> str:
    """`<!here>` → ＠here; `<!subteam^S1|@design>` → ＠design; `<!date^…|fallback>` → fallback."""
    command, label = match.group(1), match.group(2)
    if label is not None and not command.startswith("subteam"):
        return label
    name = _without_at(label) if label else command.split("^", 1)[-1]
    return SAFE_AT + name


def _unwrap_tokens(text: str) -> str:
    """Replace well-formed Slack and Teams tokens by the words they would show."""
    text = _SLACK_LINK.sub(lambda m: m.group(2) if m.group(2) else m.group(1), text)
    text = _SLACK_USER.sub(lambda m: SAFE_AT + _without_at(m.group(2) or m.group(1)), text)
    text = _SLACK_CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SLACK_SPECIAL.sub(_special, text)
    return _TEAMS_AT.sub(lambda m: SAFE_AT + _without_at(m.group(1)), text)


def _sweep(text: str) -> str:
    """The guarantee: whatever is left, nothing can open a token or name a broadcast."""
    return _BARE_BROADCAST.sub(SAFE_AT, _OPENER.sub(SAFE_LT, text))


# --- personal data ----------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+\-])[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?![\w\-])")
_CPR = re.compile(r"(?<![\w\-./,])(\d{2})(\d{2})(\d{2})[- ]?(\d{4})(?![\d]|[\-./,]\d)")
# Possessive groups: a digit group never gives digits back, so a long digit run fails fast.
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}(?:[ \-.]?\(?\d{1,4}+\)?){2,6}+(?![\d]|[\-.,/]\d)")
# Danish subscriber numbers start with 2–9: 8 digits, or 2-2-2-2 / 4-4 with spaces.
_DANISH = re.compile(
    r"(?<![\w\-./,+])[2-9]\d(?:\d{6}|(?: \d{2}){3}|-\d{2}-\d{2}-\d{2}|\d{2} \d{4})(?![\d]|[\-./,]\d)"
)


def _plausible_cpr(match: re.Match[str]) -> bool:
    day, month, year = (int(match.group(i)) for i in (1, 2, 3))
    if not 1 <= month <= 12:
        return False
    # The century is in the serial digits; any century with that day is plausible, so Feb 29 is.
    longest = 29 if month == 2 else calendar.monthrange(2001, month)[1]
    return 1 <= day <= longest and 0 <= year <= 99


def _looks_like_year_or_date(digits: str) -> bool:
    """8 digits that read as a date (20240131) or two years (2024 2025) are not phone numbers."""
    first, second = int(digits[:4]), int(digits[4:])
    if 1900 <= first <= 2099 and 1900 <= second <= 2099:
        return True
    month, day = int(digits[4:6]), int(digits[6:])
    return 1900 <= first <= 2099 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(first, month)[1]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


Accept = Callable[[re.Match[str]], bool]


def mask_personal_data(text: str) -> tuple[str, tuple[str, ...]]:
    """Mask e-mail addresses, CPR numbers and phone numbers; say which kinds were found."""
    found: set[str] = set()

    def masker(kind: str, accept: Accept = lambda _match: True) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            if not accept(match):
                return match.group(0)
            found.add(kind)
            return PLACEHOLDERS[kind]

        return replace

    text = _EMAIL.sub(masker("email"), text)
    text = _CPR.sub(masker("cpr", _plausible_cpr), text)
    text = _INTERNATIONAL.sub(masker("phone", lambda m: 8 <= len(_digits(m.group(0))) <= 15), text)
    text = _DANISH.sub(masker("phone", lambda m: not _looks_like_year_or_date(_digits(m.group(0)))), text)
    return text, tuple(kind for kind in PLACEHOLDERS if kind in found)


# --- the whole thing --------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_question(raw: str, *, max_length: int = MAX_LENGTH) -> Cleaned:
    """Check the length, neutralise pings and mask personal data.

    >>> clean_question("<!here> mail me at a@b.dk").text
    '＠here mail me at [e-mail removed]'

    Raises `InputError("ask.empty")` or `InputError("ask.too_long")`.
    """
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise InputError("ask.empty")
    if len(text) > max_length:
        raise InputError("ask.too_long")
    # Tokens are unwrapped before masking (so `<mailto:a@b.dk|a@b.dk>` is seen as an address)
    # and swept after it (so `team@here.dk` is masked as an address, not read as `@here`).
    # Masking only inserts "[…]", so it can never re-open a token the sweep has to catch.
    text, masked = mask_personal_data(_unwrap_tokens(text))
    return Cleaned(text=_sweep(text), masked=masked)
