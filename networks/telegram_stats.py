"""Telegram gives bots no figures for channel posts: the Bot API has no method for a message's
views or reactions counters in a channel (views come only to clients through MTProto's
messages.getMessagesViews, and channel statistics need a user account). The report says so.
Maintainers of Bot API clients say the same: TelegramBots/Telegram.Bot#327,
telegraf/telegraf#161."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Network
from bot.ports import PostStats


class TelegramStats:
    network = Network.telegram
    unavailable = (
        "Telegram не даёт ботам число просмотров и реакций публикаций канала — "
        "их видно в статистике канала в приложении Telegram"
    )

    async def stats(self, external_ids: Sequence[str]) -> dict[str, PostStats]:
        return {}
