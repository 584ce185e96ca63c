"""polls.create and polls.getById as VK's schema describes them (1-10 answers, a community's
poll needs its negative owner_id and an admin's token); the votes are set by the test."""

from __future__ import annotations

import json
from typing import Any

from .context import Ctx, Handler

ANSWERS = (1, 10)


def polls_create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    owner_id = ctx.owner(p)
    if owner_id < 0 and not ctx.is_admin(-owner_id):
        raise ctx.fail(15, "you are not an admin of this community")
    question = str(p.get("question") or "").strip()
    if not question:
        raise ctx.bad("question", "missing")
    try:
        answers = json.loads(p.get("add_answers") or "[]")
    except ValueError:
        raise ctx.bad("add_answers") from None
    if not isinstance(answers, list) or not ANSWERS[0] <= len(answers) <= ANSWERS[1]:
        raise ctx.bad("add_answers")
    if any(not isinstance(a, str) or not a.strip() for a in answers):
        raise ctx.bad("add_answers")
    state.poll_seq += 1
    poll_id = state.poll_seq
    poll = {
        "id": poll_id,
        "owner_id": owner_id,
        "created": state.now(),
        "question": question,
        "votes": 0,
        "answers": [
            {"id": poll_id * 100 + n, "text": text, "votes": 0, "rate": 0}
            for n, text in enumerate(answers, 1)
        ],
        "anonymous": bool(p.get("is_anonymous")),
        "multiple": bool(p.get("is_multiple")),
        "end_date": int(p.get("end_date") or 0),
        "closed": False,
        "is_board": False,
        "can_edit": True,
        "can_vote": True,
        "can_report": False,
        "can_share": True,
        "author_id": ctx.token.user_id,
    }
    state.polls[(owner_id, poll_id)] = poll
    state.notify({"kind": "poll", "owner_id": owner_id, "id": poll_id})
    return dict(poll)


def polls_get_by_id(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    owner_id = ctx.owner(p)
    poll = ctx.state.polls.get((owner_id, int(p["poll_id"])))
    if poll is None:
        raise ctx.fail(250, "poll not found")  # Access to poll denied
    found = dict(poll)
    found["answers"] = [dict(a) for a in poll["answers"]]
    if poll["end_date"] and ctx.state.now() >= poll["end_date"]:
        found["closed"] = True
    return found


HANDLERS: dict[str, Handler] = {"polls.create": polls_create, "polls.getById": polls_get_by_id}
