"""Cards from the core rendered as VK community messages, and the Notifier that sends them."""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from vkbottle import API, Callback, Keyboard, Text, VKAPIError

from bot.delivery import NotDelivered
from bot.domain import MediaKind, Network, Role
from bot.ports import Card, CardRef, Unreachable
from bot.reporting import MENU_ANNOUNCE, MENU_REPORT
from bot.textsize import TEXT_LIMIT, fit  # VK's 4,096 characters; UTF-16 units are never fewer
from handlers.vk.photos import PHOTO_LIMIT, Attached, CardPhotos, note
from storage.models import Person

log = logging.getLogger(__name__)

# An inline keyboard with no buttons: how messages.edit takes buttons away from a message.
NO_BUTTONS = Keyboard(inline=True).get_json()

ButtonSpec = tuple[str, dict[str, Any]]  # label and callback payload
# An inline keyboard is at most 5 buttons wide and 6 rows high, 10 buttons in all; a label is cut
# at 40 characters, a payload at 255 (https://dev.vk.com/api/bots/development/keyboard).
INLINE_WIDTH, INLINE_ROWS, INLINE_KEYS, LABEL_LIMIT = 5, 6, 10, 40


def stable_random_id(*parts: object) -> int:
    """VK drops a second messages.send with the same random_id to the same peer (for an hour):
    deriving it from what is being answered makes a repeated delivery or retry send nothing."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1  # 0 would mean "no check"


# 901: the person has not allowed the community's messages; 902: their privacy settings.
CLOSED = {901, 902}


async def call(api: API, method: str, params: dict[str, Any]) -> Any:
    """One messages.* call. Pacing and VK's "slow down" answers (6, 9, 10) are the API's
    business (networks.vk_api.RateLimitedAPI over networks.ratelimit)."""
    params = {k: v for k, v in params.items() if v is not None}
    return (await api.request(method, params))["response"]


async def send_message(api: API, **params: Any) -> int:
    """messages.send to one peer; its random_id makes the retries safe (VK keeps one copy)."""
    return int(await call(api, "messages.send", params))


def fit_rows(rows: Sequence[Sequence[ButtonSpec]]) -> list[list[ButtonSpec]]:
    """The core's rows within VK's inline grid: a row wider than 5 is split (the six networks
    of «Куда?»), and while there are more than 6 rows the two shortest neighbours share one.
    Past 10 buttons the rest are dropped, and logged: no core card has that many."""
    fitted = [
        list(row[i : i + INLINE_WIDTH]) for row in rows for i in range(0, len(row), INLINE_WIDTH)
    ]
    while len(fitted) > INLINE_ROWS:
        pairs = [(len(a) + len(b), i) for i, (a, b) in enumerate(itertools.pairwise(fitted))]
        width, at = min(pairs)
        if width > INLINE_WIDTH:
            break
        fitted[at : at + 2] = [fitted[at] + fitted[at + 1]]
    kept, count = [], 0
    for row in fitted[:INLINE_ROWS]:
        row = row[: INLINE_KEYS - count]
        count += len(row)
        if row:
            kept.append(row)
    if count < sum(len(row) for row in rows):
        log.warning("VK keyboard too big: %s buttons, %s kept", sum(map(len, rows)), count)
    return kept


def inline_keyboard(rows: Sequence[Sequence[ButtonSpec]]) -> str:
    """Callback buttons under a message: a press comes as message_event, not as text."""
    keyboard = Keyboard(inline=True)
    for row in fit_rows(rows):
        keyboard.row()
        for label, payload in row:
            keyboard.add(Callback(label[:LABEL_LIMIT], payload=payload))
    return keyboard.get_json()


# An editor's menu rows, as Telegram's editors' keyboard (handlers/telegram/common.py): the label
# and the payload's command (handlers/vk/lists.py answers them). Two a row, four rows in all: well
# within the menu keyboard's grid (10 rows, 4 wide at the least; vk-io's keyboard guide,
# https://negezor.github.io/vk-io/ru/guide/keyboard.html).
# «График публикаций» is the plan, as in Telegram's menu and the office's terms (UX.md); what is
# scheduled and what did not go out (/queue) is «Очередь».
# «Ссылка на график» is Telegram's /feed: the plan's secret link for a phone's calendar.
MENU_DRAFTS, MENU_QUEUE, MENU_COMMENTS, MENU_TICKETS, MENU_PLAN, MENU_FEED = (
    "Черновики",
    "Очередь",
    "Комментарии",
    "Обращения",
    "График публикаций",
    "Ссылка на график",
)
EDITOR_MENU = (
    ((MENU_DRAFTS, "drafts"), (MENU_QUEUE, "queue")),
    ((MENU_COMMENTS, "comments"), (MENU_TICKETS, "tickets")),
    ((MENU_PLAN, "plan"), (MENU_FEED, "feed")),
)


def menu_keyboard(person: Person | None = None) -> str:
    """The keyboard under the input field: a report, and an event announced ahead; an editor's
    also opens the lists (a reporter's stays as it was)."""
    keyboard = Keyboard().add(Text(MENU_REPORT, payload={"cmd": "report"}))
    keyboard.add(Text(MENU_ANNOUNCE, payload={"cmd": "announce"}))
    if person is not None and person.active and Role(person.role).can_edit():
        for row in EDITOR_MENU:
            keyboard.row()
            for label, name in row:
                keyboard.add(Text(label, payload={"cmd": name}))
    return keyboard.get_json()


def card_keyboard(card: Card) -> str | None:
    if not card.buttons:
        return None
    return inline_keyboard(
        [
            [(b.text, {"d": str(b.action), "r": b.ref, "a": b.arg}) for b in row]
            for row in card.buttons
        ]
    )


def with_note(text: str, note: str) -> str:
    """The card's text and, last, its line about the photos left out (never cut off)."""
    if not note:
        return fit(text, TEXT_LIMIT)
    return f"{fit(text, TEXT_LIMIT - len(note) - 2)}\n\n{note}"


async def send_card(api: API, photos: CardPhotos, peer_id: int, card: Card, random_id: int) -> int:
    """A card as a new message with its photos (uploaded to this dialogue once, remembered for
    its redraws); VK refusing the message with them sends it without, saying so. The core's
    cards (VKNotifier) and those a dialogue answers with (VKChat.show) alike."""
    keyboard = card_keyboard(card)
    attached = await photos.attach(peer_id, card.media) if card.media else Attached()
    params: dict[str, Any] = {
        "peer_id": peer_id,
        "random_id": random_id,
        "message": with_note(card.text, attached.note),
        "keyboard": keyboard,
        "attachment": ",".join(attached.attachments) or None,
    }
    try:
        message_id = await send_message(api, **params)
    except VKAPIError as exc:
        if exc.code in CLOSED or not attached.attachments:
            raise
        log.warning("VK card refused with its photos, sent without: %s", exc)
        await photos.drop(peer_id, attached.attachments)
        count = sum(1 for item in card.media if item.kind == MediaKind.photo)
        attached = Attached(note=note(min(count, PHOTO_LIMIT), count))
        params.update(message=with_note(card.text, attached.note), attachment=None)
        message_id = await send_message(api, **params)
    photos.remember(peer_id, message_id, attached.attachments)
    return message_id


class VKNotifier:
    """The core's cards for people who use the desk through the community's messages; a
    draft's photos come with its card (handlers/vk/photos.py)."""

    def __init__(self, api: API, group_id: int, photos: CardPhotos | None = None) -> None:
        self._api = api
        self._group_id = group_id
        self.photos = photos or CardPhotos(api)

    async def send(self, person: Person, card: Card) -> CardRef | None:
        if person.vk_id is None:
            return None
        try:
            message_id = await self._send(person.vk_id, card)
        except VKAPIError as exc:
            if exc.code in CLOSED:
                raise Unreachable(
                    Network.vk,
                    "сообщения от сообщества запрещены",
                    "Попросите разрешить сообщения от сообщества",
                    str(exc),
                ) from exc
            raise NotDelivered("vk", "ВКонтакте не принял сообщение", str(exc)) from exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:  # ValueError: not JSON
            raise NotDelivered("vk", "ВКонтакте не отвечает", repr(exc)) from exc
        return CardRef(f"vk:{person.vk_id}", message_id)

    async def _send(self, peer_id: int, card: Card) -> int:
        keyboard = card_keyboard(card)
        random_id = stable_random_id("card", self._group_id, peer_id, card.text, keyboard)
        return await send_card(self._api, self.photos, peer_id, card, random_id)

    async def edit(self, ref: CardRef, card: Card) -> None:
        kind, _, peer = ref.chat.partition(":")
        if kind != "vk":
            return
        try:
            keyboard = card_keyboard(card) or NO_BUTTONS
            params = {"message": fit(card.text, TEXT_LIMIT), "keyboard": keyboard}
            await self.photos.edit(int(peer), params, message_id=ref.message_id)
        except VKAPIError as exc:
            log.info("VK card %s not updated: %s", ref, exc)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise NotDelivered("vk", "ВКонтакте не отвечает", repr(exc)) from exc
