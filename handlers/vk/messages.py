"""The community's private messages: joining by invite code, help, cancel, and the report dialog.

Each VK event becomes a Turn; the person behind it comes from PeopleService, the work from the
Desk. Strangers get the same polite refusal as in Telegram, and one audit line each time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from vkbottle import GroupEventType
from vkbottle.framework.labeler import BotLabeler

from bot import reporting
from bot.dates import utcnow
from bot.domain import Role
from bot.errors import Denied, DeskError
from bot.people import Account
from bot.ports import Action
from bot.reporting import STRANGER
from handlers.vk import announce, deciding, editing, formats, lists, replies, report, tickets
from handlers.vk.chat import Turn, VKChat
from handlers.vk.inbox import MAX_AGE, mark_read, unread_messages
from handlers.vk.render import (
    MENU_ANNOUNCE,
    MENU_COMMENTS,
    MENU_DRAFTS,
    MENU_FEED,
    MENU_PLAN,
    MENU_QUEUE,
    MENU_REPORT,
    MENU_TICKETS,
    menu_keyboard,
)
from storage.models import Person

log = logging.getLogger(__name__)

SHORT_REFUSAL = "Бот доступен только по приглашению."
FLOOD = "Слишком много сообщений подряд. Подождите минуту и повторите, пожалуйста."
# The dialog's ways in, by name: the words a message may say (with or without "/", any case),
# the payloads of the menu's buttons, and the callback payload families a press carries.
# command() and on_press() read these tables, and the permission matrix tries every entry.
TEXT_COMMANDS: dict[str, tuple[str, ...]] = {
    "report": ("report", MENU_REPORT.lower()),
    "announce": ("announce", MENU_ANNOUNCE.lower()),
    "cancel": ("cancel", "отмена"),
    "help": ("help", "помощь"),
    "start": ("начать", "start", "старт"),  # an invite code may follow
    # an editor's lists (handlers/vk/lists.py), also the editor's menu buttons
    "drafts": ("drafts", MENU_DRAFTS.lower()),
    "queue": ("queue", MENU_QUEUE.lower()),
    "comments": ("comments", MENU_COMMENTS.lower()),
    "tickets": ("tickets", MENU_TICKETS.lower()),
    "plan": ("plan", MENU_PLAN.lower(), "график"),
    "feed": ("feed", MENU_FEED.lower()),  # Telegram's /feed: the plan's secret link
}
PAYLOAD_COMMANDS: dict[tuple[str, str], str] = {
    ("cmd", "report"): "report",
    ("cmd", "announce"): "announce",
    ("command", "start"): "start",  # VK's own «Начать» button
    **{("cmd", name): name for name in lists.COMMANDS},  # the editor's menu
}
BUTTON_FAMILIES = {
    "d": "a core card's button (Action values: the editors' decisions, handlers/vk/deciding.py;"
    " citizens' tickets, handlers/vk/tickets.py)",
    "r": "the report dialog's own steps (handlers/vk/report.py)",
}
# «Начать» is VK's own first button; an invite code may follow it, or come alone.
START_RE = re.compile(
    r"^/?(?:" + "|".join(TEXT_COMMANDS["start"]) + r")(?:\s+(\S+))?$", re.IGNORECASE
)
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{12,64}$")

Handler = Callable[[VKChat, Turn, Person | None], Awaitable[None]]


def help_text(person: Person) -> str:
    lines = [
        f"Вы — {Role(person.role).title}. Что можно сделать здесь:",
        f"«{MENU_REPORT}» (или /report) — рассказать о мероприятии",
        f"«{MENU_ANNOUNCE}» — рассказать о предстоящем мероприятии заранее",
        "«Отмена» (или /cancel) — прервать текущее действие",
    ]
    if Role(person.role).can_edit():
        lines += [
            f"«{MENU_DRAFTS}» (/drafts) — черновики, ждущие решения",
            f"«{MENU_QUEUE}» (/queue) — что запланировано и что не вышло",
            f"«{MENU_COMMENTS}» (/comments) — комментарии на проверке",
            f"«{MENU_TICKETS}» (/tickets) — обращения жителей, ждущие ответа",
            f"«{MENU_PLAN}» (/plan) — план публикаций на неделю",
            f"«{MENU_FEED}» (/feed) — секретная ссылка на график для календаря в телефоне",
            "Новые черновики, комментарии на проверке и обращения жителей приходят сюда с "
            "кнопками: одобрить, отклонить, редактировать, запланировать, удалить, ответить "
            "жителю. Другие недели плана, выгрузка плана и приглашения — в Telegram-боте "
            "пресс-службы.",
        ]
    return "\n".join(lines)


def command(turn: Turn) -> tuple[str, str]:
    """What a message asks for, if it is a command: ("report", ""), ("start", code), ..."""
    for (key, value), name in PAYLOAD_COMMANDS.items():
        if turn.payload.get(key) == value:
            return name, ""
    text = " ".join(turn.text.split())
    lowered = text.lower().lstrip("/")
    for name, words in TEXT_COMMANDS.items():
        if name != "start" and lowered in words:
            return name, ""
    match = START_RE.match(text)
    if match:
        return "start", match[1] or ""
    return "", ""


async def on_message(chat: VKChat, turn: Turn, person: Person | None) -> None:
    if person is None:
        await stranger(chat, turn)
        return
    name, arg = command(turn)
    peer = await chat.states.get(turn.peer_id)
    step = report.step_of(peer)
    if (ticket_id := replies.answering(peer)) and not name and chat.replies is not None:
        await replies.answer(chat, turn, person, ticket_id)
        return
    if (ticket_id := tickets.replying(peer)) and not name and chat.replies is not None:
        await tickets.on_message(chat, turn, person, ticket_id)
        return
    if editing.waiting(peer) and not name and chat.previews is not None:
        await editing.on_message(chat, turn, person, peer)
        return
    if formats.waiting(peer) and not name and chat.polls is not None:
        await formats.on_message(chat, turn, person, peer)
        return
    if deciding.waiting(peer) and not name:
        await deciding.on_message(chat, turn, person, peer)
        return
    data = dict(peer.payload) if peer is not None else {}
    if name == "report":
        await report.start(chat, turn, step, data)
    elif name == "announce" and chat.duty is not None:
        await announce.start(chat, turn)
    elif name in lists.COMMANDS:
        try:
            await lists.show(chat, turn, person, name)
        except Denied as error:  # a reporter's: refused as handle() does, and the report goes on
            if step is None:
                raise
            account = Account("vk", turn.peer_id)
            await chat.people.refuse(account, error.message, action="access.denied")
            await chat.say(turn, error.message)
        if step is not None:  # a list in the middle of a report: the report waits
            await report.resume(chat, turn, step, data)
    elif name == "cancel":
        await chat.states.delete(turn.peer_id)
        await chat.say(turn, reporting.cancelled(in_dialog(peer)), menu_keyboard(person))
    elif name in ("help", "start") or (step is not None and turn.text.startswith("/")):
        # A command in the middle of a report is a command, never an answer; the report waits.
        already = f"{reporting.ALREADY_REGISTERED}\n" if arg else ""
        await chat.say(turn, already + help_text(person), menu_keyboard(person))
        if step is not None:
            await report.resume(chat, turn, step, data)
    elif step is not None:
        await report.on_message(chat, turn, person, step, data)
    elif (ahead := announce.step_of(peer)) is not None and chat.duty is not None:
        await announce.on_message(chat, turn, person, ahead, dict(peer.payload))
    else:
        await chat.say(
            turn,
            f"Чтобы сообщить о мероприятии, нажмите «{MENU_REPORT}» или напишите /report.",
            menu_keyboard(person),
        )


def in_dialog(peer: Any) -> bool:
    """Some question waits for this person's answer: a report, an announcement, an editor's."""
    if report.step_of(peer) is not None or announce.step_of(peer) is not None:
        return True
    waits = (replies.answering(peer), tickets.replying(peer), deciding.waiting(peer))
    waits += (editing.waiting(peer),)
    return any(waits) or bool(formats.waiting(peer))


async def stranger(chat: VKChat, turn: Turn) -> None:
    account = Account("vk", turn.peer_id)
    name, code = command(turn)
    text = " ".join(turn.text.split())
    if not code and not name and CODE_RE.match(text):
        code = text
    if not code:
        closed = await chat.people.was_closed(account)
        if not closed and chat.replies is not None and name in ("", "start"):
            # A citizen: their message is a ticket for the editors; «Начать» gets a welcome.
            if name == "start":
                await chat.say(turn, replies.CITIZEN_WELCOME)
            else:
                await replies.citizen_message(chat, turn)
            return
        await chat.people.refuse(account, what="message_new")
        await chat.say(turn, reporting.CLOSED if closed else STRANGER)
        return
    new = await chat.people.accept_invite(code, account, await chat.full_name(turn.peer_id))
    department = await chat.people.department_name(new.department_id)
    await chat.say(
        turn, f"{reporting.welcome(new, department)}\n\n{help_text(new)}", menu_keyboard(new)
    )


async def on_press(chat: VKChat, turn: Turn, person: Person | None) -> None:
    if person is None:
        account = Account("vk", turn.peer_id)
        await chat.people.refuse(account, what="message_event")
        closed = await chat.people.was_closed(account)
        await chat.answer(turn, reporting.CLOSED if closed else SHORT_REFUSAL)
        return
    if turn.payload.get("d") == Action.ticket_answer and chat.replies is not None:
        await replies.start_answer(chat, turn, person, int(turn.payload.get("r") or 0))
        return
    if turn.payload.get("d") == Action.report_now and chat.duty is not None:
        await announce.report_now(chat, turn, person, int(turn.payload.get("r") or 0))
        return
    if editing.handles(chat, turn.payload):  # the preview and a published post's corrections
        await editing.on_press(chat, turn, person)
        return
    if formats.handles(chat, turn.payload):  # a poll, a broadcast, a contest for a draft
        await formats.on_press(chat, turn, person)
        return
    if deciding.handles(chat, turn.payload):  # drafts, the time and networks, comments
        await deciding.on_press(chat, turn, person)
        return
    if tickets.handles(chat, turn.payload):  # citizens' tickets: reply, template, forward
        await tickets.on_press(chat, turn, person)
        return
    if turn.payload.get("d") == Action.open_plan:  # the digest's «График»: the week as text
        await lists.show_plan(chat, turn, person)
        return
    if turn.payload.get("d") in lists.FEED_ACTIONS:  # /feed's «Получить новую ссылку» / «Отозвать»
        await lists.feed_press(chat, turn, person, Action(turn.payload["d"]))
        return
    if "d" in turn.payload:  # a core card's button not built for VK
        deciding.require_editor(person)
        await chat.answer(turn, "Это действие доступно в Telegram-боте пресс-службы.")
        return
    peer = await chat.states.get(turn.peer_id)
    data = dict(peer.payload) if peer is not None else {}
    await report.on_press(chat, turn, person, report.step_of(peer), data)


async def handle(chat: VKChat, turn: Turn, handler: Handler) -> None:
    """Who is writing, one event per person at a time, and the core's refusals in Russian.
    A message is handled once: one that came both live and by the catch-up is skipped."""
    account = Account("vk", turn.peer_id)
    async with chat.locks[turn.peer_id]:
        inbox = chat.inbox if turn.message_cmid else None
        if inbox is not None and await inbox.handled(turn.peer_id, turn.message_cmid):
            return
        try:
            person = await chat.people.identify(account)
            if person is not None and chat.flood is not None:
                allowed, tell = chat.flood.allow(account.ref)
                if not allowed:  # the same per-person limit as in Telegram
                    if tell:
                        await chat.people.refuse(account, "flood", action="access.flood")
                        await chat.say(turn, FLOOD)
                    return
            await handler(chat, turn, person)
        except DeskError as error:
            if isinstance(error, Denied):
                await chat.people.refuse(account, error.message, action="access.denied")
            await chat.answer(turn)
            await chat.say(turn, error.message)
        except Exception:
            log.exception("VK message from %s failed", turn.peer_id)
            await chat.answer(turn)
            await chat.say(turn, reporting.FAILED)
        finally:
            await chat.answer(turn)  # a pressed button stops spinning whatever happened
            if inbox is not None:  # even after a failure: it was answered, not to be redone
                await inbox.mark(turn.peer_id, turn.message_cmid)
                await mark_read(chat.api, turn.peer_id, turn.message_id)


async def handle_message(chat: VKChat, message: dict[str, Any]) -> None:
    """One incoming message, from the long poll or from the catch-up alike."""
    if message.get("out") or message["peer_id"] != message["from_id"]:
        return  # only people's private dialogues with the community, not chats
    await handle(chat, Turn.from_message(message), on_message)


async def catch_up(chat: VKChat) -> int:
    """Handle what people wrote while nobody listened, oldest first; how many were new."""
    handled = 0
    since = (chat.inbox.now() if chat.inbox else utcnow()) - MAX_AGE
    for message in await unread_messages(chat.api, chat.group_id):
        if message.get("date", 0) < since.timestamp():
            continue
        if chat.inbox is not None and not await chat.inbox.handled(
            message["peer_id"], message.get("conversation_message_id") or 0
        ):
            handled += 1
        await handle_message(chat, message)
    if handled:
        log.info("VK catch-up: %s message(s) written while the bot was away", handled)
    return handled


def make_labeler(chat: VKChat) -> BotLabeler:
    labeler = BotLabeler()

    @labeler.raw_event(GroupEventType.MESSAGE_NEW, dict)
    async def message_new(event: dict[str, Any]) -> None:
        await handle_message(chat, event["object"]["message"])

    @labeler.raw_event(GroupEventType.MESSAGE_EVENT, dict)
    async def message_event(event: dict[str, Any]) -> None:
        obj = event["object"]
        if obj["peer_id"] != obj["user_id"]:
            return
        await handle(chat, Turn.from_event(obj), on_press)

    return labeler
