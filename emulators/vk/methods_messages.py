"""A community's dialogues as VK 5.199 shows them to a community token: which are unread
(messages.getConversations), what was said (messages.getHistory), and reading (markAsRead)."""

from __future__ import annotations

from typing import Any

from .context import Ctx, Handler
from .methods_misc import _community


def _dialogue(ctx: Ctx, group_id: int, peer_id: int) -> list[dict[str, Any]]:
    """One peer's dialogue with the community, oldest first."""
    msgs = ctx.state.messages[group_id].values()
    return sorted((m for m in msgs if m["peer_id"] == peer_id), key=lambda m: m["id"])


def _unread(ctx: Ctx, group_id: int, peer_id: int) -> list[dict[str, Any]]:
    read = ctx.state.in_read[group_id].get(peer_id, 0)
    return [m for m in _dialogue(ctx, group_id, peer_id) if not m["out"] and m["id"] > read]


def _conversation(ctx: Ctx, group_id: int, peer_id: int) -> dict[str, Any]:
    """messages_conversation: in_read is the newest incoming message the community has read;
    out_read says the person read everything the community wrote (they have the app open)."""
    dialogue = _dialogue(ctx, group_id, peer_id)
    last = dialogue[-1]
    in_read = ctx.state.in_read[group_id].get(peer_id, 0)
    read = [m for m in dialogue if not m["out"] and m["id"] <= in_read]
    outgoing = [m for m in dialogue if m["out"]]
    unread = _unread(ctx, group_id, peer_id)
    conversation: dict[str, Any] = {
        "peer": {"id": peer_id, "type": "user", "local_id": peer_id},
        "last_message_id": last["id"],
        "last_conversation_message_id": last["conversation_message_id"],
        "in_read": in_read,
        "out_read": outgoing[-1]["id"] if outgoing else 0,
        "in_read_cmid": read[-1]["conversation_message_id"] if read else 0,
        "out_read_cmid": outgoing[-1]["conversation_message_id"] if outgoing else 0,
        "is_marked_unread": False,
        "important": False,
        "unanswered": not last["out"],
        "can_write": {"allowed": peer_id in ctx.state.allowed_messages[group_id]},
    }
    if unread:
        conversation["unread_count"] = len(unread)  # VK leaves the field out when it is 0
    return conversation


def messages_get_conversations(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    group_id = _community(ctx)
    last: dict[int, dict[str, Any]] = {}
    for msg in ctx.state.messages[group_id].values():
        if msg["peer_id"] not in last or msg["id"] > last[msg["peer_id"]]["id"]:
            last[msg["peer_id"]] = msg
    ordered = sorted(last.values(), key=lambda m: m["id"], reverse=True)
    kind = p.get("filter") or "all"
    if kind == "unread":
        ordered = [m for m in ordered if _unread(ctx, group_id, m["peer_id"])]
    elif kind == "unanswered":
        ordered = [m for m in ordered if not m["out"]]
    elif kind in ("archive", "important"):
        ordered = []  # the emulator keeps no archived or starred dialogues
    offset, count = p.get("offset") or 0, p.get("count", 20)
    items = [
        {"conversation": _conversation(ctx, group_id, m["peer_id"]), "last_message": dict(m)}
        for m in ordered[offset : offset + count]
    ]
    unread_total = sum(1 for m in last.values() if _unread(ctx, group_id, m["peer_id"]))
    answer: dict[str, Any] = {"count": len(ordered), "items": items}
    if unread_total:
        answer["unread_count"] = unread_total
    return answer


def _peer(ctx: Ctx, p: dict[str, Any]) -> int:
    peer = p.get("peer_id") or p.get("user_id")
    if not peer:
        raise ctx.bad("peer_id", "missing")
    return int(peer)


def messages_get_history(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Newest first (rev=0, the default) or oldest first (rev=1); start_message_id is where the
    listing begins (offset counts from it), as on VK."""
    group_id = _community(ctx)
    dialogue = _dialogue(ctx, group_id, _peer(ctx, p))
    rev = p.get("rev") == 1
    ordered = dialogue if rev else dialogue[::-1]
    start = p.get("start_message_id")
    if start:
        ordered = [m for m in ordered if (m["id"] >= start if rev else m["id"] <= start)]
    offset, count = p.get("offset") or 0, p.get("count", 20)
    if offset < 0:
        raise ctx.bad("offset")
    return {"count": len(dialogue), "items": [dict(m) for m in ordered[offset : offset + count]]}


def messages_mark_as_read(ctx: Ctx, p: dict[str, Any]) -> int:
    """Incoming messages up to start_message_id (or up_to_cmid, or the whole dialogue) become
    read; reading never goes back."""
    group_id = _community(ctx)
    peer = _peer(ctx, p)
    dialogue = _dialogue(ctx, group_id, peer)
    upto = dialogue[-1]["id"] if dialogue else 0
    if p.get("start_message_id"):
        upto = p["start_message_id"]
    elif p.get("up_to_cmid"):
        upto = max(
            (m["id"] for m in dialogue if m["conversation_message_id"] <= p["up_to_cmid"]),
            default=0,
        )
    elif p.get("message_ids"):
        upto = max(p["message_ids"])
    reads = ctx.state.in_read[group_id]
    if upto > reads.get(peer, 0):
        reads[peer] = upto
        ctx.state.notify({"kind": "message_read", "group_id": group_id, "peer_id": peer})
    return 1


HANDLERS: dict[str, Handler] = {
    "messages.getConversations": messages_get_conversations,
    "messages.getHistory": messages_get_history,
    "messages.markAsRead": messages_mark_as_read,
}
