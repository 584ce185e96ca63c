"""/plan and «График публикаций»: the week in one message, paging, opening an item, moving a
scheduled post to a free slot, a plan item, and the plan as XLSX / HTML; /feed for the ICS link.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.cards import failed_card, published_card, queue_line
from bot.dates import human_date
from bot.domain import PostState
from bot.duty import Duty
from bot.editorial import Desk
from bot.plan import ITEM_HELP, Entry, Plan, Week, monday, require_editor
from bot.plan_export import html_page, xlsx
from bot.plan_feed import FeedLinks
from bot.plan_view import day_title, week_message
from bot.ports import Action
from handlers.telegram.callbacks import DeskCB, PlanCB
from handlers.telegram.common import MENU_QUEUE
from handlers.telegram.filters import HAS_TEXT, PRIVATE, text_is
from handlers.telegram.render import keyboard
from handlers.telegram.states import PlanDialog
from storage.models import Person

router = Router(name="plan")
router.message.filter(PRIVATE)
ITEM_BUTTONS = 10  # tappable items under the week; the rest are in the text


def button(text: str, action: str, ref: int = 0, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=PlanCB(action=action, ref=ref, arg=arg).pack()
    )


def label(entry: Entry) -> str:
    title = entry.title if len(entry.title) <= 28 else entry.title[:27] + "…"
    when = f"{day_title(entry.day).split(',')[0]} {entry.time}".strip()
    return f"{entry.mark} {when} «{title}»"


def opener(entry: Entry) -> InlineKeyboardButton:
    if entry.post_id:
        return button(label(entry), "open", entry.post_id, "post")
    return button(label(entry), "open", entry.ref, "item" if entry.kind == "planned" else "ann")


def week_markup(week: Week) -> InlineKeyboardMarkup:
    rows = [[opener(e)] for e in week.entries()[:ITEM_BUTTONS]]
    before, after = week.first - timedelta(days=7), week.first + timedelta(days=7)
    rows.append(
        [
            button("‹ Неделя", "week", arg=before.isoformat()),
            button("Неделя ›", "week", arg=after.isoformat()),
        ]
    )
    rows.append(
        [
            button("➕ В план", "add"),
            button("XLSX", "xlsx", arg=week.first.isoformat()),
            button("HTML", "html", arg=week.first.isoformat()),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def render(plan: Plan, first: date) -> tuple[str, InlineKeyboardMarkup]:
    week = await plan.week(first)
    return week_message(week, plan.today(), plan.titles()), week_markup(week)


async def send_week(
    message: Message, plan: Plan, person: Person, first: date | None = None
) -> None:
    require_editor(person)
    text, markup = await render(plan, first or plan.today())
    await message.answer(text, reply_markup=markup, parse_mode="HTML")


@router.message(Command("plan"))
@router.message(text_is(MENU_QUEUE))
async def show(message: Message, plan: Plan, person: Person) -> None:
    await send_week(message, plan, person)


@router.callback_query(DeskCB.filter(F.action == Action.open_plan))
async def from_digest(query: CallbackQuery, plan: Plan, person: Person) -> None:
    await send_week(query.message, plan, person)
    await query.answer()


@router.callback_query(PlanCB.filter(F.action == "week"))
async def page(query: CallbackQuery, callback_data: PlanCB, plan: Plan, person: Person) -> None:
    require_editor(person)
    text, markup = await render(plan, date.fromisoformat(callback_data.arg))
    await query.message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    await query.answer()


@router.callback_query(PlanCB.filter(F.action == "open"))
async def open_item(
    query: CallbackQuery, callback_data: PlanCB, plan: Plan, desk: Desk, duty: Duty, person: Person
) -> None:
    require_editor(person)
    ref, kind = callback_data.ref, callback_data.arg
    if kind == "post":
        view = await desk.view(ref)
        if view.post.state == PostState.published:
            card = published_card(view)
        elif view.post.state == PostState.failed:
            card = failed_card(view)
        else:
            card = queue_line(view, plan.now(), plan.tz)
        markup = keyboard(card)
        rows = list(markup.inline_keyboard) if markup else []
        if view.post.state == PostState.scheduled:
            week = monday(view.post.scheduled_at.astimezone(plan.tz).date())
            rows.insert(0, [button("Перенести в свободный слот", "slots", ref, week.isoformat())])
        await query.message.answer(
            card.text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        )
    elif kind == "item":
        item = await plan.item(ref)
        where = f", {item.slot}" if item.slot else ""
        nets = f" — {item.networks}" if item.networks else ""
        await query.message.answer(
            f"📝 В плане: «{item.title}», {human_date(item.day, plan.today())}{where}{nets}.\n"
            "Когда будет готов текст, пришлите его как сообщение о мероприятии или черновик.",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[button("Убрать из плана", "unplan", ref)]]
            ),
        )
    else:
        card = await duty.announcement_card(ref)
        await query.message.answer(card.text, reply_markup=keyboard(card))
    await query.answer()


@router.callback_query(PlanCB.filter(F.action == "slots"))
async def slots(query: CallbackQuery, callback_data: PlanCB, plan: Plan, person: Person) -> None:
    require_editor(person)
    moments = await plan.free_slots(callback_data.ref, date.fromisoformat(callback_data.arg))
    if not moments:
        await query.answer(
            "Свободных слотов на этой и следующей неделе нет. "
            "Другое время можно выбрать кнопкой «Перенести».",
            show_alert=True,
        )
        return
    buttons = [
        button(
            f"{day_title(m.astimezone(plan.tz).date())} {m.astimezone(plan.tz):%H:%M}",
            "to",
            callback_data.ref,
            str(int(m.timestamp())),
        )
        for m in moments
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await query.message.answer(
        "Куда перенести? Свободные слоты:", reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )
    await query.answer()


@router.callback_query(PlanCB.filter(F.action == "to"))
async def move(query: CallbackQuery, callback_data: PlanCB, plan: Plan, person: Person) -> None:
    when = datetime.fromtimestamp(int(callback_data.arg), UTC)
    answer = await plan.move(callback_data.ref, person, when)
    week = monday(when.astimezone(plan.tz).date())
    await query.message.edit_text(
        answer,
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[button("Открыть график", "week", arg=week.isoformat())]]
        ),
    )
    await query.answer()


@router.callback_query(PlanCB.filter(F.action == "unplan"))
async def unplan(query: CallbackQuery, callback_data: PlanCB, plan: Plan, person: Person) -> None:
    await plan.remove_item(callback_data.ref, person)
    await query.message.edit_text("Пункт убран из плана.")
    await query.answer()


@router.callback_query(PlanCB.filter(F.action == "add"))
async def add(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    require_editor(person)
    await state.set_state(PlanDialog.item)
    await query.message.answer(f"Что добавить в план? {ITEM_HELP} Прервать: /cancel")
    await query.answer()


@router.message(StateFilter(PlanDialog.item), HAS_TEXT)
async def got_item(message: Message, state: FSMContext, plan: Plan, person: Person) -> None:
    item = await plan.add_item(person, message.text)
    await state.clear()
    await message.answer(f"Добавлено в план: «{item.title}», {human_date(item.day, plan.today())}.")
    await send_week(message, plan, person, item.day)


@router.callback_query(PlanCB.filter(F.action.in_({"xlsx", "html"})))
async def export(query: CallbackQuery, callback_data: PlanCB, plan: Plan, person: Person) -> None:
    require_editor(person)
    first = date.fromisoformat(callback_data.arg)
    week = await plan.week(first)
    if callback_data.action == "xlsx":
        data, name = xlsx(week.entries(), week.first, week.last), f"plan-{week.first}.xlsx"
    else:
        data, name = html_page(week, plan.titles()).encode(), f"plan-{week.first}.html"
    await query.message.answer_document(
        BufferedInputFile(data, filename=name),
        caption=f"График публикаций: {day_title(week.first)} – {day_title(week.last)}",
    )
    await query.answer()


@router.message(Command("feed"))
async def feed(message: Message, links: FeedLinks, person: Person) -> None:
    card = links.offer(person)
    await message.answer(card.text, reply_markup=keyboard(card))


@router.callback_query(DeskCB.filter(F.action.in_({Action.feed_new, Action.feed_revoke})))
async def feed_link(
    query: CallbackQuery, callback_data: DeskCB, links: FeedLinks, person: Person
) -> None:
    """A new link or none: the core's answer (a refusal comes as an alert, bot/errors.py)."""
    if callback_data.action == Action.feed_new:
        card = await links.new_link(person)
    else:
        card = await links.revoke_link(person)
    await query.message.answer(card.text)
    await query.answer()


@router.message(StateFilter(PlanDialog.item))
async def need_text(message: Message) -> None:
    await message.answer(f"Пришлите, пожалуйста, текстом. {ITEM_HELP}")
