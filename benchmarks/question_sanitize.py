"""How long `clean_question` takes on a full-length question: ordinary text and hostile digit runs.

    python -m benchmarks.question_sanitize

Prints a Markdown table of median and worst time per 2,000-character question. Sanitising runs
inside the request, before the ack, so it must stay far below Slack's 3-second limit.
"""

from __future__ import annotations

import random
import statistics
import string
import time
from collections.abc import Callable

from bot.questions.sanitize import clean_question

RUNS = 200


def _inputs() -> dict[str, Callable[[random.Random], str]]:
    words = [
        "can",
        "I",
        "paste",
        "customer",
        "data",
        "into",
        "ChatGPT",
        "or",
        "Copilot",
        "when",
        "the",
        "policy",
        "says",
        "no",
    ]
    return {
        "ordinary words": lambda r: " ".join(r.choice(words) for _ in range(400))[:2000],
        "random characters": lambda r: "".join(
            r.choice(string.ascii_letters + string.digits + " <>!@#|^-+.()") for _ in range(2000)
        ),
        "long digit runs after +45": lambda r: (("+45 " + "1" * r.randint(20, 60) + " ") * 60)[:2000],
        "e-mails, phones, CPR": lambda r: (
            f"mail a{r.randint(0, 999)}@firma.dk call +45 23 45 67 89 cpr 010190-1234 " * 40
        )[:2000],
        "mentions and broadcasts": lambda r: ("<!channel> <@U123|bo> <at>Bo</at> @here " * 60)[:2000],
    }


def main() -> None:
    rng = random.Random(7)
    print("| input (2,000 characters) | median ms | worst ms |")
    print("| --- | ---: | ---: |")
    for name, make in _inputs().items():
        times = []
        for _ in range(RUNS):
            text = make(rng)
            start = time.perf_counter()
            clean_question(text)
            times.append((time.perf_counter() - start) * 1000)
        print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
