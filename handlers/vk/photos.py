"""A draft's photos on its card in the community's messages, as Telegram shows its album.

Each photo is uploaded to the editor's dialogue with vkbottle's PhotoMessageUploader
(photos.getMessagesUploadServer → the upload server → photos.saveMessagesPhoto, the API calls
paced by the community token's limiter, networks/vk_api.py) and attached to messages.send as
`photo<owner>_<id>_<access_key>`, at most 10 (VK's limit for one message). An upload is kept per
dialogue and file, in memory and in the database (storage/vk_photos.py), so a card sent again (a
kept card redelivered, also after a restart) does not upload again; uploads VK no longer takes
are forgotten (drop()), so the next card uploads them afresh. Every
edit of a message the desk sent goes through edit(), which passes messages.edit the photos the
message has, since an edit keeps only the attachments passed again: the core's redraw of a card
(by message id) and a pressed message's (by conversation message id, handlers/vk/chat.py). A
photo that could not be uploaded leaves the card to go without it, saying so (note()).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy.exc import SQLAlchemyError
from vkbottle import API, PhotoMessageUploader, VKAPIError

from bot.content import MediaItem
from bot.dates import utcnow
from bot.domain import MediaKind
from storage.uow import UnitOfWork

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
    def __init__(
        self,
        api: API,
        store: Callable[[], UnitOfWork] | None = None,
        clock: Callable[[], Any] = utcnow,
    ) -> None:
        self._api = api
        self._store = store  # where uploads outlive a restart (none: memory only)
        self._clock = clock
        self._uploader = PhotoMessageUploader(api)
        self._uploaded: OrderedDict[tuple[int, str], str] = OrderedDict()
        self._shown: OrderedDict[tuple[int, int], tuple[str, ...]] = OrderedDict()
        self._cmids: OrderedDict[tuple[int, int], int] = OrderedDict()  # → the message's id

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
        if (known := await self._stored(peer_id, item.path.name)) is not None:
            _keep(self._uploaded, key, known)
            return known
        try:
            uploaded = await self._uploader.upload(item.read(), peer_id=peer_id)
        except UPLOAD_FAILURES as exc:
            log.warning("photo %s not uploaded to VK dialogue %s: %r", item.filename, peer_id, exc)
            return None
        _keep(self._uploaded, key, uploaded)
        await self._keep_stored(peer_id, item.path.name, uploaded)
        return uploaded

    async def _stored(self, peer_id: int, sha256: str) -> str | None:
        if self._store is None:
            return None
        try:
            async with self._store() as uow:
                return await uow.vk_photos.get(peer_id, sha256)
        except SQLAlchemyError as exc:  # the database's trouble costs an upload, not the card
            log.warning("VK upload of %s not read from the database: %r", sha256, exc)
            return None

    async def _keep_stored(self, peer_id: int, sha256: str, attachment: str) -> None:
        if self._store is None:
            return
        try:
            async with self._store() as uow:
                await uow.vk_photos.put(peer_id, sha256, attachment, self._clock())
                await uow.commit()
        except SQLAlchemyError as exc:  # another instance's row, or the database away
            log.info("VK upload of %s not kept in the database: %r", sha256, exc)

    async def _may_have_photos(self, peer_id: int) -> bool:
        """A photo was uploaded to this dialogue (remembered or stored); unsure counts as yes."""
        if self._store is None or any(key[0] == peer_id for key in self._uploaded):
            return True
        try:
            async with self._store() as uow:
                return await uow.vk_photos.any_for(peer_id)
        except SQLAlchemyError as exc:
            log.info("VK uploads to %s not looked up: %r", peer_id, exc)
            return True

    async def drop(self, peer_id: int, attachments: Sequence[str]) -> None:
        """Uploads VK refused to attach (deleted since, or expired): the next card uploads anew."""
        for key in [k for k, v in self._uploaded.items() if k[0] == peer_id and v in attachments]:
            del self._uploaded[key]
        if self._store is None or not attachments:
            return
        try:
            async with self._store() as uow:
                await uow.vk_photos.drop(peer_id, attachments)
                await uow.commit()
        except SQLAlchemyError as exc:
            log.warning("VK uploads %s not dropped from the database: %r", attachments, exc)

    def remember(self, peer_id: int, message_id: int, attachments: tuple[str, ...]) -> None:
        _keep(self._shown, (peer_id, message_id), attachments)

    def forget(self) -> None:
        """Nothing uploaded or shown remembered in memory, as after a restart."""
        self._uploaded.clear()
        self._shown.clear()
        self._cmids.clear()

    async def edit(
        self, peer_id: int, params: dict[str, Any], *, message_id: int = 0, cmid: int = 0
    ) -> None:
        """messages.edit of one of the desk's messages (named by its id or, for a pressed one,
        by its conversation message id) with the photos it carries passed again. VK's refusal
        and the network's failures are the caller's."""
        photos = await self.of(peer_id, message_id=message_id, cmid=cmid)
        where = {"message_id": message_id} if message_id else {"cmid": cmid}  # 5.199's name
        edit = {"peer_id": peer_id, **where, **params, "attachment": ",".join(photos) or None}
        await self._api.request("messages.edit", {k: v for k, v in edit.items() if v is not None})

    async def of(self, peer_id: int, *, message_id: int = 0, cmid: int = 0) -> tuple[str, ...]:
        """The photos a message carries, for its edit: as sent, or read back from VK once when
        this process did not send it (sent before a restart, or by another instance) or knows it
        only by its conversation message id (a pressed message)."""
        message_id = message_id or self._cmids.get((peer_id, cmid), 0)
        if message_id and (peer_id, message_id) in self._shown:
            return self._shown[(peer_id, message_id)]
        if not message_id and not await self._may_have_photos(peer_id):
            return ()  # a reporter's or citizen's dialogue: no read for each press
        wanted = {"message_ids": message_id} if message_id else {"peer_id": peer_id, "cmids": cmid}
        try:
            answer = (await self._api.request("messages.getById", wanted))["response"]
            items = answer.get("items") or []
        except (VKAPIError, aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
            log.info("VK message %s not read back: %r", message_id or f"cmid {cmid}", exc)
            return ()
        found = tuple(
            reference(attachment)
            for item in items
            for attachment in item.get("attachments") or []
            if attachment.get("type") == "photo"
        )
        if items:  # remembered by its id, and by its conversation message id
            message_id = message_id or int(items[0].get("id") or 0)
        if message_id:
            _keep(self._shown, (peer_id, message_id), found)
            if cmid:
                _keep(self._cmids, (peer_id, cmid), message_id)
        return found


def _keep(memory: OrderedDict, key: Any, value: Any) -> None:
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > KEPT:
        memory.popitem(last=False)
