"""A draft's photos on its card in the community's messages, as Telegram shows its album.

Each photo is uploaded to the editor's dialogue with vkbottle's PhotoMessageUploader
(photos.getMessagesUploadServer → the upload server → photos.saveMessagesPhoto, the API calls
paced by the community token's limiter, networks/vk_api.py) and attached to messages.send as
`photo<owner>_<id>_<access_key>`, at most 10 (VK's limit for one message). An upload is kept per
dialogue and file, so a card sent again (a kept card redelivered) does not upload again; a
redrawn card gives messages.edit the attachments its message has, since an edit keeps only the
attachments passed again. A photo that could not be uploaded leaves the card to go without it,
saying so (note()).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from vkbottle import API, PhotoMessageUploader, VKAPIError

from bot.content import MediaItem
from bot.domain import MediaKind

log = logging.getLogger(__name__)

PHOTO_LIMIT = 10  # attachments in one VK message
KEPT = 2000  # uploads and shown messages remembered (oldest forgotten first)
# What an upload may fail with: VK's refusal, the network, an answer that is not JSON or lacks
# a field, the stored file gone.
UPLOAD_FAILURES = (VKAPIError, aiohttp.ClientError, TimeoutError, ValueError, KeyError, OSError)
UPLOAD_FAILURES += (IndexError, TypeError)


@dataclass(frozen=True)
class Attached:
    """What a card's message carries, and the card's line about the photos left out."""

    attachments: tuple[str, ...] = ()
    note: str = ""


def note(failed: int, total: int) -> str:
    """The card's line about photos it does not show ("" when it shows them all)."""
    lines = []
    if failed:
        lines.append(
            f"Фото не удалось приложить: {failed} из {total} (ВКонтакте не принял загрузку)."
        )
    if total > PHOTO_LIMIT:
        lines.append(f"Приложены первые {PHOTO_LIMIT} фото из {total}.")
    if not lines:
        return ""
    return " ".join(lines) + " В черновике все фото сохранены и уйдут в публикацию."


def reference(attachment: dict[str, Any]) -> str:
    """A message's photo as messages.send names it."""
    photo = attachment["photo"]
    key = f"_{photo['access_key']}" if photo.get("access_key") else ""
    return f"photo{photo['owner_id']}_{photo['id']}{key}"


class CardPhotos:
    def __init__(self, api: API) -> None:
        self._api = api
        self._uploader = PhotoMessageUploader(api)
        self._uploaded: OrderedDict[tuple[int, str], str] = OrderedDict()
        self._shown: OrderedDict[tuple[int, int], tuple[str, ...]] = OrderedDict()

    async def attach(self, peer_id: int, media: Sequence[MediaItem]) -> Attached:
        """The card's photos uploaded for this dialogue (each once), and what is left out."""
        photos = [item for item in media if item.kind == MediaKind.photo]
        attachments: list[str] = []
        for item in photos[:PHOTO_LIMIT]:
            if (uploaded := await self._upload(peer_id, item)) is not None:
                attachments.append(uploaded)
        failed = min(len(photos), PHOTO_LIMIT) - len(attachments)
        return Attached(tuple(attachments), note(failed, len(photos)))

    async def _upload(self, peer_id: int, item: MediaItem) -> str | None:
        key = (peer_id, item.path.name)  # the stored file's name is its SHA-256
        if (known := self._uploaded.get(key)) is not None:
            self._uploaded.move_to_end(key)
            return known
        try:
            uploaded = await self._uploader.upload(item.read(), peer_id=peer_id)
        except UPLOAD_FAILURES as exc:
            log.warning("photo %s not uploaded to VK dialogue %s: %r", item.filename, peer_id, exc)
            return None
        _keep(self._uploaded, key, uploaded)
        return uploaded

    def remember(self, peer_id: int, message_id: int, attachments: tuple[str, ...]) -> None:
        _keep(self._shown, (peer_id, message_id), attachments)

    async def of(self, peer_id: int, message_id: int) -> tuple[str, ...]:
        """The photos a message carries, for its edit: as sent, or read back from VK when this
        process did not send it (sent before a restart, or by another instance)."""
        key = (peer_id, message_id)
        if key in self._shown:
            return self._shown[key]
        try:
            read = await self._api.request("messages.getById", {"message_ids": message_id})
            answer = read["response"]
        except (VKAPIError, aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
            log.info("VK message %s not read back: %r", message_id, exc)
            return ()
        found = tuple(
            reference(attachment)
            for item in answer.get("items") or []
            for attachment in item.get("attachments") or []
            if attachment.get("type") == "photo"
        )
        _keep(self._shown, key, found)
        return found


def _keep(memory: OrderedDict, key: Any, value: Any) -> None:
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > KEPT:
        memory.popitem(last=False)
