"""«Анонс» in the community's messages (vkbottle): the same three questions as in Telegram, and
the reminder's «Сообщить сейчас», which opens the report dialog with the answers filled in.
The words and rules are the core's (bot/duty.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from vkbottle import BaseStateGroup, StatePeer

from bot import reporting
from bot.duty import ASK_DATE, ASK_PLACE, ASK_TITLE
from bot.errors import Invalid
from handlers.vk import report
from handlers.vk.chat import Turn, VKChat
from handlers.vk.render import menu_keyboard
from storage.models import Person


class AnnounceState(BaseStateGroup):
    TITLE = "title"
    DATE = "date"
    PLACE = "place"


PROMPTS = {"title": ASK_TITLE, "date": ASK_DATE, "place": ASK_PLACE}


def step_of(peer: StatePeer | None) -> str | None:
    if peer is None:
        return None
    group, _, step = str(peer.state).partition(":")
    return step if group == AnnounceState.__name__ and step in PROMPTS else None


async def ask(chat: VKChat, turn: Turn, step: str, data: dict[str, Any]) -> None:
    await chat.states.set(turn.peer_id, AnnounceState(step), **data)
    await chat.say(turn, PROMPTS[step])


async def start(chat: VKChat, turn: Turn) -> None:
    await ask(chat, turn, "title", {})


async def on_message(
    chat: VKChat, turn: Turn, person: Person, step: str, data: dict[str, Any]
) -> None:
    text = " ".join(turn.text.split())
    if not text:
        await chat.say(turn, f"{reporting.NEED_TEXT} Прервать: «Отмена».")
        return
    try:
        if step == "title":
            await ask(chat, turn, "date", {**data, "title": reporting.title(text)})
        elif step == "date":
            when = chat.duty.event_date(text)
            await ask(chat, turn, "place", {**data, "date": when.isoformat()})
        else:
            card = await chat.duty.announce(
                person, data["title"], date.fromisoformat(data["date"]), text
            )
            await chat.states.delete(turn.peer_id)
            await chat.say(turn, card.text, menu_keyboard())
    except Invalid as exc:
        await chat.say(turn, exc.message)


async def report_now(chat: VKChat, turn: Turn, person: Person, announcement_id: int) -> None:
    answers = await chat.duty.report_now(announcement_id, person)
    await chat.say(turn, f"«{answers['title']}» — осталось немного.")
    await report.ask(chat, turn, "description", answers)
