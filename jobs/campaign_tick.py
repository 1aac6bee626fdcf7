"""Campaign tick: every minute, fan out the HR campaigns that are due and keep their progress live."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core import Core


async def run(core: Core, now: datetime) -> str:
    return await core.services.campaigns.tick(now)
