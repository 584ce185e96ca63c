"""groups.*, users.get, utils.resolveScreenName and community messages."""

from __future__ import annotations

import json
from typing import Any

from .context import Ctx, Handler
from .methods_message_media import message_attachments

RANDOM_ID_WINDOW = 3600  # VK treats a repeated random_id to one peer as the same message
LP_EVENTS = (
    "message_new",
    "message_reply",
    "message_edit",
    "message_event",
    "wall_post_new",
    "wall_reply_new",
    "wall_reply_edit",
    "wall_reply_delete",
    "wall_reply_restore",
)


def _group_id(ctx: Ctx, raw: Any, name: str = "group_id") -> int:
    """A community given by id or screen name."""
    text = str(raw).strip()
    if text.lstrip("-").isdigit():
        gid = abs(int(text))
        if gid in ctx.state.groups:
            return gid
    for gid, group in ctx.state.groups.items():
        if group["screen_name"] == text:
            return gid
    raise ctx.bad(name)


def _user_id(ctx: Ctx, raw: Any) -> int:
    text = str(raw).strip()
    if text.isdigit() and int(text) in ctx.state.users:
        return int(text)
    for uid, user in ctx.state.users.items():
        if user.get("screen_name") == text:
            return uid
    raise ctx.fail(113)


def groups_get_by_id(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    refs = list(p.get("group_ids") or [])
    if p.get("group_id"):
        refs.append(p["group_id"])
    if not refs:
        if ctx.token.kind != "group":
            raise ctx.bad("group_ids", "missing")
        refs = [ctx.token.group_id]
    fields = set(p.get("fields") or [])
    groups = []
    for ref in refs:
        group = ctx.group_obj(_group_id(ctx, ref, "group_ids"))
        for name in ("members_count", "verified"):
            if name in group and name not in fields:
                del group[name]
            elif name in fields:
                group.setdefault(name, 0)
        groups.append(group)
    return {"groups": groups, "profiles": []}


# VK's scope bits of a user token and the rights of a community token (dev.vk.com, «Права доступа»).
USER_BITS = {
    "photos": 4,
    "video": 16,
    "wall": 8192,
    "offline": 65536,
    "docs": 131072,
    "groups": 262144,
    "messages": 4096,
}
USER_SCOPE = sum(USER_BITS[n] for n in ("photos", "video", "wall", "offline", "docs", "groups"))
GROUP_BITS = {
    "stories": 1,
    "photos": 4,
    "app_widget": 64,
    "messages": 4096,
    "docs": 131072,
    "manage": 262144,
}
GROUP_RIGHTS = ("photos", "messages", "docs", "manage")


def groups_get_token_permissions(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    rights = [{"name": name, "setting": GROUP_BITS[name]} for name in ctx.token.rights]
    return {"mask": sum(r["setting"] for r in rights), "permissions": rights}


def account_get_app_permissions(ctx: Ctx, p: dict[str, Any]) -> int:
    return ctx.token.scope


def _admin_group(ctx: Ctx, p: dict[str, Any]) -> int:
    group_id = p["group_id"]
    if group_id not in ctx.state.groups:
        raise ctx.bad("group_id")
    if not ctx.is_admin(group_id):
        raise ctx.fail(15, "you are not an administrator of this community")
    return group_id


def groups_get_long_poll_server(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    group_id = _admin_group(ctx, p)
    settings = ctx.state.lp_settings.get(group_id)
    if settings is not None and not settings["is_enabled"]:
        raise ctx.fail(100, "Bots Long Poll is disabled for this community")
    return {
        "key": ctx.state.lp_key(group_id),
        "server": f"{ctx.base_url}/longpoll/{group_id}",
        "ts": str(len(ctx.state.lp_events[group_id])),
    }


def _lp_settings(ctx: Ctx, group_id: int) -> dict[str, Any]:
    default = {"is_enabled": True, "api_version": "5.199", "events": dict.fromkeys(LP_EVENTS, 1)}
    return ctx.state.lp_settings.setdefault(group_id, default)


def groups_get_long_poll_settings(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    settings = _lp_settings(ctx, _admin_group(ctx, p))
    return json.loads(json.dumps(settings))


def groups_set_long_poll_settings(ctx: Ctx, p: dict[str, Any]) -> int:
    settings = _lp_settings(ctx, _admin_group(ctx, p))
    if "enabled" in p:
        settings["is_enabled"] = bool(p["enabled"])
    if p.get("api_version"):
        settings["api_version"] = p["api_version"]
    for name in LP_EVENTS:
        if name in p:
            settings["events"][name] = int(bool(p[name]))
    ctx.state.notify({"kind": "longpoll_settings", "group_id": p["group_id"]})
    return 1


def groups_ban(ctx: Ctx, p: dict[str, Any]) -> int:
    group_id = _admin_group(ctx, p)
    owner_id = p.get("owner_id")
    if not owner_id:
        raise ctx.bad("owner_id", "missing")
    banned = ctx.state.bans[group_id]
    if owner_id not in banned:
        banned.append(owner_id)
    ctx.state.members[group_id].discard(owner_id)
    ctx.state.notify({"kind": "ban", "group_id": group_id, "owner_id": owner_id})
    return 1


def groups_unban(ctx: Ctx, p: dict[str, Any]) -> int:
    group_id = _admin_group(ctx, p)
    owner_id = p.get("owner_id")
    if not owner_id:
        raise ctx.bad("owner_id", "missing")
    if owner_id in ctx.state.bans[group_id]:
        ctx.state.bans[group_id].remove(owner_id)
    ctx.state.notify({"kind": "unban", "group_id": group_id, "owner_id": owner_id})
    return 1


def groups_is_member(ctx: Ctx, p: dict[str, Any]) -> Any:
    group_id = _group_id(ctx, p["group_id"])
    members = ctx.state.members[group_id]
    if p.get("user_ids"):
        return [{"user_id": u, "member": int(u in members)} for u in p["user_ids"]]
    user_id = p.get("user_id") or ctx.token.user_id
    if not user_id:
        raise ctx.bad("user_id", "missing")
    if p.get("extended"):
        return {"member": int(user_id in members), "can_invite": 0}
    return int(user_id in members)


def users_get(ctx: Ctx, p: dict[str, Any]) -> list[dict[str, Any]]:
    refs = p.get("user_ids") or []
    if not refs:
        return [ctx.user_obj(ctx.token.user_id)] if ctx.token.kind == "user" else []
    return [ctx.user_obj(_user_id(ctx, r)) for r in refs]


def utils_resolve_screen_name(ctx: Ctx, p: dict[str, Any]) -> Any:
    name = p["screen_name"].strip().rsplit("/", 1)[-1]
    for gid, group in ctx.state.groups.items():
        if group["screen_name"] == name:
            return {"type": "group", "object_id": gid}
    for uid, user in ctx.state.users.items():
        if user.get("screen_name") == name:
            return {"type": "user", "object_id": uid}
    return []  # VK answers an empty list for an unknown name


def _community(ctx: Ctx) -> int:
    if ctx.token.kind != "group":
        raise ctx.fail(100, "messages.* for user tokens is not implemented in emulator")
    return ctx.token.group_id


def check_keyboard(ctx: Ctx, raw: Any) -> None:
    """VK's limits (dev.vk.com/api/bots/development/keyboard): an inline keyboard is at most
    5 wide, 6 rows and 10 buttons, a standard one 5 × 10; a label 40 characters, a payload 255.
    Anything past them is error 911, and the message is not sent."""
    if not raw:
        return
    data = json.loads(raw) if isinstance(raw, str) else raw
    rows = data.get("buttons") or []
    inline = bool(data.get("inline"))
    keys = [b for row in rows for b in row]
    too_big = len(rows) > (6 if inline else 10) or len(keys) > (10 if inline else 40)
    if too_big or any(len(row) > 5 for row in rows):
        raise ctx.fail(911, "keyboard is too big")
    for button in keys:
        action = button.get("action") or {}
        payload = action.get("payload") or ""
        payload = payload if isinstance(payload, str) else json.dumps(payload)
        if len(action.get("label") or "") > 40 or len(payload) > 255:
            raise ctx.fail(911, "button label or payload is too long")


def messages_send(ctx: Ctx, p: dict[str, Any]) -> Any:
    state = ctx.state
    group_id = _community(ctx)
    check_keyboard(ctx, p.get("keyboard"))
    peers = list(p.get("peer_ids") or [])
    single = not peers
    if single:
        peer = p.get("peer_id") or p.get("user_id")
        if not peer:
            raise ctx.bad("peer_id", "missing")
        peers = [peer]
    if not p.get("message") and not p.get("attachment") and not p.get("sticker_id"):
        raise ctx.bad("message", "missing")
    attachments = message_attachments(ctx, p.get("attachment"))
    for peer in peers:
        if peer not in state.allowed_messages[group_id]:
            raise ctx.fail(901)
    results = []
    for peer in peers:
        key = (group_id, peer, p["random_id"])
        seen = state.random_ids.get(key)
        if p["random_id"] and seen is not None and state.clock() - seen[1] < RANDOM_ID_WINDOW:
            msg = state.messages[group_id][seen[0]]
        else:
            msg = new_message(state, group_id, peer, -group_id, p.get("message") or "", out=1)
            msg["random_id"] = p["random_id"]
            for name in ("keyboard", "payload", "reply_to"):
                if p.get(name):
                    msg[name] = p[name]
            msg["attachments"] = list(attachments)
            state.random_ids[key] = (msg["id"], state.clock())
            state.notify({"kind": "message", "group_id": group_id, "peer_id": peer})
            state.emit(group_id, "message_reply", msg)
        results.append(msg)
    if single:
        return results[0]["id"]
    return [
        {
            "peer_id": m["peer_id"],
            "message_id": m["id"],
            "conversation_message_id": m["conversation_message_id"],
        }
        for m in results
    ]


def new_message(
    state: Any, group_id: int, peer_id: int, from_id: int, text: str, out: int
) -> dict[str, Any]:
    """Store a message in a community's dialogue with one peer."""
    state.message_seq[group_id] += 1
    cmid = sum(1 for m in state.messages[group_id].values() if m["peer_id"] == peer_id) + 1
    msg: dict[str, Any] = {
        "id": state.message_seq[group_id],
        "date": state.now(),
        "peer_id": peer_id,
        "from_id": from_id,
        "out": out,
        "text": text,
        "conversation_message_id": cmid,
        "fwd_messages": [],
        "attachments": [],
        "important": False,
        "is_hidden": False,
        "version": state.message_seq[group_id],
    }
    state.messages[group_id][msg["id"]] = msg
    return msg


def messages_edit(ctx: Ctx, p: dict[str, Any]) -> int:
    group_id = _community(ctx)
    check_keyboard(ctx, p.get("keyboard"))
    msgs = ctx.state.messages[group_id]
    msg = msgs.get(p.get("message_id") or 0)
    cmid = p.get("cmid") or p.get("conversation_message_id")  # 5.199 names it "cmid"
    if msg is None and cmid:
        msg = next(
            (
                m
                for m in msgs.values()
                if m["peer_id"] == p["peer_id"] and m["conversation_message_id"] == cmid
            ),
            None,
        )
    if msg is None or msg["peer_id"] != p["peer_id"]:
        raise ctx.bad("message_id")
    if not msg["out"]:
        raise ctx.fail(920)
    msg["attachments"] = message_attachments(ctx, p.get("attachment"))  # only those passed again
    if "message" in p:
        msg["text"] = p["message"]
    if p.get("keyboard"):
        msg["keyboard"] = p["keyboard"]
    msg["update_time"] = ctx.state.now()
    ctx.state.notify({"kind": "message_edit", "group_id": group_id, "peer_id": msg["peer_id"]})
    ctx.state.emit(group_id, "message_edit", msg)
    return 1


def messages_send_message_event_answer(ctx: Ctx, p: dict[str, Any]) -> int:
    group_id = _community(ctx)
    answer = {k: p.get(k) for k in ("event_id", "user_id", "peer_id", "event_data")}
    ctx.state.event_answers[group_id].append(answer)
    ctx.state.notify({"kind": "event_answer", "group_id": group_id, **answer})
    return 1


HANDLERS: dict[str, Handler] = {
    "groups.getById": groups_get_by_id,
    "groups.getLongPollServer": groups_get_long_poll_server,
    "groups.getLongPollSettings": groups_get_long_poll_settings,
    "groups.setLongPollSettings": groups_set_long_poll_settings,
    "groups.ban": groups_ban,
    "groups.getTokenPermissions": groups_get_token_permissions,
    "account.getAppPermissions": account_get_app_permissions,
    "groups.unban": groups_unban,
    "groups.isMember": groups_is_member,
    "users.get": users_get,
    "utils.resolveScreenName": utils_resolve_screen_name,
    "messages.send": messages_send,
    "messages.edit": messages_edit,
    "messages.sendMessageEventAnswer": messages_send_message_event_answer,
}
