"""The admin's progress view: a bar that only fills, counts that add up, reasons in the catalog's words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.campaigns.progress import BAR_WIDTH, Counts, bar, view
from bot.i18n import Catalog
from bot.text import Markup, Text


@given(total=st.integers(1, 100_000), data=st.data())
def test_the_bar_fills_in_step_with_the_work_done(total: int, data: st.DataObject) -> None:
    done = data.draw(st.integers(0, total))
    more = data.draw(st.integers(done, total))
    shown, later = bar(done, total), bar(more, total)
    assert len(shown.split()[0]) == BAR_WIDTH
    assert shown.count("▓") <= later.count("▓")
    assert (shown.count("▓") == BAR_WIDTH) == (done == total)
    assert shown.endswith(f"{done * 100 // total} %")


def test_an_empty_campaign_shows_an_empty_bar() -> None:
    assert bar(0, 0) == "░" * BAR_WIDTH + " 0 %"


def test_counts_split_cancelled_messages_from_failures() -> None:
    counts = Counts.of(
        {"sent": 7, "dead": 5, "pending": 1, "sending": 1, "failed": 1},
        [("cancelled", 2), ("account_inactive", 2), ("user_not_found", 1), ("stopped_learning", 1)],
    )
    assert (counts.sent, counts.failed, counts.pending, counts.cancelled) == (7, 2, 3, 3)
    assert counts.total == 15
    assert counts.reasons == (("account_inactive", 2), ("user_not_found", 1))


def test_the_finished_view_names_the_failure_reasons_in_danish() -> None:
    catalog = Catalog()

    def t(key: str, **params: object) -> Text:
        return catalog.text("da", key, **params)

    counts = Counts(sent=1998, failed=2, pending=0, cancelled=0, reasons=(("account_inactive", 2),))
    shown = view(counts, t, campaign_id=4, title=Text.of(Markup("“hej”")), state="done").fallback()
    assert "Kampagne #4 “hej” er færdig." in shown
    assert "Sendt 1998 · fejlet 2 · venter 0 · af 2000" in shown
    assert "Derfor fejlede nogle: account_inactive × 2" in shown
