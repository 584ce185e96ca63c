"""wall.* comment methods: reading, writing, deleting and restoring comments under posts."""

from __future__ import annotations

from typing import Any

from .context import Ctx, Handler
from .methods_wall import post_or_fail, wall_attachments
from .state import public_comment


def _comment_out(c: dict[str, Any], need_likes: bool) -> dict[str, Any]:
    out = public_comment(c)
    if not need_likes:
        out.pop("likes", None)
    return out


def wall_get_comments(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    owner_id = ctx.owner(p)
    root = None
    if p.get("comment_id"):
        parent = state.comment_index[owner_id].get(p["comment_id"])
        if parent is None or parent["deleted"]:
            raise ctx.bad("comment_id")
        root = parent["parents_stack"][0] if parent["parents_stack"] else parent["id"]
        post_id = parent["post_id"]
    else:
        post_id = post_or_fail(ctx, owner_id, p.get("post_id"))["id"]
    level = state.live_thread(owner_id, post_id, root)
    if p.get("sort") == "desc":
        level = level[::-1]
    offset = p.get("offset") or 0
    if p.get("start_comment_id"):
        ids = [c["id"] for c in level]
        if p["start_comment_id"] not in ids:
            raise ctx.bad("start_comment_id")
        offset += ids.index(p["start_comment_id"])
    count = p.get("count", 10)
    page = level[max(offset, 0) : max(offset, 0) + count]
    need_likes = bool(p.get("need_likes"))
    thread_n = p.get("thread_items_count") or 0
    items = []
    for c in page:
        out = _comment_out(c, need_likes)
        if root is None:
            replies = state.live_thread(owner_id, post_id, c["id"])
            out["thread"] = {
                "count": len(replies),
                "items": [_comment_out(r, need_likes) for r in replies[:thread_n]],
                "can_post": True,
                "show_reply_button": True,
                "groups_can_post": True,
            }
        items.append(out)
    total = state.live_count(owner_id, post_id) if root is None else len(level)
    answer: dict[str, Any] = {
        "count": total,
        "items": items,
        "current_level_count": len(level),
        "can_post": True,
        "show_reply_button": True,
        "groups_can_post": True,
    }
    if p.get("extended"):
        authors = [c["from_id"] for c in items]
        authors += [r["from_id"] for c in items for r in c.get("thread", {}).get("items", [])]
        answer.update(ctx.extended(authors))
    return answer


def _comment_or_fail(ctx: Ctx, owner_id: int, comment_id: int) -> dict[str, Any]:
    comment = ctx.state.comment_index.get(owner_id, {}).get(comment_id)
    if comment is None:
        raise ctx.bad("comment_id")
    return comment


def wall_get_comment(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    owner_id = ctx.owner(p)
    comment = _comment_or_fail(ctx, owner_id, p["comment_id"])
    if comment["deleted"]:
        raise ctx.bad("comment_id")
    answer: dict[str, Any] = {
        "items": [_comment_out(comment, True)],
        "can_post": True,
        "show_reply_button": True,
        "groups_can_post": True,
    }
    if p.get("extended"):
        answer.update(ctx.extended([comment["from_id"]]))
    return answer


def wall_create_comment(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    owner_id = ctx.owner(p)
    post = post_or_fail(ctx, owner_id, p["post_id"])
    if ctx.token.kind == "group":
        from_id = -ctx.token.group_id
    elif p.get("from_group"):
        if not ctx.is_admin(p["from_group"]):
            raise ctx.fail(15)
        from_id = -p["from_group"]
    else:
        from_id = ctx.token.user_id
    if owner_id < 0 and from_id in state.bans.get(-owner_id, []):
        raise ctx.fail(213)  # «Access to status replies denied»: VK's answer to a banned author
    message = p.get("message") or ""
    attachments = wall_attachments(ctx, p.get("attachments"))
    if not message and not attachments and not p.get("sticker_id"):
        raise ctx.bad("message", "missing")
    # guid: VK keeps one comment for a repeated call with the same guid (a retry after a lost
    # answer gets the first comment back).
    guid = p.get("guid")
    guids = state.comment_guids
    if guid and (owner_id, from_id, guid) in guids:
        first = guids[(owner_id, from_id, guid)]
        return {"comment_id": first["id"], "parents_stack": first["parents_stack"]}
    reply_to = p.get("reply_to_comment")
    if reply_to:
        parent = state.comment_index[owner_id].get(reply_to)
        if parent is None or parent["deleted"] or parent["post_id"] != post["id"]:
            raise ctx.bad("reply_to_comment")
    comment = state.add_comment(
        owner_id, post["id"], from_id, message, reply_to or None, None, attachments
    )
    if guid:
        guids[(owner_id, from_id, guid)] = comment
    announce_comment(ctx.state, comment, "wall_reply_new")
    return {"comment_id": comment["id"], "parents_stack": comment["parents_stack"]}


def announce_comment(state: Any, comment: dict[str, Any], event: str) -> None:
    """Tell subscribers and, for community walls, the community's long poll."""
    owner_id = comment["owner_id"]
    state.notify({"kind": "comment", "event": event, "owner_id": owner_id, "id": comment["id"]})
    if owner_id < 0:
        obj = public_comment(comment)
        obj["post_owner_id"] = owner_id
        state.emit(-owner_id, event, obj)


def _may_moderate(ctx: Ctx, owner_id: int, comment: dict[str, Any]) -> bool:
    if owner_id < 0 and ctx.is_admin(-owner_id):
        return True
    return ctx.token.kind == "user" and ctx.token.user_id in (owner_id, comment["from_id"])


def wall_delete_comment(ctx: Ctx, p: dict[str, Any]) -> int:
    owner_id = ctx.owner(p)
    comment = _comment_or_fail(ctx, owner_id, p["comment_id"])
    if not _may_moderate(ctx, owner_id, comment):
        raise ctx.fail(211)
    if not comment["deleted"]:
        ctx.state.set_comment_deleted(comment, True)
        ctx.state.notify({"kind": "comment_deleted", "owner_id": owner_id, "id": comment["id"]})
        if owner_id < 0:
            obj = {
                "owner_id": owner_id,
                "id": comment["id"],
                "deleter_id": ctx.token.user_id,
                "post_id": comment["post_id"],
            }
            ctx.state.emit(-owner_id, "wall_reply_delete", obj)
    return 1


def wall_restore_comment(ctx: Ctx, p: dict[str, Any]) -> int:
    owner_id = ctx.owner(p)
    comment = _comment_or_fail(ctx, owner_id, p["comment_id"])
    if not _may_moderate(ctx, owner_id, comment):
        raise ctx.fail(211)
    if comment["deleted"]:
        ctx.state.set_comment_deleted(comment, False)
        announce_comment(ctx.state, comment, "wall_reply_restore")
    return 1


HANDLERS: dict[str, Handler] = {
    "wall.getComments": wall_get_comments,
    "wall.getComment": wall_get_comment,
    "wall.createComment": wall_create_comment,
    "wall.deleteComment": wall_delete_comment,
    "wall.restoreComment": wall_restore_comment,
}
