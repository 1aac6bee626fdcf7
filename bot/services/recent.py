"""Who was written to the database a moment ago, so a busy person does not cost a write per message."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from bot.events import Origin

REFRESH = timedelta(minutes=5)  # how stale last_seen_at may get for someone who keeps talking
CAPACITY = 50_000


def _fingerprint(origin: Origin) -> tuple[object, ...]:
    actor, conversation = origin.actor, origin.conversation
    return (
        actor.display_name,
        actor.locale,
        actor.timezone,
        conversation.conversation_id,
        conversation.is_direct,
        conversation.name,
        origin.reference,
    )


class RecentlyRemembered:
    """Per process and bounded: forgetting early only costs one more write, never a wrong answer."""

    def __init__(self, *, refresh: timedelta = REFRESH, capacity: int = CAPACITY) -> None:
        self._refresh = refresh
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str], tuple[tuple[object, ...], datetime]] = OrderedDict()

    def needs_write(self, origin: Origin, now: datetime) -> bool:
        entry = self._seen.get((origin.actor.platform, origin.actor.user_id))
        if entry is None:
            return True
        fingerprint, written_at = entry
        return fingerprint != _fingerprint(origin) or now - written_at >= self._refresh

    def written(self, origin: Origin, now: datetime) -> None:
        key = (origin.actor.platform, origin.actor.user_id)
        entry = self._seen.get(key)
        if entry is not None and entry[0] == _fingerprint(origin) and now - entry[1] < self._refresh:
            self._seen.move_to_end(key)
            return
        self._seen[key] = (_fingerprint(origin), now)
        self._seen.move_to_end(key)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
