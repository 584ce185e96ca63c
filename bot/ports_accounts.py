"""What the core needs to know about the desk's own accounts: their figures for the monthly
report (StatsSource) and their tokens' health (AccessCheck). Part of the ports (bot/ports.py
re-exports every name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain import Network


@dataclass(frozen=True)
class PostStats:
    """What a network tells about one published post; None where it does not say."""

    views: int | None = None
    likes: int | None = None
    reposts: int | None = None
    comments: int | None = None


class StatsSource(Protocol):
    """Per-post figures for the monthly report. `unavailable` is "" when the network gives them,
    otherwise the Russian reason it does not (said in the report instead of a zero)."""

    network: Network
    unavailable: str

    async def stats(self, external_ids: Sequence[str]) -> dict[str, PostStats]: ...


# ---- account security (issue 15, and `pressdesk doctor` of issue 12) --------------------------
@dataclass(frozen=True)
class AccessProblem:
    """One thing wrong with a token or its rights: what, and what a person does about it (Russian).
    `fatal`: nothing works with this token (expired, revoked); otherwise only some actions fail."""

    what: str
    fix: str
    fatal: bool = False


@dataclass(frozen=True)
class AccountFacts:
    """What a network says about one of the desk's own accounts, for the registry."""

    network: Network
    key: str  # stable within the network: "-1001…", "club100001"
    name: str
    url: str
    followers: int | None = None
    verified: bool | None = None


class AccessCheck(Protocol):
    """One configured token, checked the way its network allows (each adapter has its own).

    `token` names the secret it checks (bot.config.TOKEN_ENV's keys); `title` is how people
    call it («ВКонтакте: ключ администратора»)."""

    network: Network
    token: str
    title: str

    async def check_access(self) -> list[AccessProblem]: ...

    async def describe(self) -> AccountFacts | None:
        """The account this token acts for (None when it acts for no account of its own)."""
        ...

    async def try_token(self, value: str) -> list[AccessProblem]:
        """The same checks with a candidate token, before it replaces the current one."""
        ...

    def use_token(self, value: str) -> None:
        """From now on every call on this token's connection uses `value`."""
        ...
