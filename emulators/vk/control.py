"""The /_emu/ control API for a web page: walls with comments, posting as a citizen, photos, SSE."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from aiohttp import BodyPartReader, web

from .server import image_type

if TYPE_CHECKING:
    from .emulator import VKEmulator


def routes(emu: VKEmulator) -> list[web.RouteDef]:
    async def walls(request: web.Request) -> web.Response:
        owner_id = int(request.match_info["owner_id"])
        posts = []
        for post in emu.wall_posts(owner_id):
            post["comments_list"] = emu.comments(owner_id, post["id"], include_deleted=True)
            for item in post.get("attachments", []):  # a poll as it is now, with its votes
                if item.get("type") == "poll":
                    ref = (item["poll"]["owner_id"], item["poll"]["id"])
                    item["poll"] = dict(emu.state.polls.get(ref, item["poll"]))
            posts.append(post)
        return web.json_response({"owner_id": owner_id, "posts": posts})

    async def vote(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            poll = emu.cast_vote(
                int(request.match_info["owner_id"]),
                int(request.match_info["poll_id"]),
                int(body["option"]),
            )
        except (KeyError, IndexError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(poll)

    async def add_comment(request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        try:
            reply_to = body.get("reply_to_comment")
            comment = emu.post_comment(
                int(request.match_info["owner_id"]),
                int(request.match_info["post_id"]),
                int(body["from_id"]),
                str(body["text"]),
                reply_to_comment=int(reply_to) if reply_to else None,
            )
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except PermissionError:
            refusal = "автор в чёрном списке сообщества: ВКонтакте не даёт ему комментировать"
            return web.json_response({"error": refusal}, status=403)
        return web.json_response(comment)

    async def send_message(request: web.Request) -> web.Response:
        """A person writes to the community: JSON (text and an optional button payload), or a
        multipart form with the same fields (payload as JSON text) and files: a part named
        "video" comes as a VK video, "doc" as a file, any other as a photo."""
        photos: list[bytes] = []
        attachments: list[tuple[str, bytes, str]] = []
        if request.content_type == "multipart/form-data":
            body: dict = {}
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename and part.name == "video":
                    data = bytes(await part.read())
                    attachments.append(("video", data, part.filename))
                elif part.filename and part.name == "doc":
                    attachments.append(("doc", bytes(await part.read()), part.filename))
                elif part.filename:
                    photos.append(bytes(await part.read()))
                else:
                    body[part.name] = await part.text()
            if body.get("payload"):
                body["payload"] = json.loads(body["payload"])
        else:
            body = await request.json()
        try:
            sender = int(body["from_id"])
            message = emu.user_sends_message(
                sender,
                int(request.match_info["group_id"]),
                str(body.get("text") or ""),
                payload=body.get("payload"),
                photos=photos,
                attachments=[
                    emu.message_video(sender, data)
                    if kind == "video"
                    else emu.message_doc(sender, data, name)
                    for kind, data, name in attachments
                ],
            )
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(message)

    async def press(request: web.Request) -> web.Response:
        """A person presses a callback button under a message: message_event to the long poll."""
        body = await request.json()
        try:
            payload = body["payload"]
            event = emu.user_presses_button(
                int(body["user_id"]),
                int(request.match_info["group_id"]),
                json.loads(payload) if isinstance(payload, str) else dict(payload),
                int(body["conversation_message_id"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(event)

    async def dialogue(request: web.Request) -> web.Response:
        """What the community wrote to one person, oldest first; with ?both=1 the person's own
        messages too, as their VK app shows the conversation."""
        peer_id = int(request.match_info["peer_id"])
        if request.query.get("both"):
            return web.json_response({"peer_id": peer_id, "messages": emu.dialogue(peer_id)})
        return web.json_response({"peer_id": peer_id, "messages": emu.sent_messages(peer_id)})

    async def photo(request: web.Request) -> web.Response:
        owner_id, _, photo_id = request.match_info["ref"].partition("_")
        try:
            data = emu.photo_bytes(int(owner_id), int(photo_id))
        except (KeyError, ValueError):
            raise web.HTTPNotFound() from None
        return web.Response(body=data, content_type=image_type(data))

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue = emu.subscribe()
        try:
            while not emu.stopping.is_set():
                try:
                    change = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")  # keeps proxies from closing it
                    continue
                if change is None:
                    break
                await response.write(f"data: {json.dumps(change)}\n\n".encode())
        except ConnectionResetError:  # the page went away
            pass
        finally:
            emu.unsubscribe(queue)
        return response

    return [
        web.get("/_emu/walls/{owner_id}", walls),
        web.post("/_emu/walls/{owner_id}/{post_id}/comments", add_comment),
        web.post("/_emu/polls/{owner_id}/{poll_id}/vote", vote),
        web.get("/_emu/photos/{ref}", photo),
        web.post("/_emu/messages/{group_id}", send_message),
        web.post("/_emu/messages/{group_id}/press", press),
        web.get("/_emu/messages/{peer_id}", dialogue),
        web.get("/_emu/events", events),
    ]
