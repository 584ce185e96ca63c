"""wall.* and wall photo upload methods."""

from __future__ import annotations

import json
import re
from typing import Any

from .context import Ctx, Handler
from .methods_media import public_video
from .state import public_post

GUID_WINDOW = 3600  # VK answers a repeated guid with the same post for an hour
ATTACHMENT_RE = re.compile(r"^(photo|video|doc)(-?\d+)_(\d+)(?:_[0-9a-zA-Z]+)?$")
POLL_RE = re.compile(r"^poll(-?\d+)_(\d+)$")
ATTACHMENT_LIMIT = 10  # a wall post carries up to 10 attachments (dev.vk.com, wall.post)


def media_object(ctx: Ctx, kind: str, ref: tuple[int, int]) -> dict[str, Any] | None:
    if kind == "photo":
        return ctx.state.photos.get(ref)
    if kind == "doc":
        return ctx.state.docs.get(ref)
    video = ctx.state.videos.get(ref)
    if video is None or not video["_uploaded"]:  # video.save without its file: nothing to show
        return None
    return public_video(video)


def wall_attachments(ctx: Ctx, items: list[str] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    links = 0
    if len(items or []) > ATTACHMENT_LIMIT:
        raise ctx.bad("attachments", f"too many attachments (at most {ATTACHMENT_LIMIT})")
    for item in items or []:
        item = item.strip()
        match = ATTACHMENT_RE.match(item)
        poll = POLL_RE.match(item)
        if poll:
            found = ctx.state.polls.get((int(poll[1]), int(poll[2])))
            if found is None or any(a["type"] == "poll" for a in out):
                raise ctx.bad("attachments")  # unknown, or a second poll in one post
            out.append({"type": "poll", "poll": dict(found)})
        elif match:
            found = media_object(ctx, match[1], (int(match[2]), int(match[3])))
            if found is None:
                raise ctx.bad("attachments")
            out.append({"type": match[1], match[1]: dict(found)})
        elif item.startswith(("http://", "https://")):
            links += 1
            if links > 1:
                raise ctx.bad("attachments")
            out.append({"type": "link", "link": {"url": item, "title": ""}})
        else:
            raise ctx.bad("attachments")
    return out


def _writable_wall(ctx: Ctx, owner_id: int) -> None:
    if owner_id < 0:
        if owner_id * -1 not in ctx.state.groups:
            raise ctx.bad("owner_id")
        if not ctx.is_admin(-owner_id):
            raise ctx.fail(214)
    elif owner_id != ctx.token.user_id:
        raise ctx.fail(214)


def post_or_fail(ctx: Ctx, owner_id: int, post_id: int | None) -> dict[str, Any]:
    if post_id is None:
        raise ctx.bad("post_id", "missing")
    post = ctx.state.post(owner_id, post_id)
    if post is None:
        raise ctx.bad("post_id")
    if post["post_type"] == "postpone" and not (owner_id < 0 and ctx.is_admin(-owner_id)):
        raise ctx.bad("post_id")
    return post


def wall_post(ctx: Ctx, p: dict[str, Any]) -> dict[str, int]:
    state = ctx.state
    owner_id = ctx.owner(p)
    _writable_wall(ctx, owner_id)
    if p.get("post_id"):  # publishing a postponed post now
        post = post_or_fail(ctx, owner_id, p["post_id"])
        post["date"] = state.now()
        state.publish_due()
        return {"post_id": post["id"]}
    message = p.get("message") or ""
    attachments = wall_attachments(ctx, p.get("attachments"))
    if not message and not attachments:
        raise ctx.bad("message", "missing")
    guid = p.get("guid")
    if guid:
        seen = state.guids.get((owner_id, guid))
        if seen is not None and state.clock() - seen[1] < GUID_WINDOW:
            return {"post_id": seen[0]}
    now = state.now()
    publish_date = p.get("publish_date") or 0
    postponed = publish_date > now
    post_id = state.next_wall_id(owner_id)
    from_group = owner_id < 0 and p.get("from_group", False)
    post = {
        "id": post_id,
        "owner_id": owner_id,
        "from_id": owner_id if from_group else ctx.token.user_id,
        "created_by": ctx.token.user_id,
        "date": publish_date if postponed else now,
        "text": message,
        "post_type": "postpone" if postponed else "post",
        "attachments": attachments,
        "comments": {"count": 0, "can_post": 1, "groups_can_post": True},
        "likes": {"count": 0, "user_likes": 0, "can_like": 1},
        "reposts": {"count": 0, "user_reposted": 0},
        "views": {"count": 0},
        "marked_as_ads": 0,
    }
    if p.get("signed"):
        post["signer_id"] = ctx.token.user_id
    state.posts[owner_id][post_id] = post
    if guid:
        state.guids[(owner_id, guid)] = (post_id, state.clock())
    state.notify({"kind": "post", "owner_id": owner_id, "post_id": post_id})
    if owner_id < 0 and not postponed:
        state.emit(-owner_id, "wall_post_new", public_post(post))
    return {"post_id": post_id}


def wall_edit(ctx: Ctx, p: dict[str, Any]) -> dict[str, int]:
    owner_id = ctx.owner(p)
    post = post_or_fail(ctx, owner_id, p["post_id"])
    if not (owner_id < 0 and ctx.is_admin(-owner_id)) and post["from_id"] != ctx.token.user_id:
        raise ctx.fail(15, "you can't edit this post")
    if "message" in p:
        post["text"] = p["message"]
    if "attachments" in p:
        post["attachments"] = wall_attachments(ctx, p["attachments"])
    if not post["text"] and not post["attachments"]:
        raise ctx.bad("message", "missing")
    if p.get("publish_date") and post["post_type"] == "postpone":
        post["date"] = p["publish_date"]
    post["edited"] = ctx.state.now()
    ctx.state.notify({"kind": "post", "owner_id": owner_id, "post_id": post["id"]})
    ctx.state.publish_due()
    return {"post_id": post["id"]}


def wall_delete(ctx: Ctx, p: dict[str, Any]) -> int:
    owner_id = ctx.owner(p)
    post = post_or_fail(ctx, owner_id, p.get("post_id"))
    if not (owner_id < 0 and ctx.is_admin(-owner_id)) and post["from_id"] != ctx.token.user_id:
        raise ctx.fail(15)
    post["is_deleted"] = True
    ctx.state.notify({"kind": "post_deleted", "owner_id": owner_id, "post_id": post["id"]})
    return 1


def wall_get(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    owner_id = ctx.owner(p)
    if p.get("domain"):
        owner_id = _resolve_domain(ctx, p["domain"])
    want_postponed = p.get("filter") == "postponed"
    if want_postponed and not (owner_id < 0 and ctx.is_admin(-owner_id)):
        raise ctx.fail(15)
    posts = [
        x
        for x in ctx.state.posts.get(owner_id, {}).values()
        if not x.get("is_deleted") and (x["post_type"] == "postpone") == want_postponed
    ]
    posts.sort(key=lambda x: x["id"], reverse=True)
    offset, count = p.get("offset") or 0, p.get("count", 20)
    page = [public_post(x) for x in posts[offset : offset + count]]
    answer: dict[str, Any] = {"count": len(posts), "items": page}
    if p.get("extended"):
        answer.update(ctx.extended([owner_id, *(x["from_id"] for x in page)]))
    return answer


def _resolve_domain(ctx: Ctx, domain: str) -> int:
    for prefix in ("club", "public"):  # VK also takes a community's default address
        rest = domain.removeprefix(prefix)
        if rest != domain and rest.isdigit() and int(rest) in ctx.state.groups:
            return -int(rest)
    for gid, group in ctx.state.groups.items():
        if group["screen_name"] == domain:
            return -gid
    for uid, user in ctx.state.users.items():
        if user.get("screen_name") == domain:
            return uid
    raise ctx.bad("domain")


def wall_get_by_id(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    items = []
    for ref in p["posts"]:
        match = re.fullmatch(r"(-?\d+)_(\d+)", ref.strip())
        if not match:
            raise ctx.bad("posts")
        post = ctx.state.post(int(match[1]), int(match[2]))
        owner_id = int(match[1])
        if post is not None and (
            post["post_type"] != "postpone" or (owner_id < 0 and ctx.is_admin(-owner_id))
        ):
            items.append(public_post(post))
    answer: dict[str, Any] = {"items": items}
    if p.get("extended"):
        answer.update(ctx.extended([x["from_id"] for x in items] + [x["owner_id"] for x in items]))
    return answer


def photos_get_wall_upload_server(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    group_id = p.get("group_id")
    if group_id and not ctx.is_admin(group_id):
        raise ctx.fail(203)
    url = f"{ctx.base_url}/upload/wall?uid={ctx.token.user_id}&gid={group_id or 0}"
    return {"upload_url": url, "album_id": -14, "user_id": ctx.token.user_id}


def photos_save_wall_photo(ctx: Ctx, p: dict[str, Any]) -> list[dict[str, Any]]:
    state = ctx.state
    try:
        tokens = json.loads(p["photo"])
        upload = state.uploads[tokens[0]["photo"]]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ctx.bad("photo") from None
    if p.get("hash") != upload["hash"] or upload["uid"] != ctx.token.user_id:
        raise ctx.fail(121 if p.get("hash") != upload["hash"] else 15)
    group_id = p.get("group_id") or 0
    if group_id != upload["gid"]:
        raise ctx.bad("group_id")
    owner_id = -group_id if group_id else ctx.token.user_id
    del state.uploads[tokens[0]["photo"]]
    fields = {"album_id": -14, "user_id": 100 if group_id else ctx.token.user_id}
    return [saved_photo(ctx, owner_id, upload, **fields, text=p.get("caption") or "")]


def saved_photo(ctx: Ctx, owner_id: int, upload: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An upload kept as the owner's next photo (one size, its bytes served at /_emu/photos/),
    with the saving method's own fields (album, caption...); a copy of it."""
    state = ctx.state
    state.photo_seq[owner_id] += 1
    photo_id = state.photo_seq[owner_id]
    url = f"{ctx.base_url}/_emu/photos/{owner_id}_{photo_id}"
    photo = {
        "id": photo_id,
        "owner_id": owner_id,
        "date": state.now(),
        **fields,
        "sizes": [{"type": "x", "url": url, "width": upload["width"], "height": upload["height"]}],
        "has_tags": False,
    }
    state.photos[(owner_id, photo_id)] = photo
    state.photo_data[(owner_id, photo_id)] = upload["data"]
    state.notify({"kind": "photo", "owner_id": owner_id, "id": photo_id})
    return dict(photo)


HANDLERS: dict[str, Handler] = {
    "wall.post": wall_post,
    "wall.edit": wall_edit,
    "wall.delete": wall_delete,
    "wall.get": wall_get,
    "wall.getById": wall_get_by_id,
    "photos.getWallUploadServer": photos_get_wall_upload_server,
    "photos.saveWallPhoto": photos_save_wall_photo,
}
