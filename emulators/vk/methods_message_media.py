"""Photos in a community's private messages, and what a message carries (dev.vk.com/en/api/
upload/photo-in-message; VK's schema: photos.getMessagesUploadServer, photos.saveMessagesPhoto,
messages.getById).

photos.getMessagesUploadServer (user or community token, `peer_id`) answers {album_id,
upload_url, user_id, group_id}; the file goes to upload_url as multipart field `photo` (the
wall's upload server answers the same way: {server, photo, hash}), which photos.saveMessagesPhoto
takes and answers [photo]; messages.send and messages.edit then attach
`photo<owner_id>_<id>[_<access_key>]` in `attachment`, at most 10 (dev.vk.com, messages.send).
messages.edit takes the whole message anew: its schema's keep_forward_messages / keep_snippets
say what is kept unless passed again, and attachments are not among them, so an edit keeps
only the attachments it passes.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from .context import Ctx, Handler

ATTACHMENT_LIMIT = 10  # a message carries up to 10 attachments
MESSAGES_ALBUM = -3  # "photos from messages"


def message_attachments(ctx: Ctx, raw: str | None) -> list[dict[str, Any]]:
    """messages.send's and messages.edit's `attachment` as the message will carry them."""
    from .methods_wall import ATTACHMENT_RE, media_object  # wall → media → misc → here

    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    if len(items) > ATTACHMENT_LIMIT:
        raise ctx.bad("attachment", f"too many attachments (at most {ATTACHMENT_LIMIT})")
    out: list[dict[str, Any]] = []
    for item in items:
        match = ATTACHMENT_RE.match(item)
        found = match and media_object(ctx, match[1], (int(match[2]), int(match[3])))
        if not match or not found:
            raise ctx.bad("attachment", f"{item}: no such attachment")
        out.append({"type": match[1], match[1]: dict(found)})
    return out


def photos_get_messages_upload_server(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    token = ctx.token
    group_id = token.group_id if token.kind == "group" else 0
    peer = p.get("peer_id") or 0
    if group_id and peer and peer not in ctx.state.allowed_messages[group_id]:
        raise ctx.fail(901)
    uid = token.user_id if token.kind == "user" else 0
    url = f"{ctx.base_url}/upload/wall?uid={uid}&gid={group_id}&to=messages"
    answer: dict[str, Any] = {"album_id": MESSAGES_ALBUM, "upload_url": url, "user_id": uid}
    if group_id:
        answer["group_id"] = group_id
    return answer


def photos_save_messages_photo(ctx: Ctx, p: dict[str, Any]) -> list[dict[str, Any]]:
    state, token = ctx.state, ctx.token
    try:
        key = json.loads(p["photo"])[0]["photo"]
        upload = state.uploads[key]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ctx.bad("photo") from None
    if p.get("hash") != upload["hash"]:
        raise ctx.fail(121)
    if token.kind == "group":
        mine = upload["gid"] == token.group_id
    else:
        mine = upload["uid"] == token.user_id
    if upload.get("to") != "messages" or not mine:
        raise ctx.bad("photo", "not uploaded for this token's messages")
    from .methods_wall import saved_photo  # wall → media → misc → here

    del state.uploads[key]
    owner_id = -upload["gid"] if upload["gid"] else upload["uid"]
    access_key = secrets.token_hex(9)
    return [
        saved_photo(ctx, owner_id, upload, album_id=MESSAGES_ALBUM, text="", access_key=access_key)
    ]


def messages_get_by_id(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """A community's messages by id, or by conversation_message_id within one peer."""
    if ctx.token.kind != "group":
        raise ctx.fail(100, "messages.* for user tokens is not implemented in emulator")
    msgs = ctx.state.messages[ctx.token.group_id]
    if p.get("cmids"):
        wanted = set(p["cmids"])
        found = [
            m
            for m in msgs.values()
            if m["peer_id"] == p.get("peer_id") and m["conversation_message_id"] in wanted
        ]
    else:
        found = [msgs[i] for i in p.get("message_ids") or [] if i in msgs]
    return {"count": len(found), "items": [dict(m) for m in found]}


HANDLERS: dict[str, Handler] = {
    "photos.getMessagesUploadServer": photos_get_messages_upload_server,
    "photos.saveMessagesPhoto": photos_save_messages_photo,
    "messages.getById": messages_get_by_id,
}
