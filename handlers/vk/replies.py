"""Citizens and department heads in the community's messages, for bot/replies: a stranger's
message becomes a ticket (the core acknowledges it); a head answers a citizen's question
after pressing «Ответить» under it. Thin: each turn is one call into the core."""

from __future__ import annotations

from bot.domain import Network
from bot.ports import CitizenMessage
from handlers.vk.chat import Turn, VKChat
from storage.models import Person

ANSWER_STATE = "TicketAnswer:text"
CITIZEN_WELCOME = (
    "Здравствуйте! Это сообщество администрации. Напишите ваш вопрос или сообщение одним "
    "сообщением — мы передадим его в администрацию и ответим здесь."
)


async def citizen_message(chat: VKChat, turn: Turn) -> None:
    """A citizen wrote to the community: a ticket, acknowledged by the core on VK."""
    assert chat.replies is not None
    text = turn.text.strip()
    if not text and turn.attachments:
        text = "(вложение без текста)"
    await chat.replies.intake(
        CitizenMessage(
            network=Network.vk,
            channel="message",
            external_id=f"{turn.peer_id}:{turn.message_cmid or turn.message_id}",
            thread_ref=str(turn.peer_id),
            author_id=turn.peer_id,
            text=text,
            written_at=chat.inbox.now() if chat.inbox else chat.now(),
            author_name=await chat.full_name(turn.peer_id),
            url=f"https://vk.com/gim{chat.group_id}?sel={turn.peer_id}",
        )
    )


def answering(peer: object) -> int:
    """The ticket a head is answering in this dialogue, or 0."""
    if peer is None or str(getattr(peer, "state", "")) != ANSWER_STATE:
        return 0
    return int((getattr(peer, "payload", None) or {}).get("ticket_id") or 0)


async def start_answer(chat: VKChat, turn: Turn, person: Person, ticket_id: int) -> None:
    assert chat.replies is not None
    prompt = await chat.replies.start_answer(ticket_id, person)
    await chat.states.set(turn.peer_id, ANSWER_STATE, ticket_id=ticket_id)
    await chat.answer(turn)
    await chat.say(turn, prompt)


async def answer(chat: VKChat, turn: Turn, person: Person, ticket_id: int) -> None:
    assert chat.replies is not None
    said = await chat.replies.head_answer(ticket_id, person, turn.text)
    await chat.states.delete(turn.peer_id)
    await chat.say(turn, said)
