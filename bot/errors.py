"""The one input error: words or values that do not fit, named by a catalog key, never a traceback."""

from __future__ import annotations


class InputError(Exception):
    """Raised by any feature when what a person typed or pressed does not fit.

    `key` names the catalog line that says why; the core answers with that line and the usage of
    the subcommand that failed (or only the usage, when `key` is a usage key). Parsers raise it
    too, so a message is chosen once, where the problem is found.
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
