"""Citizens' tickets for an editor who works in VK: the card's «Ответить» (the reply is typed in
the dialog), «Шаблон», «Передать в отдел», «Без ответа», and under a draft reply «Отправить» /
«Изменить»; «Обращения» (/tickets). Each press or typed reply is one call into bot.replies, the
same calls handlers/telegram/replies.py makes; refusals and conflicts are said by messages.handle.
A department head's «Ответить» stays in handlers/vk/replies.py."""

from __future__ import annotations

from typing import Any

from bot.ports import Action, Card, CardRef
from bot.replies import core as replies_core
from bot.replies.core import TICKET_ACTIONS
from handlers.vk.chat import SNACKBAR_LIMIT, Turn, VKChat
from handlers.vk.render import INLINE_KEYS, card_keyboard
from storage.models import Person

REPLY_STATE = "TicketReply:text"
ACTIONS = TICKET_ACTIONS
SHOWN_AT_ONCE = 20


def handles(chat: VKChat, payload: dict[str, Any]) -> bool:
    return chat.replies is not None and payload.get("d") in ACTIONS


def replying(peer: object) -> int:
    """The ticket whose reply this editor is typing, or 0."""
    if peer is None or str(getattr(peer, "state", "")) != REPLY_STATE:
        return 0
    return int((getattr(peer, "payload", None) or {}).get("ticket_id") or 0)


require_editor = replies_core.require_editor  # before any answer, as in Telegram


async def show(chat: VKChat, turn: Turn, card: Card, ticket_id: int = 0) -> None:
    """A card as a new message; a ticket's is remembered, so the core redraws every copy when
    the ticket changes (another editor answered, it was forwarded)."""
    message_id = await chat.say(turn, card.text, card_keyboard(card))
    if ticket_id and chat.replies is not None:
        await chat.replies.remember_card(ticket_id, CardRef(f"vk:{turn.peer_id}", message_id))


async def show_choices(chat: VKChat, turn: Turn, card: Card) -> None:
    """The templates or the departments, one button each: VK takes 10 buttons under a message
    (render.INLINE_KEYS), so a longer list comes in several messages and none is lost."""
    buttons = [button for row in card.buttons for button in row]
    chunks = [buttons[i : i + INLINE_KEYS] for i in range(0, len(buttons), INLINE_KEYS)] or [[]]
    for number, chunk in enumerate(chunks, 1):
        text = card.text if number == 1 else f"Ещё ({number} из {len(chunks)}):"
        await chat.say(turn, text, card_keyboard(Card(text, tuple((b,) for b in chunk))))


async def tell(chat: VKChat, turn: Turn, said: str) -> None:
    """What the core says of a press: over the chat when short, as a message otherwise."""
    if len(said) <= SNACKBAR_LIMIT:
        await chat.answer(turn, said)
    else:
        await chat.say(turn, said)


async def on_press(chat: VKChat, turn: Turn, person: Person) -> None:
    require_editor(person)
    replies = chat.replies
    assert replies is not None
    action = Action(turn.payload["d"])
    ticket_id, arg = int(turn.payload.get("r") or 0), str(turn.payload.get("a") or "")
    match action:
        case Action.ticket_reply | Action.ticket_edit:
            prompt = await replies.start_reply(ticket_id, person)
            await chat.states.set(turn.peer_id, REPLY_STATE, ticket_id=ticket_id)
            await chat.say(turn, f"{prompt}\nПрервать: «Отмена».")
        case Action.ticket_template:
            await show_choices(chat, turn, await replies.templates(ticket_id, person))
        case Action.ticket_use:
            card = await replies.use_template(ticket_id, person, int(arg or -1))
            await chat.answer(turn, "Черновик готов: проверьте и отправьте.")
            await show(chat, turn, card, ticket_id)
        case Action.ticket_forward:
            await show_choices(chat, turn, await replies.departments(ticket_id, person))
        case Action.ticket_to:
            await tell(chat, turn, await replies.forward(ticket_id, person, int(arg or 0)))
        case Action.ticket_dismiss:
            await tell(chat, turn, await replies.dismiss(ticket_id, person))
        case Action.ticket_send:
            await tell(chat, turn, await replies.send(ticket_id, person))
        case Action.open_tickets:
            await send_open(chat, turn, person)


async def send_open(chat: VKChat, turn: Turn, person: Person) -> None:
    """«Обращения» (/tickets): the open ones, the nearest deadline first, as in Telegram."""
    require_editor(person)
    assert chat.replies is not None
    tickets = await chat.replies.open_tickets(person)
    if not tickets:
        await chat.say(turn, "Обращений жителей, ждущих ответа, нет.")
        return
    if len(tickets) > SHOWN_AT_ONCE:
        await chat.say(turn, f"Всего {len(tickets)}, показываю {SHOWN_AT_ONCE} с ближайшим сроком.")
    for ticket_id, card in tickets[:SHOWN_AT_ONCE]:
        await show(chat, turn, card, ticket_id)


async def on_message(chat: VKChat, turn: Turn, person: Person, ticket_id: int) -> None:
    """The reply typed after «Ответить» / «Изменить»: the ticket's draft, shown with «Отправить»."""
    assert chat.replies is not None
    if not turn.text.strip():
        await chat.say(turn, "Пришлите ответ текстом одним сообщением. Прервать: «Отмена».")
        return
    card = await chat.replies.set_draft(ticket_id, person, turn.text)
    await chat.states.delete(turn.peer_id)
    await show(chat, turn, card, ticket_id)
