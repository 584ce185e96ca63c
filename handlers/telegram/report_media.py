"""/report's attachments step: files taken as they come (checked, fetched and kept at once),
the step's buttons, and the files again at «Отправить» if the media folder lost them."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import reporting
from bot.domain import MediaKind
from bot.editorial import MAX_ATTACHMENTS, Desk, NewMedia
from bot.errors import Invalid
from handlers.telegram.callbacks import ReportCB
from handlers.telegram.filters import HAS_FILE, HAS_TEXT, PRIVATE
from handlers.telegram.report_dialog import (
    DONE_BUTTONS,
    NOT_COMMAND,
    UNSUPPORTED,
    media_buttons,
    show_summary,
)
from handlers.telegram.states import ReportDialog

router = Router(name="report_media")
router.message.filter(PRIVATE)


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


async def kept(desk: Desk, bot: Bot, item: dict) -> NewMedia:
    """The file fetched when it arrived; fetched again if the media folder lost it meanwhile."""
    file_id = item["file_id"] if item.get("reuse_id", True) else None
    media = NewMedia(MediaKind(item["kind"]), item["name"], item["mime"], b"", file_id)
    if desk.media.has(item.get("sha256")):
        return replace(media, sha256=item["sha256"])
    return replace(media, data=(await bot.download(item["file_id"])).read())
