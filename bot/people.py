"""Who may use the desk: first admins from config, one-time invites, refusals kept in the audit."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import DeskSettings
from bot.domain import Role
from bot.errors import Denied, Invalid, NotFound
from storage.models import AuditLog, Department, Invite, Person
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Account:
    """A chat identity: which transport and the user id there."""

    kind: str  # "tg" or "vk"
    user_id: int

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.user_id}"


def person_ref(person: Person | None, account: Account | None = None) -> str:
    if person is not None:
        return f"person:{person.id}"
    return account.ref if account else "system"


async def audit(
    uow: UnitOfWork,
    now: datetime,
    action: str,
    *,
    actor: Person | None = None,
    account: Account | None = None,
    obj: str = "",
    details: str = "",
) -> None:
    await uow.audit.write(
        AuditLog(
            at=now,
            actor_id=actor.id if actor else None,
            actor_ref=person_ref(actor, account),
            action=action,
            object_ref=obj,
            details=details[:2000],
        )
    )


class PeopleService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        settings: DeskSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._settings = settings
        self._clock = clock
        # Every update asks who is writing; people change only through this service, so a
        # per-process cache stays right and spares a database round trip per update.
        self._known: dict[Account, Person] = {}

    @property
    def timezone(self) -> ZoneInfo:
        return self._settings.tz

    @property
    def invite_ttl_hours(self) -> int:
        return self._settings.invite_ttl_hours

    async def identify(self, account: Account, full_name: str = "") -> Person | None:
        """The registered person behind an account; the configured first admins register here."""
        if account in self._known:
            return self._known[account]
        person = await self._identify(account, full_name)
        if person is not None:
            self._known[account] = person
        return person

    def forget(self, account: Account) -> None:
        """Drop a cached person after their record changed (role, department, access)."""
        self._known.pop(account, None)

    def changed(self, person_id: int | None) -> None:
        """Drop every cached account of a person whose record changed (bot/access.py)."""
        for account, known in list(self._known.items()):
            if known.id == person_id:
                self.forget(account)

    async def _identify(self, account: Account, full_name: str) -> Person | None:
        async with self._uow() as uow:
            person = await self._find(uow, account)
            if person is not None:
                return person if person.active else None
            if account.kind == "tg" and account.user_id in self._settings.admins:
                person = await uow.people.add(
                    Person(
                        full_name=full_name or f"Администратор {account.user_id}",
                        role=Role.admin,
                        telegram_id=account.user_id,
                        created_at=self._clock(),
                    )
                )
                await audit(uow, self._clock(), "person.bootstrap_admin", actor=person)
                await uow.commit()
                return person
        return None

    async def was_closed(self, account: Account) -> bool:
        """The account is a person whose access was closed (not a stranger)."""
        async with self._uow() as uow:
            person = await self._find(uow, account)
        return person is not None and not person.active

    async def refuse(self, account: Account, what: str, action: str = "access.refused") -> None:
        """One audit line per refused update; the content itself is not kept."""
        async with self._uow() as uow:
            await audit(uow, self._clock(), action, account=account, details=what)
            await uow.commit()

    async def departments(self) -> list[Department]:
        async with self._uow() as uow:
            return await uow.departments.all()

    async def create_invite(
        self,
        actor: Person,
        role: Role,
        department_id: int | None = None,
        department_name: str | None = None,
    ) -> Invite:
        if actor.role != Role.admin:
            raise Denied("Приглашать новых участников может только администратор.")
        now = self._clock()
        async with self._uow() as uow:
            if department_name:
                name = " ".join(department_name.split())
                if not 2 <= len(name) <= 200:
                    raise Invalid("Название отдела должно быть от 2 до 200 знаков.")
                department_id = (await uow.departments.get_or_create(name)).id
            elif department_id is not None and await uow.departments.get(department_id) is None:
                raise NotFound("Такого отдела больше нет. Выберите другой.")
            invite = Invite(
                code=secrets.token_urlsafe(12),
                role=role,
                department_id=department_id,
                created_by=actor.id,
                created_at=now,
                expires_at=now + timedelta(hours=self._settings.invite_ttl_hours),
            )
            await uow.invites.add(invite)
            await audit(uow, now, "invite.create", actor=actor, obj=f"invite:{invite.code[:4]}…")
            await uow.commit()
            return invite

    async def accept_invite(self, code: str, account: Account, full_name: str) -> Person:
        now = self._clock()
        async with self._uow() as uow:
            known = await self._find(uow, account)
            if known is not None and known.active:
                raise Invalid("Вы уже зарегистрированы. Наберите /help, чтобы увидеть команды.")
            invite = await uow.invites.get(code)
            if invite is None or invite.used_by is not None or invite.expires_at <= now:
                await audit(uow, now, "invite.refused", account=account, details="bad or used code")
                await uow.commit()
                raise Denied(
                    "Приглашение недействительно: оно уже использовано или истёк срок "
                    f"({self._settings.invite_ttl_hours} ч). "
                    "Попросите администратора прислать новое."
                )
            if known is not None:  # access closed before: a new invite opens it again
                person = known
                person.active, person.role = True, invite.role
                person.department_id = invite.department_id
                uow.session.add(person)
            else:
                person = Person(
                    full_name=(full_name or "Без имени")[:200],
                    role=invite.role,
                    department_id=invite.department_id,
                    created_at=now,
                    **{"telegram_id" if account.kind == "tg" else "vk_id": account.user_id},
                )
                await uow.people.add(person)
            if not await uow.invites.claim(code, person.id, now):
                raise Denied("Это приглашение только что использовал другой человек.")
            await audit(uow, now, "invite.accept", actor=person, obj=f"person:{person.id}")
            await uow.commit()
            return person

    async def department_name(self, department_id: int | None) -> str:
        async with self._uow() as uow:
            department = await uow.departments.get(department_id)
            return department.name if department else ""

    @staticmethod
    async def _find(uow: UnitOfWork, account: Account) -> Person | None:
        if account.kind == "tg":
            return await uow.people.by_telegram(account.user_id)
        return await uow.people.by_vk(account.user_id)
