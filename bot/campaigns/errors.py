"""The one error the campaign parsers raise: a catalog key and its parameters, never a traceback."""

from __future__ import annotations


class CampaignInputError(Exception):
    """Words that do not make a campaign; `key` names the catalog line that explains why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
