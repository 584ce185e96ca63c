"""A bare aiogram echo bot: the reference the desk's update handling is measured against."""

from __future__ import annotations

import asyncio
import gc
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main(base_url: str, token: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    # As the desk does after start-up (bot/app.py): otherwise a full collection of aiogram's
    # start-up objects may or may not fall inside the measured window, and the reference
    # would swing by a third from run to run.
    gc.freeze()
    await dp.start_polling(bot, polling_timeout=1, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
