"""Which token the bot uses: the environment's (pressdesk.env, systemd, compose) or the one an
admin stored from chat (/tokens, bot/access.py). Whichever was set later wins.

Storing a token from chat keeps, beside it, a keyed fingerprint of the environment's value at
that moment (Vault.fingerprint, never the value). At start the environment's current value is
compared with it: the same → nobody touched the server's settings since, the chat token is
newer and is used; different → IT replaced the token there after the chat one, so the
environment's is used, the stored one is dropped, the audit log says so, and the admins are
told. A variable removed from the environment replaces nothing: the chat token stays. A row
stored before fingerprints existed gets the environment's current fingerprint at its first
start: it keeps winning, as it did, until the environment changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlmodel import col, delete, select

from bot.config import TOKEN_ENV, Secrets
from bot.dates import stamp
from bot.people import audit
from bot.ports import AccessCheck
from bot.vault import Vault, VaultError
from storage.models import Person
from storage.registry import StoredToken
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Stored:
    """A token stored from chat: when and by whom (the admin's name, "" if unknown)."""

    name: str
    at: datetime
    by: str = ""


@dataclass(frozen=True)
class Superseded(Stored):
    """A chat token the environment replaced later. `same`: the environment now holds that
    very token (IT copied it there), so nothing changes for anybody."""

    same: bool = False


@dataclass(frozen=True)
class Choice:
    secrets: Secrets  # what the bot uses
    stored: dict[str, Stored] = field(default_factory=dict)  # in use, from chat
    superseded: list[Superseded] = field(default_factory=list)
    unmarked: list[str] = field(default_factory=list)  # stored before fingerprints existed


def env_value(env: Secrets, name: str) -> str | None:
    secret = getattr(env, name, None)
    return secret.get_secret_value() if secret is not None else None


async def choose(env: Secrets, uow: Callable[[], UnitOfWork], vault: Vault | None) -> Choice:
    """Read only: the environment's tokens with the newer ones from chat put over them. A token
    the key cannot open is skipped (the environment's stays in use)."""
    if vault is None:
        return Choice(env)
    async with uow() as session:
        rows = (await session.session.exec(select(StoredToken))).all()
        ids = [r.rotated_by for r in rows if r.rotated_by is not None]
        people = (await session.session.exec(select(Person).where(col(Person.id).in_(ids)))).all()
    names = {p.id: p.full_name for p in people}
    use: dict[str, SecretStr] = {}
    stored: dict[str, Stored] = {}
    superseded, unmarked = [], []
    for row in rows:
        if row.name not in Secrets.model_fields:
            continue
        try:
            value = vault.open(row.ciphertext)
        except VaultError:
            continue
        current = env_value(env, row.name)
        by = names.get(row.rotated_by, "") if row.rotated_by is not None else ""
        marked = row.env_fingerprint
        # An emptied variable names no newer token: the chat one stays.
        replaced = current is not None and marked != vault.fingerprint(row.name, current)
        if marked is not None and replaced:
            superseded.append(Superseded(row.name, row.rotated_at, by, current == value))
            continue
        if marked is None:
            unmarked.append(row.name)
        use[row.name] = SecretStr(value)
        stored[row.name] = Stored(row.name, row.rotated_at, by)
    secrets = env.model_copy(update=use) if use else env
    return Choice(secrets, stored, superseded, unmarked)


async def settle(
    env: Secrets,
    uow: Callable[[], UnitOfWork],
    vault: Vault | None,
    now: datetime,
    tz: ZoneInfo,
) -> Choice:
    """At start: choose, drop the chat tokens the environment replaced since (each in the audit
    log, never a value), and fingerprint the rows stored before fingerprints existed.
    `superseded` then holds only the rows this instance dropped (another one starting at the
    same moment may have dropped them first, and told the admins itself)."""
    choice = await choose(env, uow, vault)
    if vault is None or not (choice.superseded or choice.unmarked):
        return choice
    dropped = []
    async with uow() as session:
        for gone in choice.superseded:
            query = delete(StoredToken).where(
                col(StoredToken.name) == gone.name, col(StoredToken.rotated_at) == gone.at
            )
            if (await session.session.exec(query)).rowcount:
                who = f" ({gone.by})" if gone.by else ""
                await audit(
                    session, now, "token.superseded", obj=f"token:{gone.name}",
                    details=f"{TOKEN_ENV.get(gone.name, gone.name)} изменён в настройках сервера; "
                    f"ключ, введённый в чате {stamp(gone.at, tz)}{who}, снят",
                )  # fmt: skip
                dropped.append(gone)
        for name in choice.unmarked:
            row = await session.session.get(StoredToken, name)
            if row is not None and row.env_fingerprint is None:
                row.env_fingerprint = vault.fingerprint(name, env_value(env, name))
                session.session.add(row)
        await session.commit()
    return replace(choice, superseded=dropped)


def superseded_notice(title: str, gone: Superseded, tz: ZoneInfo) -> str:
    who = f" ({gone.by})" if gone.by else ""
    return (
        f"«{title}» заменён в настройках сервера: бот использует его, а ключ, введённый в чате "
        f"{stamp(gone.at, tz)}{who}, больше не действует. Заменить ключ снова можно здесь же: "
        "/tokens."
    )


def notices(checks: Sequence[AccessCheck], choice: Choice, tz: ZoneInfo) -> list[str]:
    """What the admins are told at start about chat tokens the environment replaced."""
    titles = {c.token: c.title for c in checks}
    return [
        superseded_notice(titles.get(gone.name, TOKEN_ENV.get(gone.name, gone.name)), gone, tz)
        for gone in choice.superseded
        if not gone.same
    ]


def sources(checks: Sequence[AccessCheck], choice: Choice, tz: ZoneInfo) -> str:
    """`pressdesk doctor`: where each checked token comes from."""
    lines = ["Откуда ключи:"]
    gone = {s.name: s for s in choice.superseded}
    titles = {c.token: c.title for c in checks}
    for check in checks:
        if follows := getattr(check, "follows", ""):
            lines.append(f"• {check.title} — тот же ключ, что «{titles.get(follows, follows)}»")
        elif (kept := choice.stored.get(check.token)) is not None:
            who = f", {kept.by}" if kept.by else ""
            lines.append(f"• {check.title} — введён в чате {stamp(kept.at, tz)}{who}")
        else:
            line = f"• {check.title} — окружение ({TOKEN_ENV.get(check.token, check.token)})"
            if (old := gone.get(check.token)) is not None:
                who = f" ({old.by})" if old.by else ""
                line += (
                    f"; ключ, введённый в чате {stamp(old.at, tz)}{who}, заменён в настройках "
                    "сервера позже и при запуске бота будет снят"
                )
            lines.append(line)
    return "\n".join(lines)
