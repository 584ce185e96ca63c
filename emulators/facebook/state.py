"""What the Graph emulator keeps: Pages, Instagram accounts, their posts, media and comments."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..common import Changes


@dataclass
class GraphFail(Exception):
    """An error answer exactly as Graph shapes it."""

    code: int
    message: str
    subcode: int = 0
    status: int = 400
    type: str = "OAuthException"

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "fbtrace_id": "AemuTrace",
        }
        if self.subcode:
            error["error_subcode"] = self.subcode
        return {"error": error}


def missing(name: str) -> GraphFail:
    return GraphFail(100, f"(#100) The parameter {name} is required")


def no_object(object_id: str) -> GraphFail:
    return GraphFail(
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        33,
        type="GraphMethodException",
    )


PAGE_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    "pages_read_user_content",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
)


@dataclass
class Token:
    page_id: str
    expired: bool = False
    scopes: tuple[str, ...] = PAGE_SCOPES
    expires_at: int = 0  # 0: never (a Page token from a long-lived user token)


@dataclass
class Fault:
    kind: str  # "timeout" | "5xx" | "rate" | "expired"
    count: int
    path: str = ""  # fires only on paths containing this
    method: str = ""  # and only for this HTTP method, if given


@dataclass
class State(Changes):
    clock: Callable[[], float] = time.time
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(100001))

    def __post_init__(self) -> None:
        Changes.__init__(self)

    def new_id(self) -> str:
        return str(next(self._ids))

    def stamp(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str) -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or obj.get("deleted"):
            raise no_object(object_id)
        return obj

    def of_type(self, kind: str, owner: str) -> list[dict[str, Any]]:
        """Live objects of a kind owned by a Page or an Instagram account, newest first."""
        found = [
            o
            for o in self.objects.values()
            if o["type"] == kind and o.get("owner") == owner and not o.get("deleted")
        ]
        return sorted(
            found, key=lambda o: (o["created"], int(o["id"].split("_")[-1])), reverse=True
        )

    def comments_of(self, parent: str) -> list[dict[str, Any]]:
        found = [
            o
            for o in self.objects.values()
            if o["type"] in ("comment", "ig_comment")
            and o.get("parent_id") == parent
            and not o.get("deleted")
        ]
        return sorted(found, key=lambda o: (o["created"], o["seq"]))
