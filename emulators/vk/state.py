"""What the fake VK holds: people, communities, tokens, walls, comments, photos, messages."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..common import Changes, clone

API_VERSION = "5.199"


@dataclass
class Token:
    kind: str  # "user", "group" or "service", as in the schema's access_token_type
    user_id: int = 0
    group_id: int = 0
    admin_of: set[int] = field(default_factory=set)
    # What the token was granted: a user token's scope bit mask (account.getAppPermissions),
    # a community token's rights by name (groups.getTokenPermissions).
    scope: int = 0
    rights: tuple[str, ...] = ()


@dataclass
class PostComments:
    """Comments of one post: top-level ids in order, and each thread's reply ids in order."""

    top: list[int] = field(default_factory=list)
    threads: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


class State(Changes):
    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.clock = clock
        self.users: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.tokens: dict[str, Token] = {}
        # Posts and comments of one wall share one id sequence, as on VK.
        self.wall_seq: dict[int, int] = defaultdict(int)
        self.posts: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        self.comment_index: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        self.post_comments: dict[tuple[int, int], PostComments] = defaultdict(PostComments)
        self.guids: dict[tuple[int, str], tuple[int, float]] = {}
        self.comment_guids: dict[tuple[int, int, str], dict[str, Any]] = {}  # wall.createComment
        self.photos: dict[tuple[int, int], dict[str, Any]] = {}
        self.photo_data: dict[tuple[int, int], bytes] = {}
        self.photo_seq: dict[int, int] = defaultdict(int)
        self.polls: dict[tuple[int, int], dict[str, Any]] = {}  # (owner_id, poll_id)
        self.poll_seq = 0
        self.uploads: dict[str, dict[str, Any]] = {}
        # videos and documents (emulators/vk/methods_media.py): objects, their bytes, uploads
        self.videos: dict[tuple[int, int], dict[str, Any]] = {}
        self.video_data: dict[tuple[int, int], bytes] = {}
        self.video_seq: dict[int, int] = defaultdict(int)
        self.video_uploads: dict[str, tuple[int, int]] = {}
        self.docs: dict[tuple[int, int], dict[str, Any]] = {}
        self.doc_data: dict[tuple[int, int], bytes] = {}
        self.doc_seq: dict[int, int] = defaultdict(int)
        self.doc_uploads: dict[str, dict[str, Any]] = {}
        self.bans: dict[int, list[int]] = defaultdict(list)
        self.members: dict[int, set[int]] = defaultdict(set)
        self.messages: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)  # group -> id
        self.message_seq: dict[int, int] = defaultdict(int)
        self.allowed_messages: dict[int, set[int]] = defaultdict(set)  # group -> users
        # group -> peer -> id of the newest incoming message the community has read
        self.in_read: dict[int, dict[int, int]] = defaultdict(dict)
        self.event_answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.random_ids: dict[tuple[int, int, int], tuple[int, float]] = {}
        self.lp_settings: dict[int, dict[str, Any]] = {}
        self.lp_keys: dict[int, str] = {}
        self.lp_events: dict[int, list[dict[str, Any]]] = defaultdict(list)

    def now(self) -> int:
        return int(self.clock())

    # -- long poll -----------------------------------------------------------------------
    def emit(self, group_id: int, type_: str, obj: dict[str, Any]) -> None:
        events = self.lp_events[group_id]
        events.append(
            {
                "type": type_,
                "object": clone(obj),
                "group_id": group_id,
                "event_id": secrets.token_hex(20),
                "v": API_VERSION,
            }
        )
        self.notify({"kind": "longpoll", "group_id": group_id, "type": type_})

    def lp_key(self, group_id: int) -> str:
        return self.lp_keys.setdefault(group_id, secrets.token_hex(20))

    # -- walls ---------------------------------------------------------------------------
    def next_wall_id(self, owner_id: int) -> int:
        self.wall_seq[owner_id] += 1
        return self.wall_seq[owner_id]

    def post(self, owner_id: int, post_id: int) -> dict[str, Any] | None:
        post = self.posts[owner_id].get(post_id)
        return None if post is None or post.get("is_deleted") else post

    def add_comment(
        self,
        owner_id: int,
        post_id: int,
        from_id: int,
        text: str,
        reply_to_comment: int | None = None,
        date: int | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        cid = self.next_wall_id(owner_id)
        comment: dict[str, Any] = {
            "id": cid,
            "from_id": from_id,
            "date": self.now() if date is None else date,
            "text": text,
            "post_id": post_id,
            "owner_id": owner_id,
            "parents_stack": [],
            "likes": {"count": 0, "user_likes": 0, "can_like": 1},
            "deleted": False,
        }
        bucket = self.post_comments[(owner_id, post_id)]
        if reply_to_comment:
            parent = self.comment_index[owner_id][reply_to_comment]
            # VK keeps threads one level deep: a reply to a reply joins the root's thread.
            root = parent["parents_stack"][0] if parent["parents_stack"] else parent["id"]
            comment["parents_stack"] = [root]
            comment["reply_to_comment"] = reply_to_comment
            comment["reply_to_user"] = parent["from_id"]
            bucket.threads[root].append(cid)
        else:
            bucket.top.append(cid)
        if attachments:
            comment["attachments"] = attachments
        self.comment_index[owner_id][cid] = comment
        post = self.posts[owner_id].get(post_id)
        if post is not None:
            post["comments"]["count"] += 1
        return comment

    def set_comment_deleted(self, comment: dict[str, Any], deleted: bool) -> None:
        if comment["deleted"] != deleted:
            comment["deleted"] = deleted
            post = self.posts[comment["owner_id"]].get(comment["post_id"])
            if post is not None:
                post["comments"]["count"] += -1 if deleted else 1

    def live_thread(self, owner_id: int, post_id: int, root: int | None) -> list[dict[str, Any]]:
        """Comments of one level (top level if root is None) that are not deleted, oldest first."""
        bucket = self.post_comments.get((owner_id, post_id))
        if bucket is None:
            return []
        ids = bucket.top if root is None else bucket.threads.get(root, [])
        index = self.comment_index[owner_id]
        return [c for c in (index[i] for i in ids) if not c["deleted"]]

    def live_count(self, owner_id: int, post_id: int) -> int:
        bucket = self.post_comments.get((owner_id, post_id))
        if bucket is None:
            return 0
        index = self.comment_index[owner_id]
        ids = [*bucket.top, *(i for thread in bucket.threads.values() for i in thread)]
        return sum(1 for i in ids if not index[i]["deleted"])

    def publish_due(self) -> None:
        """Postponed posts whose publish_date has come become ordinary posts (and wall_post_new)."""
        now = self.now()
        for owner_id, posts in self.posts.items():
            for post in posts.values():
                if post["post_type"] == "postpone" and post["date"] <= now:
                    post["post_type"] = "post"
                    self.notify({"kind": "post", "owner_id": owner_id, "post_id": post["id"]})
                    if owner_id < 0:
                        self.emit(-owner_id, "wall_post_new", public_post(post))


def public_post(post: dict[str, Any]) -> dict[str, Any]:
    return {k: clone(v) for k, v in post.items() if not k.startswith("_")}


def public_comment(comment: dict[str, Any]) -> dict[str, Any]:
    return {k: clone(v) for k, v in comment.items() if k != "deleted"}
