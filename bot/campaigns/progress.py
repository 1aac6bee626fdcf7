"""The admin's live view of a campaign: a progress bar, sent / failed / pending, and why some failed.

Pure: counts in, a neutral message out; the service decides when to show it (every few seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.messages import Message, Note, Section
from bot.text import Markup, Text

BAR_WIDTH = 20
WITHDRAWN = {"cancelled", "stopped_learning"}  # not failures: we chose not to send them

Translate = Callable[..., Text]


@dataclass(frozen=True)
class Counts:
    sent: int
    failed: int  # given up: the platform refused, or too many attempts
    pending: int  # waiting, being sent, or retrying after a transient error
    cancelled: int  # withdrawn: the campaign was cancelled, or the person stopped learning
    reasons: tuple[tuple[str, int], ...]  # failure reason → how many (cancelled ones excluded)

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.pending + self.cancelled

    @classmethod
    def of(cls, by_state: dict[str, int], reasons: list[tuple[str, int]]) -> Counts:
        cancelled = sum(n for reason, n in reasons if reason in WITHDRAWN)
        return cls(
            sent=by_state.get("sent", 0),
            failed=by_state.get("dead", 0) - cancelled,
            pending=by_state.get("pending", 0) + by_state.get("sending", 0) + by_state.get("failed", 0),
            cancelled=cancelled,
            reasons=tuple((reason, n) for reason, n in reasons if reason not in WITHDRAWN),
        )


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """`▓▓▓▓░░░░ 50 %`: how much of the campaign has been handled (sent or given up)."""
    if total <= 0:
        return "░" * width + " 0 %"
    filled = min(width, done * width // total)
    percent = min(100, done * 100 // total)
    return "▓" * filled + "░" * (width - filled) + f" {percent} %"


def view(counts: Counts, t: Translate, *, campaign_id: int, title: Text, state: str) -> Message:
    """state: sending | done | cancelled | scheduled | failed."""
    handled = counts.sent + counts.failed + counts.cancelled
    blocks: list[Section | Note] = [
        Section(t(f"nudge.progress.{state}", id=campaign_id, what=title)),
        Section(Text.of(Markup(f"`{bar(handled, counts.total)}`"))),
        Section(
            t(
                "nudge.progress.counts",
                sent=counts.sent,
                failed=counts.failed,
                pending=counts.pending,
                total=counts.total,
            )
        ),
    ]
    if counts.cancelled:
        blocks.append(Section(t("nudge.progress.cancelled_count", count=counts.cancelled)))
    if counts.reasons and state != "sending":
        reasons = ", ".join(f"`{reason}` × {n}" for reason, n in counts.reasons)
        blocks.append(Section(t("nudge.progress.reasons", reasons=Markup(reasons))))
    elif counts.reasons:
        reasons = ", ".join(f"`{reason}` × {n}" for reason, n in counts.reasons)
        blocks.append(Note(t("nudge.progress.reasons", reasons=Markup(reasons))))
    return Message(tuple(blocks))
