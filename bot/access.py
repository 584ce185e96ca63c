"""Who may do what, as the admins manage it: roles, closing and re-opening access, pending
invites, flood limits per person, and the tokens replaced from chat (kept encrypted: bot/vault.py).

Every change reaches the person it concerns and the audit log; the core checks the actor's
role here whatever buttons a chat showed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot.config import Secrets
from bot.domain import Role
from bot.errors import Denied, Invalid, NotFound
from bot.people import PeopleService, audit
from bot.ports import AccessCheck, AccessProblem, Card, Notifier
from bot.token_sources import env_value
from bot.vault import Vault
from storage.models import Invite, Person
from storage.registry import StoredToken
from storage.uow import UnitOfWork

CLOSED_NOTICE = (
    "Администратор закрыл Ваш доступ к боту пресс-службы. Если это ошибка, "
    "обратитесь к администратору."
)
READMITTED_NOTICE = (
    "Ваш доступ к боту пресс-службы снова открыт. Наберите /help, чтобы увидеть команды."
)
NO_VAULT = (
    "Хранилище ключей не настроено: попросите отдел информатизации задать ключ шифрования "
    "(переменная PRESSDESK_SECRET_KEY или [security] key_file в настройках)."
)


@dataclass(frozen=True)
class TokenState:
    check: AccessCheck
    stored_at: datetime | None  # replaced from chat then; None: from the environment
    stored_by: str = ""  # the admin who did


class FloodGuard:
    """At most `limit` updates a person may send within `per` seconds; beyond that they are told
    once to wait, and nothing reaches the desk until the window has room again."""

    def __init__(self, limit: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.per = limit, per
        self._clock = clock
        self._seen: dict[str, list[float]] = {}
        self._told: set[str] = set()

    def allow(self, who: str) -> tuple[bool, bool]:
        """(allowed, tell): `tell` is True for the first refused update of a burst."""
        if self.limit <= 0:
            return True, False
        now = self._clock()
        times = [t for t in self._seen.get(who, []) if t > now - self.per]
        if len(times) >= self.limit:
            self._seen[who] = times
            tell = who not in self._told
            self._told.add(who)
            return False, tell
        times.append(now)
        self._seen[who] = times
        self._told.discard(who)
        return True, False


class AccessService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        people: PeopleService,
        notifier: Notifier,
        clock: Callable[[], datetime],
        vault: Callable[[], Vault | None],
        checks: Sequence[AccessCheck] = (),
        env: Secrets | None = None,
    ) -> None:
        self._uow = uow
        self._people = people
        self._notifier = notifier
        self._clock = clock
        self._vault = vault
        self.checks = {check.token: check for check in checks}
        # The environment's own tokens: their fingerprint is kept with a token stored from
        # chat, so a later change in the server's settings wins (bot/token_sources.py).
        self._env = env or Secrets()

    # ---- people ------------------------------------------------------------------------------
    async def everyone(self, actor: Person) -> list[tuple[Person, str]]:
        """Everyone who ever had access, open first, with their department's name (admins only)."""
        _require_admin(actor)
        async with self._uow() as uow:
            people = (await uow.session.exec(select(Person).order_by(col(Person.id)))).all()
            result = []
            for person in sorted(people, key=lambda p: (not p.active, p.id)):
                department = await uow.departments.get(person.department_id)
                result.append((person, department.name if department else ""))
            return result

    async def person(self, actor: Person, person_id: int) -> tuple[Person, str]:
        _require_admin(actor)
        async with self._uow() as uow:
            person = await uow.people.get(person_id)
            if person is None:
                raise NotFound("Такого сотрудника нет.")
            department = await uow.departments.get(person.department_id)
            return person, department.name if department else ""

    async def change_role(self, actor: Person, person_id: int, role: Role) -> Person:
        _require_admin(actor)
        if person_id == actor.id:
            raise Invalid("Свою роль изменить нельзя: попросите другого администратора.")
        async with self._uow() as uow:
            person = await uow.people.get(person_id)
            if person is None or not person.active:
                raise NotFound("У этого человека нет доступа: сначала верните его.")
            if person.role == role:
                raise Invalid(f"{person.full_name} уже {role.title}.")
            person.role = str(role)
            uow.session.add(person)
            await audit(
                uow, self._clock(), "person.role", actor=actor, obj=f"person:{person_id}",
                details=str(role),
            )  # fmt: skip
            await uow.commit()
        self._people.changed(person_id)
        await self._tell(
            person,
            f"Ваша роль в боте пресс-службы изменена: теперь Вы — {role.title}. Наберите /help.",
        )
        return person

    async def close(self, actor: Person, person_id: int) -> Person:
        """Close someone's access at once (after the admin confirmed), and tell them."""
        _require_admin(actor)
        if person_id == actor.id:
            raise Invalid("Свой доступ закрыть нельзя: попросите другого администратора.")
        async with self._uow() as uow:
            person = await uow.people.get(person_id)
            if person is None or not person.active:
                raise NotFound("У этого человека уже нет доступа.")
            person.active = False
            uow.session.add(person)
            await audit(uow, self._clock(), "person.revoke", actor=actor, obj=f"person:{person_id}")
            await uow.commit()
        self._people.changed(person_id)
        await self._tell(person, CLOSED_NOTICE)
        return person

    async def readmit(self, actor: Person, person_id: int) -> Person:
        _require_admin(actor)
        async with self._uow() as uow:
            person = await uow.people.get(person_id)
            if person is None:
                raise NotFound("Такого сотрудника нет.")
            if person.active:
                raise Invalid(f"У {person.full_name} доступ уже открыт.")
            person.active = True
            uow.session.add(person)
            await audit(
                uow, self._clock(), "person.readmit", actor=actor, obj=f"person:{person_id}"
            )
            await uow.commit()
        self._people.changed(person_id)
        await self._tell(person, READMITTED_NOTICE)
        return person

    async def _tell(self, person: Person, text: str) -> None:
        await self._notifier.send(person, Card(text))

    # ---- invites -----------------------------------------------------------------------------
    async def pending_invites(self, actor: Person) -> list[tuple[Invite, str]]:
        _require_admin(actor)
        now = self._clock()
        async with self._uow() as uow:
            query = select(Invite).where(col(Invite.used_by).is_(None), Invite.expires_at > now)
            invites = (await uow.session.exec(query.order_by(col(Invite.created_at)))).all()
            result = []
            for invite in invites:
                department = await uow.departments.get(invite.department_id)
                result.append((invite, department.name if department else ""))
            return result

    async def revoke_invite(self, actor: Person, code: str) -> Invite:
        """The link stops working at once (it expires now); kept for the audit."""
        _require_admin(actor)
        now = self._clock()
        async with self._uow() as uow:
            invite = await uow.invites.get(code)
            if invite is None or invite.used_by is not None or invite.expires_at <= now:
                raise NotFound("Это приглашение уже использовано, отозвано или истекло.")
            invite.expires_at = now
            uow.session.add(invite)
            await audit(uow, now, "invite.revoke", actor=actor, obj=f"invite:{code[:4]}…")
            await uow.commit()
            return invite

    # ---- tokens ------------------------------------------------------------------------------
    async def tokens(self, actor: Person) -> list[TokenState]:
        _require_admin(actor)
        async with self._uow() as uow:
            rows = (await uow.session.exec(select(StoredToken))).all()
            stored = {}
            for row in rows:
                by = await uow.people.get(row.rotated_by) if row.rotated_by else None
                stored[row.name] = (row.rotated_at, by.full_name if by else "")
        return [
            TokenState(check, *stored.get(name, (None, ""))) for name, check in self.checks.items()
        ]

    def token_title(self, name: str) -> str:
        check = self.checks.get(name)
        return check.title if check else name

    async def rotate(self, actor: Person, name: str, value: str) -> list[AccessProblem]:
        """Check a new token, keep it encrypted, and use it from the next call on.
        Returns what is still wrong with it (rights it lacks); a token that does not work at
        all is refused and nothing changes."""
        _require_admin(actor)
        check = self.checks.get(name)
        if check is None or not getattr(check, "rotatable", False):
            raise Invalid("Этот ключ из чата не меняют: его задают в настройках сервера.")
        value = value.strip()
        if not value or len(value) > 500 or any(c.isspace() for c in value):
            raise Invalid("Пришлите только ключ, одним словом, без пробелов.")
        vault = self._vault()
        if vault is None:
            raise Invalid(NO_VAULT)
        problems = await check.try_token(value)
        fatal = [p for p in problems if p.fatal]
        if fatal:
            raise Invalid(
                "Этот ключ не подходит: " + "; ".join(p.what for p in fatal) + ". "
                "Прежний ключ остаётся в работе.\nЧто сделать: " + fatal[0].fix
            )
        # Checks on this same token (Instagram on the Page's): told what the token lacks for
        # them, and swapped with it; a check that had followed another now has its own token.
        followers = [c for c in self.checks.values() if getattr(c, "follows", "") == name]
        for other in followers:
            problems += [
                AccessProblem(f"{other.title}: {p.what}", p.fix)
                for p in await other.try_token(value)
            ]
        now = self._clock()
        async with self._uow() as uow:
            row = await uow.session.get(StoredToken, name)
            if row is None:
                row = StoredToken(name=name, ciphertext=b"", rotated_at=now)
            row.ciphertext, row.rotated_at, row.rotated_by = vault.seal(value), now, actor.id
            row.env_fingerprint = vault.fingerprint(name, env_value(self._env, name))
            uow.session.add(row)
            await audit(uow, now, "token.rotate", actor=actor, details=check.title)
            await uow.commit()
        check.use_token(value)
        if getattr(check, "follows", ""):
            check.follows = ""  # type: ignore[attr-defined]
        for other in followers:
            other.use_token(value)
        if settle := getattr(check, "settle", None):  # e.g. OK's webhook, on the new token
            problems += await settle()
        return problems


def _require_admin(actor: Person) -> None:
    if actor.role != Role.admin or not actor.active:
        raise Denied("Это может делать только администратор.")
