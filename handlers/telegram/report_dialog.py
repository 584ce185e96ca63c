"""The /report dialog's questions, keyboards and way back (handlers/telegram/report.py and
report_media.py hold its handlers): which question comes next, the summary, and the reminder of
the open question after a command typed in the middle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    TelegramObject,
)

from bot import reporting
from bot.editorial import Desk
from handlers.telegram.callbacks import ReportCB
from handlers.telegram.common import MENU_REPORT, is_command, menu
from handlers.telegram.states import ReportDialog
from storage.models import Person

UNSUPPORTED = reporting.unsupported(reporting.TELEGRAM_FILES)


class NotCommand(Filter):
    async def __call__(self, message: Message) -> bool:
        return not is_command(message.text)


NOT_COMMAND = NotCommand()


def buttons(*rows: list[tuple[str, str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=t, callback_data=ReportCB(step=s, arg=a).pack())
                for t, s, a in row
            ]
            for row in rows
        ]
    )


# Answers typed as often as tapped: buttons under the input field send their text, as if typed.
DATE_KEYBOARD = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text="Сегодня"), KeyboardButton(text="Вчера")]],
    resize_keyboard=True,
    input_field_placeholder="или дата, например 25.11",
)
MEDIA_BUTTONS = buttons([("Готово", "media", "done"), ("Без вложений", "media", "none")])
DONE_BUTTONS = buttons([("Готово", "media", "done")])


def media_buttons(media: list) -> InlineKeyboardMarkup:
    """Once files came, «Без вложений» is gone: pressing it would only confuse."""
    return DONE_BUTTONS if media else MEDIA_BUTTONS


CONFIRM_BUTTONS = buttons(
    [("Отправить", "send", ""), ("Изменить", "change", ""), ("Отмена", "cancel", "")]
)
RESTART_BUTTONS = buttons(
    [(reporting.RESTART, "restart", "yes"), (reporting.KEEP_GOING, "restart", "no")]
)
CHANGE_BUTTONS = buttons(
    [("Название", "goto", "title"), ("Дату", "goto", "date"), ("Место", "goto", "place")],
    [("Описание", "goto", "description"), ("Вложения", "goto", "media")],
)
MENU = "menu"  # the person's own menu keyboard, back after the date's buttons
PROMPTS = {
    "title": (reporting.ASK_TITLE, None),
    "date": (reporting.ASK_DATE, DATE_KEYBOARD),
    "place": (reporting.ASK_PLACE, MENU),
    "description": (reporting.ASK_DESCRIPTION, None),
    "media": (reporting.ask_media(reporting.TELEGRAM_FILES), MEDIA_BUTTONS),
}


async def ask(message: Message, state: FSMContext, step: str, person: Person) -> None:
    await state.set_state(getattr(ReportDialog, step))
    text, markup = PROMPTS[step]
    sent = await message.answer(text, reply_markup=menu(person) if markup == MENU else markup)
    if step == "media":  # its «Без вложений» is taken away when the first file comes
        await state.update_data(media_prompt=sent.message_id)


async def next_step(
    message: Message, state: FSMContext, step: str, desk: Desk, person: Person
) -> None:
    """Go on to `step`, or back to the summary when the person was changing one field."""
    if (await state.get_data()).get("changing"):
        await show_summary(message, state, desk)
    else:
        await ask(message, state, step, person)


async def resume(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    """Ask the open step's question again (with its buttons), or show the summary again."""
    step = (await state.get_state() or "").partition(":")[2]
    if step == "confirm":
        await show_summary(message, state, desk)
    elif step in PROMPTS:
        text, markup = PROMPTS[step]
        if step == "media":
            markup = media_buttons((await state.get_data()).get("media", []))
        await message.answer(
            f"{reporting.RESUMED}\n{text}", reply_markup=menu(person) if markup == MENU else markup
        )


class ResumeAfterCommand(BaseMiddleware):
    """A command typed in the middle of a report (/help, /drafts, a menu button) is carried out
    by its own handler; then the person is reminded of the report and its open question."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        state: FSMContext | None = data.get("state")
        person = data.get("person")
        text = getattr(event, "text", None)
        if (
            state is None
            or person is None
            or not is_command(text)
            or text in (MENU_REPORT, "/report")
            or getattr(event.chat, "type", "") != "private"
        ):
            return result
        if await state.get_state() in ReportDialog.__all_states_names__:
            await resume(event, state, data["desk"], person)
        return result


async def show_summary(message: Message, state: FSMContext, desk: Desk) -> None:
    data = await state.get_data()
    await state.set_state(ReportDialog.confirm)
    await state.update_data(changing=False, asked_change=False, status_message=None)
    await message.answer(reporting.summary(data, desk.today()), reply_markup=CONFIRM_BUTTONS)
