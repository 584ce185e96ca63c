"""What the VK dialog handlers share: one turn of a conversation, and the ways to answer it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from vkbottle import API, VKAPIError

from bot.access import FloodGuard
from bot.corrections import Corrections
from bot.dates import utcnow
from bot.duty import Duty
from bot.editorial import Desk
from bot.moderation.service import Moderation
from bot.people import PeopleService
from bot.plan import Plan
from bot.plan_feed import FeedLinks
from bot.ports import Card
from bot.preview import Previews
from bot.replies.service import Replies
from bot.textsize import TEXT_LIMIT, fit
from handlers.notify import RoutingNotifier
from handlers.vk.inbox import Inbox
from handlers.vk.photos import CardPhotos
from handlers.vk.render import NO_BUTTONS, call, send_card, send_message, stable_random_id
from handlers.vk.state import DatabaseStateDispenser

log = logging.getLogger(__name__)

SNACKBAR_LIMIT = 90  # VK cuts a snackbar's text at 90 characters


@dataclass
class Turn:
    """One thing a person did in the community's messages: wrote, or pressed a callback button."""

    peer_id: int
    text: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    key: str = ""  # what is being answered ("m<message id>", "e<event id>"): seeds random_id
    event_id: str = ""  # set for a callback press, which must be answered
    cmid: int = 0  # conversation_message_id of the message whose button was pressed
    message_id: int = 0  # of the message itself, when the turn is a message (for the inbox)
    message_cmid: int = 0
    replies: int = 0
    answered: bool = False

    @property
    def pressed(self) -> bool:
        return bool(self.event_id)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Turn:
        return cls(
            peer_id=message["peer_id"],
            text=message.get("text") or "",
            payload=_payload(message.get("payload")),
            attachments=list(message.get("attachments") or []),
            key=f"m{message['id']}",
            message_id=message["id"],
            message_cmid=message.get("conversation_message_id") or 0,
        )

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Turn:
        return cls(
            peer_id=event["peer_id"],
            payload=_payload(event.get("payload")),
            key=f"e{event['event_id']}",
            event_id=event["event_id"],
            cmid=event.get("conversation_message_id") or 0,
        )


def _payload(raw: Any) -> dict[str, Any]:
    """A button's payload: a JSON string in message_new, an object in message_event."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


class VKChat:
    """The community's side of its private dialogues: replies, button answers, files, state."""

    def __init__(
        self,
        api: API,
        group_id: int,
        people: PeopleService,
        desk: Desk,
        states: DatabaseStateDispenser,
        timeout: float,
        photos: CardPhotos,
        inbox: Inbox | None = None,
    ) -> None:
        self.api = api
        self.photos = photos  # the cards' photos, which a redraw passes again (the notifier's)
        self.inbox = inbox
        self.group_id = group_id
        self.people = people
        self.desk = desk
        self.states = states
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None
        # One event per person at a time (as aiogram's event isolation does): a photo and a
        # quick «Готово» must not both read the same half-filled report.
        self.locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.duty: Duty | None = None  # announcements ahead («Анонс»), set by the app
        self.flood: FloodGuard | None = None  # the per-person limit (bot/access.py), when set
        self.replies: Replies | None = None  # citizens' messages become tickets (bot/replies)
        self.previews: Previews | None = None  # an editor's preview per network, set by the app
        self.corrections: Corrections | None = None  # a published post's text or deletion
        self.moderation: Moderation | None = None  # comments on review, set by the app
        self.plan: Plan | None = None  # the publication plan («График»), set by the app
        self.links: FeedLinks | None = None  # the plan's secret link («Ссылка на график»)
        self.delivery: RoutingNotifier | None = None  # what waits for delivery, for /queue
        # polls, live broadcasts, contests added to a draft (handlers/vk/formats.py), by the app
        self.polls: Any = None
        self.broadcasts: Any = None
        self.contests: Any = None

    def now(self) -> datetime:
        return utcnow()

    async def say(self, turn: Turn, text: str, keyboard: str | None = None) -> int:
        turn.replies += 1
        return await send_message(
            self.api,
            peer_id=turn.peer_id,
            random_id=stable_random_id(self.group_id, turn.peer_id, turn.key, turn.replies),
            message=fit(text, TEXT_LIMIT),
            keyboard=keyboard,
        )

    async def show(self, turn: Turn, card: Card) -> int:
        """A card as the answer, with its photos when it has any (a draft's, after an edit),
        as the core's cards come (handlers/vk/render.py send_card)."""
        turn.replies += 1
        random_id = stable_random_id(self.group_id, turn.peer_id, turn.key, turn.replies)
        return await send_card(self.api, self.photos, turn.peer_id, card, random_id)

    async def answer(self, turn: Turn, snackbar: str = "") -> None:
        """Stop the button's spinner, with a short note over the chat if there is one."""
        if not turn.pressed or turn.answered:
            return
        turn.answered = True
        data = None
        if snackbar:
            data = json.dumps({"type": "show_snackbar", "text": snackbar[:SNACKBAR_LIMIT]})
        params = {"event_id": turn.event_id, "user_id": turn.peer_id, "peer_id": turn.peer_id}
        await call(self.api, "messages.sendMessageEventAnswer", {**params, "event_data": data})

    async def take_buttons_away(self, turn: Turn, text: str) -> None:
        """The pressed message keeps its text and loses its buttons, so they can't act twice."""
        await self.redraw(turn, text)

    async def redraw(self, turn: Turn, text: str, keyboard: str | None = None) -> bool:
        """The pressed message says `text` now, with `keyboard` (none: no buttons); False when
        VK refused the edit (a message too old to edit, 909), for the caller to send it anew."""
        if not turn.cmid or not text:
            return False
        params = {"message": fit(text, TEXT_LIMIT), "keyboard": keyboard or NO_BUTTONS}
        try:  # the message's photos, when it has any, go with it (an edit keeps only those)
            await self.photos.edit(turn.peer_id, params, cmid=turn.cmid)
        except VKAPIError as exc:
            log.info("message %s not redrawn: %s", turn.cmid, exc)
            return False
        return True

    async def full_name(self, user_id: int) -> str:
        users = await self.api.users.get(user_ids=[user_id])
        if not users:
            return ""
        return " ".join(x for x in (users[0].first_name, users[0].last_name) if x)

    async def download(self, url: str, limit: int) -> bytes | None:
        """A file from VK's servers; None if it is bigger than `limit` or can't be fetched."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        try:
            async with self._http.get(url) as response:
                response.raise_for_status()
                data = await response.content.read(limit + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not download a VK attachment: %s", exc)
            return None
        return data if len(data) <= limit else None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
