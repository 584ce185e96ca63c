"""/month: the monthly control report for admins — a short summary, the charts as pictures,
and the XLSX and HTML files. The same sending serves the report on the 1st of the month."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, InputMediaPhoto, Message

from bot.control import Control, MonthlyReport
from bot.control_render import render
from bot.textsize import fit
from handlers.telegram.filters import PRIVATE
from storage.models import Person

router = Router(name="control")
router.message.filter(PRIVATE)


async def send_report(bot: Bot, chat_id: int, report: MonthlyReport, tz: ZoneInfo) -> None:
    rendered = render(report, tz)
    # Many departments: the summary is cut with «…»; the files have everything.
    await bot.send_message(chat_id, fit(rendered.summary, tail=" (полностью — в файлах)"))
    photos = [BufferedInputFile(data, filename=name) for name, data in rendered.charts]
    if len(photos) == 1:
        await bot.send_photo(chat_id, photos[0])
    elif photos:
        await bot.send_media_group(chat_id, [InputMediaPhoto(media=p) for p in photos[:10]])
    slug = rendered.month_slug
    await bot.send_document(
        chat_id,
        BufferedInputFile(rendered.xlsx, filename=f"otchet-{slug}.xlsx"),
        caption=f"Отчёт за {report.month.title}: таблицы (XLSX)",
    )
    await bot.send_document(
        chat_id,
        BufferedInputFile(rendered.html.encode(), filename=f"otchet-{slug}.html"),
        caption="То же для браузера и печати (HTML)",
    )


@router.message(Command("month"))
async def month(message: Message, command: CommandObject, control: Control, person: Person) -> None:
    wanted = control.month(command.args or "")
    await message.answer(f"Собираю отчёт за {wanted.title}…")
    report = await control.for_person(person, wanted)
    await send_report(message.bot, message.chat.id, report, control.tz)
