"""Magic filters evaluated in the event loop.

aiogram runs any filter that is not a coroutine function through asyncio.to_thread, one
worker-thread hop per check: a bare magic filter (F...) and a bare state (ReportDialog.title)
among them. With a router filter and a handler filter on most updates that was a quarter of
the desk's CPU under load. These checks are attribute reads, so they run inline as async filters;
states are given as aiogram's StateFilter, which is async. tests/unit/test_filters.py keeps it so.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class Inline(Filter):
    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> bool:
        return bool(self.magic.resolve(event))


def text_is(value: str) -> Inline:
    return Inline(F.text == value)


PRIVATE = Inline(F.chat.type == "private")
GROUP = Inline(F.chat.type.in_({"group", "supergroup"}))
HAS_TEXT = Inline(F.text)
HAS_FILE = Inline(F.photo | F.video | F.document)
