"""Graph nodes and edges the emulator answers, with the checks Graph makes on them.

Shapes follow Meta's references: Page /feed, /photos, /videos; Post and Comment nodes with
`is_hidden`; IG User /media, /media_publish, /content_publishing_limit; IG Container
`status_code`; IG Media /comments and IG Comment /replies with `hide`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .state import GraphFail, missing, no_object

if TYPE_CHECKING:
    from .emulator import GraphEmulator

FIELDS = {
    "page": {
        "id",
        "name",
        "instagram_business_account",
        "link",
        "followers_count",
        "fan_count",
        "verification_status",
    },
    "ig_user": {"id", "username", "name", "followers_count"},
    "post": {"id", "message", "created_time", "permalink_url", "attachments", "from"},
    "photo": {"id", "name", "created_time", "link", "post_id"},
    "video": {"id", "description", "permalink_url", "created_time"},
    "comment": {
        "id",
        "message",
        "from",
        "created_time",
        "permalink_url",
        "is_hidden",
        "can_hide",
        "parent",
        "object",
    },
    "container": {"id", "status_code", "status"},
    "ig_media": {
        "id",
        "caption",
        "media_type",
        "permalink",
        "timestamp",
        "comments_count",
        "children",
        "username",
    },
    "ig_comment": {"id", "text", "timestamp", "username", "from", "hidden", "media", "like_count"},
}
TITLES = {
    "page": "Page",
    "ig_user": "User",
    "post": "Post",
    "photo": "Photo",
    "video": "Video",
    "comment": "Comment",
    "container": "ShadowIGMediaBuilder",
    "ig_media": "ShadowIGMedia",
    "ig_comment": "IGComment",
}
CAROUSEL_MAX = 10


def split_fields(spec: str) -> list[str]:
    """Top-level field names of "a,b{c,d},e.limit(5)"."""
    names, depth, current = [], 0, ""
    for char in spec:
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [n.split("{")[0].split(".")[0].strip() for n in names if n.strip()]


def flag(value: str | None) -> bool:
    return str(value).lower() in ("true", "1")


class Nodes:
    def __init__(self, emu: GraphEmulator) -> None:
        self.emu = emu
        self.state = emu.state

    # ---- reading ------------------------------------------------------------------------------
    def view(self, obj: dict[str, Any], spec: str | None) -> dict[str, Any]:
        kind = obj["type"]
        wanted = split_fields(spec) if spec else ["id"]
        out: dict[str, Any] = {}
        for name in wanted:
            if name not in FIELDS[kind]:
                raise GraphFail(
                    100,
                    f"(#100) Tried accessing nonexisting field ({name}) on node type "
                    f"({TITLES[kind]})",
                )
            value = self._field(obj, name)
            if value is not None:
                out[name] = value
        out.setdefault("id", obj["id"])
        return out

    def _field(self, obj: dict[str, Any], name: str) -> Any:
        if name == "instagram_business_account":
            return {"id": obj["ig_user_id"]} if obj.get("ig_user_id") else None
        if name == "attachments":
            return {"data": [{"target": {"id": p}} for p in obj.get("photos", [])]}
        if name == "parent":
            parent = self.state.objects.get(obj.get("parent_id", ""))
            return {"id": parent["id"]} if parent and parent["type"] == obj["type"] else None
        if name == "object":
            return {"id": obj["post_id"]}
        if name == "media":
            media = self.state.objects[obj["media_id"]]
            return {"id": media["id"], "permalink": media["permalink"]}
        if name == "comments_count":
            return len([c for c in self.state.comments_of(obj["id"])])
        if name == "children":
            return {"data": [{"id": c} for c in obj.get("children_media", [])]}
        if name == "can_hide":
            return True
        return obj.get(name)

    def listing(self, items: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        limit = min(int(params.get("limit") or 25), 100)
        start = int(params.get("after") or 0)
        chunk = items[start : start + limit]
        out: dict[str, Any] = {"data": [self.view(o, params.get("fields")) for o in chunk]}
        if chunk:
            out["paging"] = {"cursors": {"before": str(start), "after": str(start + len(chunk))}}
            if start + len(chunk) < len(items):
                out["paging"]["next"] = f"{self.emu.base_url}/next?after={start + len(chunk)}"
        return out

    def edge_get(self, obj: dict[str, Any], edge: str, params: dict[str, str]) -> dict[str, Any]:
        kind = obj["type"]
        if kind == "page" and edge in ("feed", "published_posts", "posts"):
            posts = self.state.of_type("post", obj["id"])
            if params.get("since"):
                posts = [p for p in posts if p["created"] >= float(params["since"])]
            return self.listing(posts, params)
        if kind in ("post", "comment", "photo") and edge == "comments":
            comments = self.state.comments_of(obj["id"])
            if kind == "post" and params.get("filter") == "stream":
                comments = sorted(
                    (
                        c
                        for c in self.state.objects.values()
                        if c["type"] == "comment"
                        and c["post_id"] == obj["id"]
                        and not c.get("deleted")
                    ),
                    key=lambda c: c["seq"],
                )
            return self.listing(comments, params)
        if kind == "ig_user" and edge == "media":
            return self.listing(self.state.of_type("ig_media", obj["id"]), params)
        if kind == "ig_user" and edge == "content_publishing_limit":
            used = self.emu.published_in_window(obj["id"])
            row: dict[str, Any] = {"quota_usage": used}
            if "config" in (params.get("fields") or ""):
                row["config"] = {"quota_total": self.emu.quota_total, "quota_duration": 86400}
            return {"data": [row]}
        if kind == "ig_media" and edge == "comments":
            return self.listing(self.state.comments_of(obj["id"]), params)
        if kind == "ig_comment" and edge == "replies":
            return self.listing(self.state.comments_of(obj["id"]), params)
        raise unknown_edge(obj, edge)

    # ---- writing ------------------------------------------------------------------------------
    def edge_post(
        self,
        obj: dict[str, Any],
        edge: str,
        params: dict[str, str],
        files: dict[str, bytes],
    ) -> dict[str, Any]:
        kind = obj["type"]
        if kind == "page" and edge == "feed":
            return self._feed(obj, params)
        if kind == "page" and edge == "photos":
            return self._photo(obj, params, files)
        if kind == "page" and edge == "videos":
            return self._video(obj, params, files)
        if kind == "ig_user" and edge == "media":
            return self._container(obj, params)
        if kind == "ig_user" and edge == "media_publish":
            return self._media_publish(obj, params)
        raise unknown_edge(obj, edge)

    def node_post(self, obj: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        if obj["type"] == "comment" and "is_hidden" in params:
            obj["is_hidden"] = flag(params["is_hidden"])
        elif obj["type"] == "ig_comment" and "hide" in params:
            obj["hidden"] = flag(params["hide"])
        else:
            raise GraphFail(100, "(#100) No fields to update were given")
        self.state.notify({"kind": "comment_hidden", "id": obj["id"]})
        return {"success": True}

    def node_delete(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj["type"] not in ("comment", "ig_comment", "post", "ig_media"):
            raise GraphFail(100, f"(#100) Cannot delete a {TITLES[obj['type']]}")
        obj["deleted"] = True
        self.state.notify({"kind": "deleted", "id": obj["id"]})
        return {"success": True}

    def new_post(self, page: dict[str, Any], message: str, photos: list[str]) -> dict[str, Any]:
        number = self.state.new_id()
        post_id = f"{page['id']}_{number}"
        post = self.state.add(
            {
                "id": post_id,
                "type": "post",
                "owner": page["id"],
                "message": message,
                "photos": photos,
                "created": self.state.clock(),
                "created_time": self.state.stamp(),
                "permalink_url": f"https://www.facebook.com/{page['id']}/posts/{number}",
                "from": {"id": page["id"], "name": page["name"]},
            }
        )
        for photo in photos:
            self.state.objects[photo]["post_id"] = post_id
        self.state.notify({"kind": "post", "page_id": page["id"], "id": post_id})
        return post

    def _feed(self, page: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        photos = []
        for key in sorted(k for k in params if k.startswith("attached_media[")):
            try:
                fbid = str(json.loads(params[key])["media_fbid"])
            except (ValueError, KeyError, TypeError):
                raise GraphFail(100, f"(#100) Invalid parameter {key}") from None
            photo = self.state.objects.get(fbid)
            if photo is None or photo["type"] != "photo" or photo["owner"] != page["id"]:
                raise GraphFail(100, f"(#100) media_fbid {fbid} is not a photo of this Page")
            if photo.get("published") or photo.get("post_id"):
                raise GraphFail(100, "(#100) attached_media must be unpublished photos")
            photos.append(fbid)
        if not params.get("message") and not photos and not params.get("link"):
            raise missing("message")
        return {"id": self.new_post(page, params.get("message", ""), photos)["id"]}

    def _photo(
        self, page: dict[str, Any], params: dict[str, str], files: dict[str, bytes]
    ) -> dict[str, Any]:
        data = files.get("source")
        if not data:
            raise GraphFail(324, "(#324) Requires upload file", type="OAuthException")
        if not data.startswith((b"\xff\xd8", b"\x89PNG")):
            raise GraphFail(324, "(#324) Missing or invalid image file")
        published = params.get("published", "true") != "false"
        photo = self.state.add(
            {
                "id": self.state.new_id(),
                "type": "photo",
                "owner": page["id"],
                "data": data,
                "published": published,
                "created": self.state.clock(),
                "created_time": self.state.stamp(),
            }
        )
        if not published:
            return {"id": photo["id"]}
        post = self.new_post(page, params.get("message", ""), [photo["id"]])
        return {"id": photo["id"], "post_id": post["id"]}

    def _video(
        self, page: dict[str, Any], params: dict[str, str], files: dict[str, bytes]
    ) -> dict[str, Any]:
        data = files.get("source")
        if not data and not params.get("file_url"):
            raise missing("source")
        video = self.state.add(
            {
                "id": self.state.new_id(),
                "type": "video",
                "owner": page["id"],
                "data": data,
                "description": params.get("description", ""),
                "created": self.state.clock(),
                "created_time": self.state.stamp(),
                "permalink_url": "",
            }
        )
        post = self.new_post(page, params.get("description", ""), [])
        post["video"] = video["id"]
        video["permalink_url"] = f"/{page['id']}/videos/{video['id']}/"
        return {"id": video["id"]}

    def _container(self, user: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        media_type = params.get("media_type", "IMAGE")
        container: dict[str, Any] = {
            "id": self.state.new_id(),
            "type": "container",
            "owner": user["id"],
            "media_type": media_type,
            "caption": params.get("caption", ""),
            "is_carousel_item": flag(params.get("is_carousel_item")),
            "status_code": "IN_PROGRESS",
            "status": "In Progress: Media is still being processed.",
            "created": self.state.clock(),
        }
        if len(container["caption"]) > 2200:
            raise GraphFail(100, "(#100) The caption is too long", 2207010)
        if media_type == "CAROUSEL":
            children = [c for c in params.get("children", "").split(",") if c]
            if not children:
                raise missing("children")
            if not 2 <= len(children) <= CAROUSEL_MAX:
                raise GraphFail(100, "(#100) A carousel takes 2 to 10 children", 2207025)
            for child in children:
                item = self.state.objects.get(child)
                if item is None or item["type"] != "container" or not item["is_carousel_item"]:
                    raise GraphFail(100, f"(#100) Invalid child {child}", 2207026)
                if item["status_code"] != "FINISHED":
                    raise GraphFail(9007, "Media ID is not available", 2207027)
            container["children"] = children
            container["status_code"], container["status"] = "FINISHED", "Finished: Media uploaded"
        else:
            key = "video_url" if media_type in ("REELS", "VIDEO") else "image_url"
            if not params.get(key):
                raise missing(key)
            container[key] = params[key]
            self.emu.fetch_later(container, params[key])
        self.state.add(container)
        return {"id": container["id"]}

    def _media_publish(self, user: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        creation = params.get("creation_id")
        if not creation:
            raise missing("creation_id")
        container = self.state.objects.get(creation)
        if (
            container is None
            or container["type"] != "container"
            or container["owner"] != user["id"]
        ):
            raise no_object(creation)
        if container["status_code"] == "PUBLISHED":
            raise GraphFail(100, "(#100) The media has already been published", 2207008)
        if container["status_code"] != "FINISHED" or container["is_carousel_item"]:
            raise GraphFail(9007, "Media ID is not available", 2207027)
        if self.emu.published_in_window(user["id"]) >= self.emu.quota_total:
            raise GraphFail(9, "Application request limit reached", 2207042)
        if container["media_type"] == "CAROUSEL":
            images = [self.state.objects[c]["data"] for c in container["children"]]
            media_type = "CAROUSEL_ALBUM"
        else:
            images = [container["data"]]
            media_type = "VIDEO" if container["media_type"] in ("REELS", "VIDEO") else "IMAGE"
        media_id = self.state.new_id()
        self.state.add(
            {
                "id": media_id,
                "type": "ig_media",
                "owner": user["id"],
                "caption": container["caption"],
                "media_type": media_type,
                "images": images,
                "username": user["username"],
                "permalink": f"https://www.instagram.com/p/EMU{media_id}/",
                "timestamp": self.state.stamp(),
                "created": self.state.clock(),
            }
        )
        container["status_code"], container["status"] = "PUBLISHED", "Published"
        self.emu.publishes.append((user["id"], self.state.clock()))
        self.state.notify({"kind": "ig_media", "user_id": user["id"], "id": media_id})
        return {"id": media_id}


def unknown_edge(obj: dict[str, Any], edge: str) -> GraphFail:
    return GraphFail(
        100,
        f"(#100) Tried accessing nonexisting field ({edge}) on node type ({TITLES[obj['type']]})",
    )
