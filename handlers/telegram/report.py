"""/report: a department head tells about an event, step by step (aiogram FSM)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    TelegramObject,
)

from bot import reporting
from bot.domain import MediaKind
from bot.editorial import MAX_ATTACHMENTS, Desk, NewMedia
from bot.errors import Invalid
from handlers.telegram.callbacks import ReportCB
from handlers.telegram.common import MENU_REPORT, is_command, menu
from handlers.telegram.filters import HAS_FILE, HAS_TEXT, PRIVATE, text_is
from handlers.telegram.states import ReportDialog
from storage.models import Person

router = Router(name="report")
router.message.filter(PRIVATE)

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


@router.message(Command("report"))
@router.message(text_is(MENU_REPORT))
async def start_report(message: Message, state: FSMContext, person: Person) -> None:
    """A new report; one half filled in is not thrown away without asking."""
    if await state.get_state() in ReportDialog.__all_states_names__:
        if reporting.is_half_filled(await state.get_data()):
            await message.answer(
                reporting.restart_question(await state.get_data()), reply_markup=RESTART_BUTTONS
            )
            return
    await state.clear()
    await ask(message, state, "title", person)


@router.callback_query(StateFilter(ReportDialog), ReportCB.filter(F.step == "restart"))
async def restart_or_resume(
    query: CallbackQuery, callback_data: ReportCB, state: FSMContext, desk: Desk, person: Person
) -> None:
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.arg == "yes":
        await state.clear()
        await ask(query.message, state, "title", person)
    else:
        await resume(query.message, state, desk, person)


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


@router.message(StateFilter(ReportDialog.title), HAS_TEXT, NOT_COMMAND)
async def got_title(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await state.update_data(title=reporting.title(message.text))
    await next_step(message, state, "date", desk, person)


async def set_date(
    message: Message, state: FSMContext, text: str, desk: Desk, person: Person
) -> None:
    try:
        event_date = reporting.event_date(text, desk.today())
    except Invalid as exc:
        await message.answer(exc.message, reply_markup=DATE_KEYBOARD)
        return
    await state.update_data(date=event_date.isoformat())
    if (await state.get_data()).get("changing"):
        # The summary's buttons can't bring the menu back: this short line does.
        line = reporting.date_line(event_date, desk.today())
        await message.answer(line, reply_markup=menu(person))
    await next_step(message, state, "place", desk, person)


@router.message(StateFilter(ReportDialog.date), HAS_TEXT, NOT_COMMAND)
async def got_date(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await set_date(message, state, message.text, desk, person)


@router.callback_query(StateFilter(ReportDialog.date), ReportCB.filter(F.step == "date"))
async def pressed_date(
    query: CallbackQuery, callback_data: ReportCB, state: FSMContext, desk: Desk, person: Person
) -> None:
    """The inline date buttons of questions sent before the update to the keyboard ones."""
    await query.answer()
    await set_date(query.message, state, callback_data.arg, desk, person)


@router.message(StateFilter(ReportDialog.place), HAS_TEXT, NOT_COMMAND)
async def got_place(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await state.update_data(place=reporting.place(message.text))
    await next_step(message, state, "description", desk, person)


@router.message(StateFilter(ReportDialog.description), HAS_TEXT, NOT_COMMAND)
async def got_description(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await state.update_data(description=message.text.strip())
    await next_step(message, state, "media", desk, person)


def attachment_of(message: Message) -> dict | str:
    """The file in a message as dialog data, or the Russian reason it can't be taken."""
    if message.photo:
        photo = message.photo[-1]
        return {
            "kind": MediaKind.photo,
            "file_id": photo.file_id,
            "name": f"{photo.file_unique_id}.jpg",
            "mime": "image/jpeg",
            "size": photo.file_size or 0,
        }
    if message.video:
        video = message.video
        return {
            "kind": MediaKind.video,
            "file_id": video.file_id,
            "name": video.file_name or "video.mp4",
            "mime": video.mime_type or "video/mp4",
            "size": video.file_size or 0,
        }
    if message.document:  # what it is comes from its bytes once fetched (bot.filetypes)
        doc = message.document
        return {
            "kind": MediaKind.document,
            "file_id": doc.file_id,
            "name": doc.file_name or "document",
            "mime": doc.mime_type or "application/octet-stream",
            "size": doc.file_size or 0,
        }
    return UNSUPPORTED


@router.message(StateFilter(ReportDialog.media), HAS_FILE)
async def got_attachment(message: Message, state: FSMContext, desk: Desk) -> None:
    # Albums arrive as several updates; the dispatcher's event isolation handles them in turn.
    item = attachment_of(message)
    data = await state.get_data()
    media = list(data.get("media", []))
    if isinstance(item, str):
        await message.answer(item, reply_markup=media_buttons(media))
        return
    if item["size"] > reporting.FILE_LIMIT:
        await message.answer(
            reporting.TOO_BIG_FILE,
            reply_markup=media_buttons(media),
        )
        return
    if len(media) >= MAX_ATTACHMENTS:
        await message.answer(
            reporting.TOO_MANY_FILES,
            reply_markup=media_buttons(media),
        )
        return
    # Fetched now rather than at «Отправить»: the last step stays quick, and the file is kept
    # (by content) even if the dialog is resumed after a restart.
    content = (await message.bot.download(item["file_id"])).read()
    try:
        checked = reporting.attachment(item, content)
    except Invalid as exc:
        await message.answer(exc.message, reply_markup=media_buttons(media))
        return
    if checked["kind"] != item["kind"]:  # Telegram's file_id keeps the claimed type: upload
        checked["reuse_id"] = False
    item = checked
    item["sha256"] = await desk.media.keep(content)
    media.append(item)
    await state.update_data(media=media)
    if len(media) == 1 and data.get("media_prompt"):
        try:
            await message.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=data["media_prompt"], reply_markup=DONE_BUTTONS
            )
        except TelegramBadRequest:
            pass  # deleted, or already without it
    text = reporting.received(len(media))
    status = data.get("status_message")
    if status:
        try:
            await message.bot.edit_message_text(
                text, chat_id=message.chat.id, message_id=status, reply_markup=DONE_BUTTONS
            )
            return
        except TelegramBadRequest:
            pass  # the status message was deleted: send a new one
    sent = await message.answer(text, reply_markup=DONE_BUTTONS)
    await state.update_data(status_message=sent.message_id)


@router.message(StateFilter(ReportDialog.media), HAS_TEXT, NOT_COMMAND)
async def text_at_attachments(message: Message, state: FSMContext) -> None:
    media = (await state.get_data()).get("media", [])
    await message.answer(
        reporting.waiting_files(reporting.TELEGRAM_FILES, len(media)),
        reply_markup=media_buttons(media),
    )


@router.message(StateFilter(ReportDialog.media), NOT_COMMAND)
async def unsupported_attachment(message: Message, state: FSMContext) -> None:
    media = (await state.get_data()).get("media", [])
    await message.answer(UNSUPPORTED, reply_markup=media_buttons(media))


@router.callback_query(StateFilter(ReportDialog.media), ReportCB.filter(F.step == "media"))
async def media_done(
    query: CallbackQuery, callback_data: ReportCB, state: FSMContext, desk: Desk, bot: Bot
) -> None:
    if callback_data.arg == "none" and (await state.get_data()).get("media"):
        # An older prompt's «Без вложений» after files came: they are kept, and it says so.
        await query.message.answer(reporting.KEPT_FILES)
    await asyncio.gather(bot(query.answer()), show_summary(query.message, state, desk))


async def show_summary(message: Message, state: FSMContext, desk: Desk) -> None:
    data = await state.get_data()
    await state.set_state(ReportDialog.confirm)
    await state.update_data(changing=False, asked_change=False, status_message=None)
    await message.answer(reporting.summary(data, desk.today()), reply_markup=CONFIRM_BUTTONS)


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "change"))
async def change(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(asked_change=True)
    await query.message.answer(reporting.ASK_CHANGE, reply_markup=CHANGE_BUTTONS)


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "goto"))
async def change_field(
    query: CallbackQuery, callback_data: ReportCB, state: FSMContext, person: Person
) -> None:
    await query.answer()
    if callback_data.arg not in PROMPTS:
        return
    await state.update_data(**reporting.change(callback_data.arg))
    await ask(query.message, state, callback_data.arg, person)


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "cancel"))
async def cancel_report(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(reporting.CANCELLED, reply_markup=menu(person))


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "send"))
async def send_report(
    query: CallbackQuery, state: FSMContext, person: Person, desk: Desk, bot: Bot
) -> None:
    # Telegram shows the button busy until the query is answered: that is the feedback while
    # the report is saved, and the answer goes out together with the receipt (or, on a
    # refusal, with the reason, from the errors handler).
    data = await state.get_data()
    media = [await kept(desk, bot, m) for m in data.get("media", [])]
    result = await desk.submit_report(person, reporting.report_input(data, media))
    await state.clear()
    await state.set_data({"sent": result.report_id})  # a second tap hears it went already
    # The summary itself becomes the receipt: the number and status above what was sent, and
    # no buttons left to press twice. The menu keyboard is back since the question after the
    # date (or the «Дата: …» line).
    receipt = reporting.receipt(result, data, desk.today())
    await asyncio.gather(bot(query.answer()), show_receipt(query.message, receipt, person))


async def show_receipt(summary: Message, receipt: str, person: Person) -> None:
    try:
        await summary.edit_text(receipt, reply_markup=None)
    except TelegramBadRequest:  # the summary was deleted meanwhile
        await summary.answer(receipt, reply_markup=menu(person))


async def kept(desk: Desk, bot: Bot, item: dict) -> NewMedia:
    """The file fetched when it arrived; fetched again if the media folder lost it meanwhile."""
    file_id = item["file_id"] if item.get("reuse_id", True) else None
    media = NewMedia(MediaKind(item["kind"]), item["name"], item["mime"], b"", file_id)
    if desk.media.has(item.get("sha256")):
        return replace(media, sha256=item["sha256"])
    return replace(media, data=(await bot.download(item["file_id"])).read())


@router.callback_query(ReportCB.filter())
async def stale_report_button(query: CallbackQuery, state: FSMContext) -> None:
    step = (await state.get_state() or "").partition(":")[2] or None
    if step not in (*PROMPTS, "confirm"):
        step = None
    text = reporting.stale_button(step, await state.get_data())
    await query.answer(text, show_alert=True)


@router.message(
    StateFilter(ReportDialog.title, ReportDialog.date, ReportDialog.place),
    NOT_COMMAND,
)
@router.message(StateFilter(ReportDialog.description), NOT_COMMAND)
async def need_text(message: Message) -> None:
    await message.answer(f"{reporting.NEED_TEXT} Прервать: /cancel")


@router.message(StateFilter(ReportDialog.confirm), NOT_COMMAND)
async def waiting_confirm(message: Message, state: FSMContext) -> None:
    await message.answer(reporting.waiting_confirm(await state.get_data()))
