"""What a method handler sees: the caller's token, the state, the schema; and shared lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .schema import Schema, VKError
from .state import State, Token

Handler = Callable[["Ctx", dict[str, Any]], Any]


@dataclass
class Ctx:
    state: State
    schema: Schema
    token: Token
    base_url: str

    def fail(self, code: int, detail: str | None = None) -> VKError:
        return self.schema.error(code, detail)

    def bad(self, name: str, what: str = "invalid") -> VKError:
        return self.schema.param_error(name, what)

    def is_admin(self, group_id: int) -> bool:
        if self.token.kind == "group":
            return self.token.group_id == group_id
        return self.token.kind == "user" and group_id in self.token.admin_of

    def owner(self, p: dict[str, Any]) -> int:
        """owner_id, defaulting to the caller's own page as VK does."""
        owner_id = p.get("owner_id")
        if owner_id is not None:
            return int(owner_id)
        if self.token.kind == "group":
            return -self.token.group_id
        return self.token.user_id

    def user_obj(self, user_id: int) -> dict[str, Any]:
        user = self.state.users.get(user_id)
        if user is None:
            deleted = "deleted"
            return {"id": user_id, "last_name": "", "deactivated": deleted}
        return dict(user)

    def group_obj(self, group_id: int) -> dict[str, Any]:
        group = dict(self.state.groups[group_id])
        group["is_admin"] = int(self.is_admin(group_id))
        if group["is_admin"]:
            group["admin_level"] = 3
        return group

    def extended(self, author_ids: Iterable[int]) -> dict[str, list[dict[str, Any]]]:
        """The "profiles" and "groups" VK adds to an answer when extended=1."""
        ids = set(author_ids)
        return {
            "profiles": [self.user_obj(i) for i in sorted(ids) if i > 0],
            "groups": [self.group_obj(-i) for i in sorted(ids) if -i in self.state.groups],
        }


def registry() -> dict[str, Handler]:
    """Every method the emulator really implements."""
    from . import (
        callback,
        methods_comments,
        methods_media,
        methods_message_media,
        methods_messages,
        methods_misc,
        methods_polls,
        methods_wall,
    )

    return {
        **methods_wall.HANDLERS,
        **methods_comments.HANDLERS,
        **methods_media.HANDLERS,
        **methods_polls.HANDLERS,
        **methods_misc.HANDLERS,
        **methods_messages.HANDLERS,
        **methods_message_media.HANDLERS,
        **callback.HANDLERS,
    }
