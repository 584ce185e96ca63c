"""An editor's lists in the community's messages, typed or from the editor's menu: «Черновики»
(/drafts), «Очередь» (/queue), «Комментарии» (/comments), «Обращения» (/tickets), «График
публикаций» (/plan) and «Ссылка на график» (/feed). The same core calls and cards as Telegram's
/drafts, /queue, /comments, /tickets, /plan and /feed (handlers/telegram/lists.py, moderation.py,
replies.py, plan.py); the cards' buttons are answered by handlers/vk/deciding.py and tickets.py,
/feed's here.

The plan comes as text: Telegram's week keyboard (paging, opening an item, «В план», XLSX and
HTML files) is not built for VK, so the text says where those are."""

from __future__ import annotations

import html
import re

from bot.plan import require_editor
from bot.plan_view import week_message
from bot.ports import Action
from handlers.vk import deciding, tickets
from handlers.vk.chat import Turn, VKChat
from handlers.vk.render import card_keyboard
from storage.models import Person

COMMANDS = ("drafts", "queue", "comments", "tickets", "plan", "feed")
FEED_ACTIONS = {Action.feed_new, Action.feed_revoke}
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
PLAN_MORE = (
    "Другие недели, пункты плана и выгрузку в XLSX или HTML открывает /plan в Telegram-боте "
    "пресс-службы."
)


async def show(chat: VKChat, turn: Turn, person: Person, name: str) -> None:
    """One of the lists; the role is checked first, as every core list does."""
    deciding.require_editor(person)
    desk = chat.desk
    if name == "drafts":
        await deciding.show_list(chat, turn, await desk.drafts(person), drafts=True)
    elif name == "queue":
        cards = await desk.queue(person)  # checks the role first
        if chat.delivery is not None and (waiting := await chat.delivery.backlog_text()):
            await chat.say(turn, waiting)  # as Telegram's /queue: what waits for delivery first
        await deciding.show_list(chat, turn, cards, drafts=False)
    elif name == "comments":
        if chat.moderation is None:
            await chat.say(turn, "Проверка комментариев не включена.")
            return
        await deciding.show_comments(chat, turn, person)
    elif name == "tickets":
        if chat.replies is None:
            await chat.say(turn, "Обращения жителей не включены.")
            return
        await tickets.send_open(chat, turn, person)
    elif name == "feed":
        await show_feed(chat, turn, person)
    else:
        await show_plan(chat, turn, person)


def plain(markup: str) -> str:
    """The plan's Telegram HTML as VK's plain text: a link keeps its address in brackets."""
    text = _LINK.sub(lambda m: f"{m[2]} ({html.unescape(m[1])})", markup)
    return html.unescape(_TAG.sub("", text))


async def show_plan(chat: VKChat, turn: Turn, person: Person) -> None:
    """«График публикаций» (/plan): this week, the same text the core writes for Telegram."""
    plan = chat.plan
    if plan is None:
        await chat.say(turn, PLAN_MORE)
        return
    require_editor(person)  # the core's own check, as Telegram's /plan makes it
    week = await plan.week(plan.today())
    await chat.say(turn, f"{plain(week_message(week, plan.today(), plan.titles()))}\n\n{PLAN_MORE}")


async def show_feed(chat: VKChat, turn: Turn, person: Person) -> None:
    """«Ссылка на график» (/feed): the core's offer, with its two buttons."""
    if chat.links is None:
        await chat.say(turn, PLAN_MORE)
        return
    card = chat.links.offer(person)
    await chat.say(turn, card.text, card_keyboard(card))


async def feed_press(chat: VKChat, turn: Turn, person: Person, action: Action) -> None:
    """«Получить новую ссылку» / «Отозвать ссылку»: the same core calls as Telegram's."""
    deciding.require_editor(person)
    if chat.links is None:
        await chat.say(turn, PLAN_MORE)
        return
    if action == Action.feed_new:
        card = await chat.links.new_link(person)
    else:
        card = await chat.links.revoke_link(person)
    await chat.say(turn, card.text)
