"""VKEmulator: a local VK API 5.199 (methods, uploads, Bots Long Poll) driven by VK's schema."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal

from aiohttp import web
from aiohttp.log import access_logger

from ..common import Served, WatchesState
from . import callback, control, longpoll, methods_media
from .context import registry
from .methods_comments import announce_comment
from .methods_misc import GROUP_RIGHTS, USER_SCOPE, new_message
from .schema import Schema
from .server import Dispatcher, Fault, image_size
from .state import State, Token, public_comment, public_post

_SCHEMA: Schema | None = None


def _schema() -> Schema:
    # Loading 60 methods.json files takes a moment; every emulator in a process shares them.
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = Schema()
    return _SCHEMA


class VKEmulator(WatchesState, Served):
    access_log = access_logger

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.schema = _schema()
        self.state = State(clock)
        self.handlers = registry()
        self.user_rps = 3  # VK's limit per user token per second
        self.group_rps = 20  # VK's limit per community token per second
        self.fault_timeout = 30.0  # how long an injected "timeout" holds a request
        # Seconds a method's answer is held after it took effect: a slow VK, so a crash can fall
        # between the post and its answer.
        self.answer_delays: dict[str, float] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, dict]] = []
        self.inner_requests: list[tuple[str, dict]] = []  # calls made inside execute
        self.lp_history_start: dict[int, int] = {}
        self.dispatcher = Dispatcher(self)
        self.app = web.Application(client_max_size=210 * 1024 * 1024)  # VK's documents: 200 MB
        self.app.add_routes(
            [
                web.route("*", "/method/{name}", self.dispatcher.handle_method),
                web.post("/upload/wall", self.dispatcher.handle_upload),
                *methods_media.upload_routes(self),
                web.route("*", "/longpoll/{group_id}", self._longpoll),
                *control.routes(self),
            ]
        )

    async def _longpoll(self, request: web.Request) -> web.StreamResponse:
        return await longpoll.handle_check(self, request)

    # -- lifecycle -------------------------------------------------------------------------
    async def _wind_down(self) -> None:
        self.state.notify({"kind": "stopping"})
        await callback.stop_all(self.state)

    # -- people, communities, tokens -------------------------------------------------------
    def add_group(self, group_id: int, name: str, screen_name: str | None = None) -> dict:
        group = {
            "id": group_id,
            "name": name,
            "screen_name": screen_name or f"club{group_id}",
            "is_closed": 0,
            "type": "page",
            "photo_50": "",
            "photo_100": "",
            "photo_200": "",
        }
        self.state.groups[group_id] = group
        return dict(group)

    def add_user(self, user_id: int, first_name: str, last_name: str) -> dict:
        user = {
            "id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "screen_name": f"id{user_id}",
            "can_access_closed": True,
            "is_closed": False,
        }
        self.state.users[user_id] = user
        return dict(user)

    def issue_user_token(
        self, user_id: int, admin_of: Iterable[int] = (), scope: int = USER_SCOPE
    ) -> str:
        token = "vk1.a." + secrets.token_urlsafe(48)
        self.state.tokens[token] = Token(
            "user", user_id=user_id, admin_of=set(admin_of), scope=scope
        )
        for group_id in admin_of:
            self.state.members[group_id].add(user_id)
        return token

    def issue_group_token(self, group_id: int, rights: Iterable[str] = GROUP_RIGHTS) -> str:
        token = "vk1.a." + secrets.token_urlsafe(64)
        self.state.tokens[token] = Token("group", group_id=group_id, rights=tuple(rights))
        return token

    def revoke_token(self, token: str) -> None:
        """The token stops working (expired, or revoked by its owner): VK answers error 5."""
        self.state.tokens.pop(token, None)

    def set_group_facts(self, group_id: int, **facts: Any) -> None:
        """members_count, verified and other fields groups.getById returns when asked."""
        self.state.groups[group_id].update(facts)

    def issue_service_token(self) -> str:
        token = secrets.token_hex(36)
        self.state.tokens[token] = Token("service")
        return token

    def add_member(self, group_id: int, user_id: int) -> None:
        self.state.members[group_id].add(user_id)

    def allow_messages(self, user_id: int, group_id: int) -> None:
        """The user allowed the community to message them (VK error 901 otherwise)."""
        self.state.allowed_messages[group_id].add(user_id)

    def deny_messages(self, user_id: int, group_id: int) -> None:
        """The user forbade the community's messages: messages.send answers 901 again."""
        self.state.allowed_messages[group_id].discard(user_id)

    # -- citizens and people ---------------------------------------------------------------
    def post_comment(
        self,
        owner_id: int,
        post_id: int,
        from_id: int,
        text: str,
        reply_to_comment: int | None = None,
        date: int | None = None,
        emit: bool = True,
    ) -> dict:
        if owner_id not in self.state.posts or post_id not in self.state.posts[owner_id]:
            raise KeyError(f"no post {owner_id}_{post_id}")
        if owner_id < 0 and from_id in self.state.bans.get(-owner_id, []):
            # As on VK: a community's blacklist keeps its members from commenting on its wall.
            raise PermissionError(f"автор {from_id} в чёрном списке сообщества {-owner_id}")
        comment = self.state.add_comment(owner_id, post_id, from_id, text, reply_to_comment, date)
        if emit:
            announce_comment(self.state, comment, "wall_reply_new")
        return dict(comment)

    def edit_comment(self, owner_id: int, comment_id: int, text: str) -> dict:
        comment = self.state.comment_index[owner_id][comment_id]
        comment["text"] = text
        announce_comment(self.state, comment, "wall_reply_edit")
        return dict(comment)

    def user_sends_message(
        self,
        user_id: int,
        group_id: int,
        text: str,
        payload: dict | None = None,
        photos: Iterable[bytes] = (),
        attachments: Iterable[dict] = (),
    ) -> dict:
        """A person writes to the community: text, photos (stored and served like VK's, under
        /_emu/photos/), and any other ready-made attachment objects (a sticker, an audio...)."""
        self.allow_messages(user_id, group_id)
        msg = new_message(self.state, group_id, user_id, user_id, text, out=0)
        if payload is not None:
            msg["payload"] = json.dumps(payload, ensure_ascii=False)
        msg["attachments"] = [
            *({"type": "photo", "photo": self._message_photo(user_id, data)} for data in photos),
            *attachments,
        ]
        self.state.notify({"kind": "message", "group_id": group_id, "peer_id": user_id})
        client_info = {
            "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback"],
            "keyboard": True,
            "inline_keyboard": True,
            "carousel": True,
            "lang_id": 0,
        }
        self.state.emit(group_id, "message_new", {"message": msg, "client_info": client_info})
        return dict(msg)

    def _message_photo(self, owner_id: int, data: bytes) -> dict:
        """A photo as VK 5.199 puts it in a message: several sizes, the biggest last."""
        state = self.state
        state.photo_seq[owner_id] += 1
        photo_id = state.photo_seq[owner_id]
        url = f"{self.base_url}/_emu/photos/{owner_id}_{photo_id}"
        width, height = image_size(data)
        small = max(1, min(width, 130) * height // max(width, 1))
        photo = {
            "id": photo_id,
            "owner_id": owner_id,
            "album_id": -3,  # "photos from messages"
            "date": state.now(),
            "text": "",
            "access_key": secrets.token_hex(9),
            "has_tags": False,
            "sizes": [
                {"type": "m", "url": f"{url}?size=m", "width": min(width, 130), "height": small},
                {"type": "w", "url": url, "width": width, "height": height},
            ],
        }
        state.photos[(owner_id, photo_id)] = photo
        state.photo_data[(owner_id, photo_id)] = data
        return dict(photo)

    def message_video(self, owner_id: int, data: bytes, with_files: bool = True) -> dict:
        """A video as a message attachment ({"type": "video", "video": ...}). VK's video object
        may carry `files` (mp4_* links, video_video_files in the schema); whether a community's
        messages get them is not confirmed, so a test chooses (`with_files=False`: only the
        player, as VK gives third-party apps for many videos)."""
        state = self.state
        state.video_seq[owner_id] += 1
        video_id = state.video_seq[owner_id]
        video = {
            "id": video_id,
            "owner_id": owner_id,
            "title": f"Видео {video_id}",
            "duration": 1,
            "date": state.now(),
            "access_key": secrets.token_hex(9),
            "player": f"https://vk.com/video_ext.php?oid={owner_id}&id={video_id}",
            "_uploaded": True,
        }
        if with_files:
            video["files"] = {"mp4_720": f"{self.base_url}/_emu/videos/{owner_id}_{video_id}"}
        state.videos[(owner_id, video_id)] = video
        state.video_data[(owner_id, video_id)] = data
        return {"type": "video", "video": methods_media.public_video(video)}

    def message_doc(self, owner_id: int, data: bytes, filename: str) -> dict:
        """A file attached to a message ({"type": "doc", "doc": ...}), served at its `url`."""
        state = self.state
        state.doc_seq[owner_id] += 1
        doc_id = state.doc_seq[owner_id]
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        doc = {
            "id": doc_id,
            "owner_id": owner_id,
            "title": filename,
            "size": len(data),
            "ext": ext,
            "url": f"{self.base_url}/_emu/docs/{owner_id}_{doc_id}",
            "date": state.now(),
            "type": methods_media.DOC_TYPES.get(ext, 8),
            "access_key": secrets.token_hex(9),
        }
        state.docs[(owner_id, doc_id)] = doc
        state.doc_data[(owner_id, doc_id)] = data
        return {"type": "doc", "doc": dict(doc)}

    def user_presses_button(
        self, user_id: int, group_id: int, payload: dict, conversation_message_id: int
    ) -> dict:
        """A callback button press: message_event to the community's long poll."""
        event = {
            "user_id": user_id,
            "peer_id": user_id,
            "event_id": secrets.token_hex(6),
            "payload": payload,
            "conversation_message_id": conversation_message_id,
        }
        self.state.emit(group_id, "message_event", event)
        return event

    def event_answers(self, group_id: int) -> list[dict]:
        return list(self.state.event_answers[group_id])

    # -- what is there to see --------------------------------------------------------------
    def wall_posts(self, owner_id: int) -> list[dict]:
        self.state.publish_due()
        posts = self.state.posts.get(owner_id, {}).values()
        return [public_post(p) for p in posts if not p.get("is_deleted")]

    def polls(self, owner_id: int) -> list[dict]:
        """The polls created on a wall (polls.create), as they are now."""
        return [dict(p) for (owner, _), p in self.state.polls.items() if owner == owner_id]

    def vote(self, owner_id: int, poll_id: int, counts: list[int]) -> None:
        poll = self.state.polls[(owner_id, poll_id)]
        for answer, count in zip(poll["answers"], counts, strict=True):
            answer["votes"] = count
        total = sum(counts)
        for answer in poll["answers"]:
            answer["rate"] = round(100 * answer["votes"] / total, 2) if total else 0
        poll["votes"] = total
        self.state.notify({"kind": "vote", "owner_id": owner_id, "id": poll_id})

    def cast_vote(self, owner_id: int, poll_id: int, index: int) -> dict:
        """One more person chose answer `index` (the sandbox's citizen votes)."""
        poll = self.state.polls[(owner_id, poll_id)]
        counts = [a["votes"] for a in poll["answers"]]
        counts[index] += 1
        self.vote(owner_id, poll_id, counts)
        return dict(poll)

    def photo_bytes(self, owner_id: int, photo_id: int) -> bytes:
        return self.state.photo_data[(owner_id, photo_id)]

    def video_bytes(self, owner_id: int, video_id: int) -> bytes:
        return self.state.video_data[(owner_id, video_id)]

    def doc_bytes(self, owner_id: int, doc_id: int) -> bytes:
        return self.state.doc_data[(owner_id, doc_id)]

    def comments(self, owner_id: int, post_id: int, include_deleted: bool = False) -> list[dict]:
        bucket = self.state.post_comments.get((owner_id, post_id))
        if bucket is None:
            return []
        ids = sorted([*bucket.top, *(i for t in bucket.threads.values() for i in t)])
        index = self.state.comment_index[owner_id]
        found = [index[i] for i in ids if include_deleted or not index[i]["deleted"]]
        return [{**public_comment(c), "deleted": c["deleted"]} for c in found]

    def banned(self, group_id: int) -> list[int]:
        return list(self.state.bans.get(group_id, []))

    def sent_messages(self, peer_id: int) -> list[dict]:
        return [
            dict(m)
            for msgs in self.state.messages.values()
            for m in msgs.values()
            if m["peer_id"] == peer_id and m["out"]
        ]

    def dialogue(self, peer_id: int) -> list[dict]:
        """Both sides of the conversations with one person, oldest first."""
        return sorted(
            (
                dict(m)
                for msgs in self.state.messages.values()
                for m in msgs.values()
                if m["peer_id"] == peer_id
            ),
            key=lambda m: (m["date"], m["id"]),
        )

    # -- faults and waiting ----------------------------------------------------------------
    def inject_fault(
        self,
        method: str,
        kind: Literal["timeout", "500", "error", "lost_response"],
        count: int = 1,
        error_code: int = 10,
    ) -> None:
        """Next `count` calls of `method` ("*" = any API method, "longpoll" = a_check) fail."""
        self.faults.append(Fault(method, kind, count, error_code))

    def expire_longpoll_key(self, group_id: int) -> None:
        """The long poll key stops working (a_check answers failed 2)."""
        self.state.lp_keys[group_id] = secrets.token_hex(20)
        self.state.notify({"kind": "longpoll_key", "group_id": group_id})

    def lose_longpoll_history(self, group_id: int) -> None:
        """VK drops the events so far: a_check at an older ts answers failed 1 (the events in
        between never come), as after a long outage or an overload on VK's side."""
        self.lp_history_start[group_id] = len(self.state.lp_events[group_id])
        self.state.notify({"kind": "longpoll_history", "group_id": group_id})
