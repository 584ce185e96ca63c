"""The registry of the administration's accounts (order 159-P, 1.2.1 and 1.3): kept by the admins
in chat, filled in by itself with the desk's own configured accounts, and published on the
website as an HTML page (Jinja2), JSON (schema: docs/registry.schema.json) and CSV.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from bot.dates import stamp
from bot.domain import Network, PublicationState, Role
from bot.errors import Denied, Invalid, NotFound
from bot.people import audit
from bot.ports import AccessCheck, AccessProblem, AccountFacts
from storage.models import Department, Person, Publication
from storage.registry import RegistryAccount
from storage.uow import UnitOfWork

# Networks an account may be in; the desk publishes to some of them (bot.domain.Network).
NETWORK_TITLES = {
    "vk": "ВКонтакте",
    "ok": "Одноклассники",
    "telegram": "Telegram",
    "max": "MAX",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "other": "другая сеть",
}
FIELDS = {
    "name": "название",
    "url": "ссылку",
    "department": "подразделение",
    "responsible": "ответственного",
}
FORMATS = ("html", "json", "csv")
CSV_COLUMNS = [
    ("id", "№"),
    ("network_title", "сеть"),
    ("name", "название"),
    ("url", "ссылка"),
    ("department", "подразделение"),
    ("responsible", "ответственный"),
    ("status_title", "статус"),
    ("verified_text", "отметка сети"),
    ("followers_text", "подписчики"),
    ("last_post_text", "последняя публикация"),
    ("health_text", "ключ доступа"),
]
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def network_title(code: str) -> str:
    if code in set(Network):
        return Network(code).title
    return NETWORK_TITLES.get(code, code)


@dataclass(frozen=True)
class Row:
    """A registry line as people read it."""

    id: int
    network: str
    network_title: str
    name: str
    url: str
    department: str
    responsible: str
    status: str
    verified: bool | None
    followers: int | None
    last_post_at: datetime | None
    health: str
    health_note: str
    own: bool
    tz: ZoneInfo

    @property
    def status_title(self) -> str:
        return "действует" if self.status == "active" else "в архиве"

    @property
    def verified_text(self) -> str:
        return {True: "есть", False: "нет", None: "—"}[self.verified]

    @property
    def followers_text(self) -> str:
        return "—" if self.followers is None else f"{self.followers:,}".replace(",", "\u00a0")

    @property
    def last_post_text(self) -> str:
        return stamp(self.last_post_at, self.tz) if self.last_post_at else "—"

    @property
    def health_text(self) -> str:
        return {"ok": "в порядке", "problem": f"проблема: {self.health_note}"}.get(
            self.health, "не проверялся"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "network": self.network,
            "network_title": self.network_title,
            "name": self.name,
            "url": self.url,
            "department": self.department,
            "responsible": self.responsible,
            "status": self.status,
            "verified": self.verified,
            "followers": self.followers,
            "last_post_at": self.last_post_at.isoformat() if self.last_post_at else None,
            "token_health": self.health,
            "own": self.own,
        }


class Registry:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        tz: ZoneInfo,
        clock: Callable[[], datetime],
        organisation: str,
        checks: Sequence[AccessCheck] = (),
    ) -> None:
        self._uow = uow
        self.tz = tz
        self._clock = clock
        self.organisation = organisation
        self.checks = list(checks)
        self._syncing = asyncio.Lock()

    # ---- the desk's own accounts enter by themselves ------------------------------------------
    async def sync_own(self) -> int:
        """Ask each configured network about the account its token acts for; add or refresh it.
        The start-up sync, the morning check and other instances may do it at once: one
        process at a time here, and a row another instance added first is refreshed instead."""
        count = 0
        async with self._syncing:
            for check in self.checks:
                facts = await check.describe()
                if facts is None:
                    continue
                try:
                    await self._keep_own(facts)
                except IntegrityError:  # another instance added it a moment ago
                    await self._keep_own(facts)
                count += 1
        return count

    async def _keep_own(self, facts: AccountFacts) -> None:
        key = f"{facts.network}:{facts.key}"
        now = self._clock()
        async with self._uow() as uow:
            query = select(RegistryAccount).where(RegistryAccount.own_key == key)
            row = (await uow.session.exec(query)).first()
            if row is None:
                row = RegistryAccount(
                    network=str(facts.network), name="", own_key=key, created_at=now,
                    updated_at=now,
                )  # fmt: skip
            row.name = facts.name or row.name or key
            row.url = facts.url or row.url
            row.followers = facts.followers
            row.verified = facts.verified
            row.last_post_at = await self._last_post(uow, str(facts.network))
            row.updated_at = now
            uow.session.add(row)
            await uow.commit()

    async def record_health(
        self, results: Sequence[tuple[AccessCheck, list[AccessProblem]]]
    ) -> None:
        """The tokens' verdicts on the desk's own accounts, per network (VK has two tokens)."""
        notes: dict[str, list[str]] = {}
        for check, problems in results:
            notes.setdefault(str(check.network), []).extend(
                f"{check.title}: {p.what}" for p in problems
            )
        now = self._clock()
        async with self._uow() as uow:
            query = select(RegistryAccount).where(col(RegistryAccount.own_key).is_not(None))
            for row in (await uow.session.exec(query)).all():
                if row.network not in notes:
                    continue
                row.health_note = "; ".join(notes[row.network])
                row.health = "problem" if row.health_note else "ok"
                row.checked_at = now
                uow.session.add(row)
            await uow.commit()

    @staticmethod
    async def _last_post(uow: UnitOfWork, network: str) -> datetime | None:
        query = select(func.max(Publication.updated_at)).where(
            Publication.network == network, Publication.state == PublicationState.published
        )
        return (await uow.session.exec(query)).one()

    # ---- reading -----------------------------------------------------------------------------
    async def rows(self, include_archived: bool = True) -> list[Row]:
        async with self._uow() as uow:
            query = select(RegistryAccount, Department.name).join(
                Department, col(Department.id) == RegistryAccount.department_id, isouter=True
            )
            if not include_archived:
                query = query.where(RegistryAccount.status == "active")
            query = query.order_by(col(RegistryAccount.network), col(RegistryAccount.name))
            result = (await uow.session.exec(query)).all()
            return [self._row(account, department or "") for account, department in result]

    async def row(self, account_id: int) -> Row:
        for row in await self.rows():
            if row.id == account_id:
                return row
        raise NotFound("Такого аккаунта в реестре нет.")

    def _row(self, a: RegistryAccount, department: str) -> Row:
        return Row(
            a.id or 0, a.network, network_title(a.network), a.name, a.url, department,
            a.responsible, a.status, a.verified, a.followers, a.last_post_at, a.health,
            a.health_note, a.own_key is not None, self.tz,
        )  # fmt: skip

    # ---- admins keep it in chat -----------------------------------------------------------------
    async def add(
        self,
        actor: Person,
        network: str,
        name: str,
        url: str,
        department: str = "",
        responsible: str = "",
    ) -> Row:
        _require_admin(actor)
        if network not in NETWORK_TITLES:
            raise Invalid("Выберите сеть кнопкой.")
        now = self._clock()
        async with self._uow() as uow:
            account = RegistryAccount(
                network=network, name=clean_name(name), url=clean_url(url),
                responsible=_text(responsible, "ответственного"), created_at=now, updated_at=now,
            )  # fmt: skip
            account.department_id = await _department(uow, department)
            uow.session.add(account)
            await uow.session.flush()
            await audit(uow, now, "registry.add", actor=actor, obj=f"account:{account.id}")
            await uow.commit()
            account_id = account.id
        return await self.row(account_id or 0)

    async def edit(self, actor: Person, account_id: int, field: str, value: str) -> Row:
        _require_admin(actor)
        if field not in FIELDS:
            raise Invalid("Такого поля в реестре нет.")
        now = self._clock()
        async with self._uow() as uow:
            account = await uow.session.get(RegistryAccount, account_id)
            if account is None:
                raise NotFound("Такого аккаунта в реестре нет.")
            if field == "name":
                account.name = clean_name(value)
            elif field == "url":
                account.url = clean_url(value)
            elif field == "responsible":
                account.responsible = _text(value, "ответственного")
            else:
                account.department_id = await _department(uow, value)
            account.updated_at = now
            uow.session.add(account)
            details = f"{FIELDS[field]}"
            await audit(
                uow, now, "registry.edit", actor=actor, obj=f"account:{account_id}", details=details
            )
            await uow.commit()
        return await self.row(account_id)

    async def archive(self, actor: Person, account_id: int, archived: bool = True) -> Row:
        _require_admin(actor)
        now = self._clock()
        async with self._uow() as uow:
            account = await uow.session.get(RegistryAccount, account_id)
            if account is None:
                raise NotFound("Такого аккаунта в реестре нет.")
            account.status = "archived" if archived else "active"
            account.updated_at = now
            uow.session.add(account)
            action = "registry.archive" if archived else "registry.edit"
            await audit(uow, now, action, actor=actor, obj=f"account:{account_id}")
            await uow.commit()
        return await self.row(account_id)

    async def require_admin(self, actor: Person) -> None:
        _require_admin(actor)

    async def departments(self) -> list[str]:
        async with self._uow() as uow:
            return [d.name for d in await uow.departments.all()]

    # ---- published on the website ------------------------------------------------------------
    async def export(self, fmt: str, actor: Person | None = None) -> bytes:
        """The registry as a file; `actor` set when an admin asked in chat (audited)."""
        if fmt not in FORMATS:
            raise Invalid("Форматы выгрузки: html, json, csv.")
        if actor is not None:
            _require_admin(actor)
            async with self._uow() as uow:
                await audit(uow, self._clock(), "registry.export", actor=actor, details=fmt)
                await uow.commit()
        rows = await self.rows()
        now = self._clock()
        if fmt == "json":
            body = {
                "organisation": self.organisation,
                "generated_at": now.isoformat(),
                "accounts": [r.as_json() for r in rows],
            }
            return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow([title for _, title in CSV_COLUMNS])
            for r in rows:
                writer.writerow([getattr(r, name) for name, _ in CSV_COLUMNS])
            return ("\ufeff" + out.getvalue()).encode("utf-8")
        page = _templates.get_template("registry.html.j2").render(
            organisation=self.organisation,
            generated=stamp(now, self.tz),
            active=[r for r in rows if r.status == "active"],
            archived=[r for r in rows if r.status != "active"],
        )
        return page.encode("utf-8")


def _require_admin(actor: Person) -> None:
    if actor.role != Role.admin or not actor.active:
        raise Denied("Реестр аккаунтов ведут администраторы.")


def clean_name(value: str) -> str:
    name = " ".join(value.split())
    if not 2 <= len(name) <= 200:
        raise Invalid("Название должно быть от 2 до 200 знаков.")
    return name


def _text(value: str, what: str) -> str:
    text = " ".join(value.split())
    if len(text) > 200:
        raise Invalid(f"Имя {what} — не длиннее 200 знаков.")
    return text


def clean_url(value: str) -> str:
    url = value.strip()
    if url in ("", "-", "—"):
        return ""
    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    parsed = urlparse(url)
    if not parsed.netloc or "." not in parsed.netloc or " " in url or len(url) > 500:
        raise Invalid("Пришлите ссылку на страницу, например https://vk.com/tomsk_district.")
    return url


async def _department(uow: UnitOfWork, name: str) -> int | None:
    name = " ".join(name.split())
    if name in ("", "-", "—"):
        return None
    if not 2 <= len(name) <= 200:
        raise Invalid("Название подразделения должно быть от 2 до 200 знаков.")
    return (await uow.departments.get_or_create(name)).id
