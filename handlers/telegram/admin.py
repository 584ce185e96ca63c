"""/audit, /doctor and /forget: the administrator reads the audit log, checks the tokens now,
and erases one citizen's data on request."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot.dates import stamp
from bot.journal import Journal, parse_filter
from bot.retention import Retention
from bot.token_health import TokenHealth, report
from handlers.telegram.filters import PRIVATE
from storage.models import Person

router = Router(name="admin")
router.message.filter(PRIVATE)
AUDIT_HELP = (
    "Фильтры: /audit Петрова — по человеку, /audit 25.11 или /audit 20.11-25.11 — по дате, "
    "/audit публикация 2 — по объекту; /audit csv — файл для таблицы (с теми же фильтрами)."
)


@router.message(Command("doctor"))
async def doctor(message: Message, token_health: TokenHealth, person: Person) -> None:
    results = await token_health.check_now(person)
    bad = any(problems for _, problems in results)
    head = "Проверка ключей доступа нашла проблемы:" if bad else "Ключи доступа и права в порядке:"
    await message.answer(f"{head}\n{report(results, ok_too=True)}")


@router.message(Command("forget"))
async def forget(
    message: Message, command: CommandObject, retention: Retention, person: Person
) -> None:
    purged = await retention.forget(person, command.args or "")
    await message.answer(f"Данные жителя стёрты ({purged}). Запись об этом — в журнале действий.")


@router.message(Command("audit"))
async def audit_log(
    message: Message, command: CommandObject, journal: Journal, person: Person
) -> None:
    args = (command.args or "").strip()
    as_file = args.lower().split()[:1] == ["csv"]
    if as_file:
        args = args[3:].strip()
    today = message.date.astimezone(journal.tz).date()
    where = parse_filter(args, today, journal.tz)
    if as_file:
        data = await journal.csv(person, where)
        await journal.exported(person)
        await message.answer_document(
            BufferedInputFile(data, filename="журнал-действий.csv"),
            caption="Журнал действий" + (" (с фильтром)" if not where.empty else ""),
        )
        return
    head = "Журнал действий (последние записи):" if where.empty else "Журнал действий, по фильтру:"
    lines: list[str] = []
    room = MESSAGE_ROOM - _utf16(head + AUDIT_HELP)
    for e in await journal.entries(person, where):  # newest first: the oldest are cut
        line = f"{stamp(e.at, journal.tz)} · {e.text}"
        room -= _utf16(line) + 1
        if room < 0:
            break
        lines.append(line)
    body = "\n".join(reversed(lines)) if lines else "Записей нет."
    await message.answer(f"{head}\n{body}\n\n{AUDIT_HELP}")


MESSAGE_ROOM = 4000  # of Telegram's 4096 UTF-16 units


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
