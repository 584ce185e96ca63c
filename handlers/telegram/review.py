"""Editors' buttons on drafts and posts: each press becomes one call into the core."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.domain import Role
from bot.editorial import Desk, NewMedia
from bot.errors import Denied
from bot.ports import Action, Card, CardRef
from handlers.telegram import lists
from handlers.telegram.callbacks import DeskCB
from handlers.telegram.filters import HAS_FILE, HAS_TEXT, PRIVATE
from handlers.telegram.render import keyboard
from handlers.telegram.report import NOT_COMMAND, attachment_of
from handlers.telegram.states import EditorDialog
from storage.models import Person

router = Router(name="review")
router.message.filter(PRIVATE)
# Text typed while a card waits for a tap: which buttons, under which message.
TAP_WHEN = (
    "Выберите время кнопкой под сообщением «Когда публикуем?» или нажмите «Другое время», "
    "чтобы написать своё."
)
TAP_WHERE = "Отметьте сети кнопками под сообщением «Куда публикуем…» и нажмите «Готово»."


async def waiting_for(state: FSMContext, post_id: int, step: str) -> None:
    await state.set_state(EditorDialog.choosing)
    await state.update_data(post_id=post_id, choosing=step)


MEDIA_DONE = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(
                text="Готово",
                callback_data=DeskCB(action=Action.keep_media, ref=0, arg="done").pack(),
            ),
            InlineKeyboardButton(
                text="Отмена", callback_data=DeskCB(action=Action.stop, ref=0).pack()
            ),
        ]
    ]
)


async def show(message: Message, card: Card, desk: Desk | None = None, post_id: int = 0) -> None:
    sent = await message.answer(card.text, reply_markup=keyboard(card))
    if desk is not None and post_id:
        # Every card of a post with buttons changes when the post does (a decision, a new
        # time, a cancellation), so an older one cannot act on what has changed since.
        await desk.remember_card(post_id, CardRef(f"tg:{sent.chat.id}", sent.message_id))


@router.callback_query(DeskCB.filter())
async def on_button(
    query: CallbackQuery, callback_data: DeskCB, desk: Desk, person: Person, state: FSMContext
) -> None:
    if not Role(person.role).can_edit():  # every card button is an editor's (the matrix test)
        raise Denied("Это могут делать только редакторы пресс-службы.")
    action, post_id, arg = callback_data.action, callback_data.ref, callback_data.arg
    message = query.message
    match action:
        case Action.approve:
            card = await desk.approve(post_id, person)
            await show(message, card, desk, post_id)
            await waiting_for(state, post_id, "when")
        case Action.edit:
            card = await desk.start_edit(post_id, person)
            await state.set_state(EditorDialog.text)
            await state.update_data(post_id=post_id)
            await show(message, card)
        case Action.reject:
            await desk.start_reject(post_id, person)
            await state.set_state(EditorDialog.reject_reason)
            await state.update_data(post_id=post_id)
            await message.answer(
                "Напишите причину отказа — её увидит автор сообщения. Передумали: /cancel"
            )
        case Action.when if arg == "other":
            await desk.ask_schedule(post_id, person)
            await state.set_state(EditorDialog.time)
            await state.update_data(post_id=post_id)
            await message.answer(
                "Напишите дату и время, например: «завтра 10:30» или «25.11 14:00»."
            )
        case Action.when:
            card = await desk.set_time(post_id, person, desk.resolve_when(arg))
            await message.edit_text(card.text, reply_markup=keyboard(card))
            await waiting_for(state, post_id, "where")
        case Action.toggle_network:
            card = await desk.toggle_network(post_id, person, arg)
            await message.edit_text(card.text, reply_markup=keyboard(card))
        case Action.confirm:
            card = await desk.confirm(post_id, person)
            await message.edit_text(card.text, reply_markup=keyboard(card))
            if await state.get_state() == EditorDialog.choosing.state:
                await state.clear()
        case Action.reschedule:
            await show(message, await desk.reschedule(post_id, person), desk, post_id)
            await waiting_for(state, post_id, "when")
        case Action.schedule:
            await show(message, await desk.ask_schedule(post_id, person), desk, post_id)
            await waiting_for(state, post_id, "when")
        case Action.cancel_post:
            card = await desk.cancel(post_id, person)
            await message.edit_text(card.text, reply_markup=keyboard(card))
            await desk.remember_card(post_id, CardRef(f"tg:{message.chat.id}", message.message_id))
        case Action.replace_media:
            await desk.start_edit(post_id, person)
            await state.set_state(EditorDialog.media)
            await state.update_data(post_id=post_id, media=[])
            await message.answer(
                "Пришлите новые фото или видео (до 10) и нажмите «Готово».", reply_markup=MEDIA_DONE
            )
        case Action.keep_media:
            await media_done(message, state, desk, person, query.bot)
        case Action.stop:
            await state.clear()
            await message.answer("Хорошо, ничего не меняю.")
        case Action.open_drafts:  # the digest's buttons
            await lists.drafts(message, desk, person)
        case Action.open_queue:
            await lists.queue(message, desk, person)
    await query.answer()


@router.message(StateFilter(EditorDialog.text), HAS_TEXT, NOT_COMMAND)
async def new_text(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    post_id = (await state.get_data())["post_id"]
    card = await desk.edit_text(post_id, person, message.text)
    await state.clear()
    await show(message, card, desk, post_id)


@router.message(StateFilter(EditorDialog.reject_reason), HAS_TEXT, NOT_COMMAND)
async def reject_reason(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    post_id = (await state.get_data())["post_id"]
    await state.clear()
    await desk.reject(post_id, person, message.text)  # the draft's card now says so, once
    await message.answer("Отклонено. Автор получил причину.")


@router.message(StateFilter(EditorDialog.time), HAS_TEXT, NOT_COMMAND)
async def typed_time(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    post_id = (await state.get_data())["post_id"]
    card = await desk.set_time(post_id, person, desk.parse_time(message.text))
    await show(message, card, desk, post_id)
    await waiting_for(state, post_id, "where")


@router.message(StateFilter(EditorDialog.media), HAS_FILE)
async def new_media(message: Message, state: FSMContext) -> None:
    item = attachment_of(message)
    if isinstance(item, str):
        await message.answer(item)
        return
    media = [*(await state.get_data()).get("media", []), item][:10]
    await state.update_data(media=media)


async def media_done(
    message: Message, state: FSMContext, desk: Desk, person: Person, bot: Bot
) -> None:
    data = await state.get_data()
    if await state.get_state() != EditorDialog.media.state or not data.get("media"):
        await message.answer("Сначала пришлите фото или видео, потом нажмите «Готово».")
        return
    media = [
        NewMedia(
            m["kind"], m["name"], m["mime"], (await bot.download(m["file_id"])).read(), m["file_id"]
        )
        for m in data["media"]
    ]
    card = await desk.replace_media(data["post_id"], person, media)
    await state.clear()
    await show(message, card, desk, data["post_id"])


@router.message(StateFilter(EditorDialog.choosing), NOT_COMMAND)
async def tap_instead(message: Message, state: FSMContext) -> None:
    step = (await state.get_data()).get("choosing")
    await message.answer(TAP_WHERE if step == "where" else TAP_WHEN)


@router.message(
    StateFilter(EditorDialog.text, EditorDialog.reject_reason, EditorDialog.time), NOT_COMMAND
)
async def need_text(message: Message) -> None:
    await message.answer("Пришлите, пожалуйста, текстом. Прервать: /cancel")
