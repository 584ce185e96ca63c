"""Editors add a poll, a live broadcast or a contest to a draft from its card (issue 11): a few
questions in a row, then the draft's card again with each network's verdict. Thin: every answer
is checked by the core (bot/polls.py, bot/broadcasts.py, bot/contests.py); a refused answer is
said and the question stays, so nothing typed before is lost."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.broadcasts import Broadcasts, parse_link
from bot.contests import Contests, parse_winners
from bot.editorial import Desk
from bot.formats import FORMAT_ACTIONS, poll_kind_card
from bot.polls import Polls, parse_options, parse_question
from bot.ports import Action, Card, PollSpec
from handlers.telegram.callbacks import DeskCB
from handlers.telegram.filters import HAS_TEXT, PRIVATE
from handlers.telegram.render import keyboard
from handlers.telegram.report import NOT_COMMAND
from handlers.telegram.review import show
from handlers.telegram.states import FormatDialog
from storage.models import Person

router = Router(name="formats")
router.message.filter(PRIVATE)

STOP = " Прервать: /cancel"


@router.callback_query(DeskCB.filter(F.action.in_(FORMAT_ACTIONS)))
async def on_format_button(
    query: CallbackQuery,
    callback_data: DeskCB,
    person: Person,
    state: FSMContext,
    desk: Desk,
    polls: Polls,
    broadcasts: Broadcasts,
    contests: Contests,
) -> None:
    polls.require_editor(person)  # every one of these is an editor's (the matrix test)
    post_id, message = callback_data.ref, query.message
    match callback_data.action:
        case Action.add_poll:
            await polls.may_add(post_id)
            await state.set_state(FormatDialog.poll_question)
            await state.set_data({"post_id": post_id})
            await message.answer(
                f"Опрос к черновику № {post_id}. Напишите вопрос (до 300 знаков).{STOP}"
            )
        case Action.poll_kind:
            data = await state.get_data()
            if (
                await state.get_state() != FormatDialog.poll_kind.state
                or data.get("post_id") != post_id
            ):
                await query.answer("Этот вопрос уже не ждёт ответа.", show_alert=True)
                return
            await state.update_data(multiple=callback_data.arg == "n")
            await state.set_state(FormatDialog.poll_end)
            await message.edit_text(
                "Несколько ответов." if callback_data.arg == "n" else "Один ответ."
            )
            await message.answer(
                "Когда подвести итоги? Например: «завтра 18:00» или «25.12 12:00»." + STOP
            )
        case Action.add_broadcast:
            await broadcasts.may_add(post_id)
            await state.set_state(FormatDialog.broadcast_link)
            await state.set_data({"post_id": post_id})
            await message.answer(
                f"Трансляция к черновику № {post_id}. Пришлите ссылку на трансляцию "
                f"(VK Видео, Rutube, YouTube…).{STOP}"
            )
        case Action.add_contest:
            await contests.may_add(post_id)
            await state.set_state(FormatDialog.contest_rules)
            await state.set_data({"post_id": post_id})
            await message.answer(
                f"Конкурс к черновику № {post_id}. Напишите условия: что разыгрывается и кто "
                f"может участвовать. Участвовать — комментарием под публикацией.{STOP}"
            )
        case Action.publish_recording:
            card = await broadcasts.publish_recording(post_id, person)
            await message.edit_text(card.text)
    await query.answer()


# ---- the poll's questions ----------------------------------------------------------------------
@router.message(StateFilter(FormatDialog.poll_question), HAS_TEXT, NOT_COMMAND)
async def poll_question(message: Message, state: FSMContext) -> None:
    await state.update_data(question=parse_question(message.text))
    await state.set_state(FormatDialog.poll_options)
    await message.answer(
        "Теперь варианты ответа — каждый с новой строки, от 2 до 10 (до 100 знаков каждый)." + STOP
    )


@router.message(StateFilter(FormatDialog.poll_options), HAS_TEXT, NOT_COMMAND)
async def poll_options(message: Message, state: FSMContext) -> None:
    await state.update_data(options=list(parse_options(message.text)))
    await state.set_state(FormatDialog.poll_kind)
    post_id = (await state.get_data())["post_id"]
    card = poll_kind_card(post_id)
    await message.answer(card.text, reply_markup=keyboard(card))


@router.message(StateFilter(FormatDialog.poll_end), HAS_TEXT, NOT_COMMAND)
async def poll_end(
    message: Message, state: FSMContext, desk: Desk, polls: Polls, person: Person
) -> None:
    data = await state.get_data()
    ends_at = desk.parse_time(message.text)
    spec = PollSpec(data["question"], tuple(data["options"]), bool(data["multiple"]), ends_at)
    await polls.add(data["post_id"], person, spec)
    await state.clear()
    await show_draft(message, desk, data["post_id"], "Опрос добавлен.")


# ---- the broadcast's questions -----------------------------------------------------------------
@router.message(StateFilter(FormatDialog.broadcast_link), HAS_TEXT, NOT_COMMAND)
async def broadcast_link(message: Message, state: FSMContext) -> None:
    await state.update_data(link=parse_link(message.text))
    await state.set_state(FormatDialog.broadcast_start)
    await message.answer("Когда начало трансляции? Например: «завтра 18:00»." + STOP)


@router.message(StateFilter(FormatDialog.broadcast_start), HAS_TEXT, NOT_COMMAND)
async def broadcast_start(
    message: Message, state: FSMContext, desk: Desk, broadcasts: Broadcasts, person: Person
) -> None:
    data = await state.get_data()
    starts_at = desk.parse_time(message.text)
    await broadcasts.add(data["post_id"], person, data["link"], starts_at)
    await state.clear()
    await show_draft(
        message,
        desk,
        data["post_id"],
        "Трансляция добавлена: в начале трансляции уйдёт напоминание — "
        "оно одобряется вместе с анонсом.",
    )


# ---- the contest's questions -------------------------------------------------------------------
@router.message(StateFilter(FormatDialog.contest_rules), HAS_TEXT, NOT_COMMAND)
async def contest_rules(message: Message, state: FSMContext) -> None:
    rules = message.text.strip()
    await state.update_data(rules=rules)
    await state.set_state(FormatDialog.contest_end)
    await message.answer("Когда подводим итоги? Например: «30.12 12:00»." + STOP)


@router.message(StateFilter(FormatDialog.contest_end), HAS_TEXT, NOT_COMMAND)
async def contest_end(message: Message, state: FSMContext, desk: Desk) -> None:
    ends_at = desk.parse_time(message.text)
    await state.update_data(ends_at=ends_at.isoformat())
    await state.set_state(FormatDialog.contest_winners)
    await message.answer("Сколько победителей? Напишите число (от 1 до 100)." + STOP)


@router.message(StateFilter(FormatDialog.contest_winners), HAS_TEXT, NOT_COMMAND)
async def contest_winners(
    message: Message, state: FSMContext, desk: Desk, contests: Contests, person: Person
) -> None:
    data = await state.get_data()
    winners = parse_winners(message.text)
    ends_at = datetime.fromisoformat(data["ends_at"])
    await contests.add(data["post_id"], person, data["rules"], ends_at, winners)
    await state.clear()
    await show_draft(
        message,
        desk,
        data["post_id"],
        "Конкурс добавлен: в назначенное время бот соберёт участников из комментариев, "
        "проведёт жеребьёвку и подготовит пост с итогами.",
    )


@router.message(StateFilter(FormatDialog.poll_kind), NOT_COMMAND)
async def tap_kind(message: Message) -> None:
    await message.answer("Выберите кнопкой под вопросом «Сколько ответов можно выбрать?».")


@router.message(
    StateFilter(
        FormatDialog.poll_question,
        FormatDialog.poll_options,
        FormatDialog.poll_end,
        FormatDialog.broadcast_link,
        FormatDialog.broadcast_start,
        FormatDialog.contest_rules,
        FormatDialog.contest_end,
        FormatDialog.contest_winners,
    ),
    NOT_COMMAND,
)
async def need_text(message: Message) -> None:
    await message.answer("Пришлите, пожалуйста, текстом." + STOP)


async def show_draft(message: Message, desk: Desk, post_id: int, done: str) -> None:
    card = desk.preview(await desk.view(post_id))
    await show(message, Card(f"{done}\n\n{card.text}", card.buttons), desk, post_id)
