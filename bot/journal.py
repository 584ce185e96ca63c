"""The audit log as people read it: Russian sentences, filters, CSV, and the chain check.

Lines are stored as codes (`post.approve`, `post:2`) so that the words can improve without
touching the hash chain (storage/audit.py); this module turns them into «Анна Петрова одобрила
публикацию №2 «…»» when someone reads them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.dates import stamp
from bot.domain import Role
from bot.errors import Denied
from storage.audit import ANONYMOUS, Verdict, verify
from storage.models import AuditLog, Comment, Person, Post, Report
from storage.uow import UnitOfWork

# Past-tense verbs: (masculine, feminine). The actor's name comes first.
DONE_BY = {
    "report.submit": ("прислал", "прислала", "сообщение {obj}"),
    "post.approve": ("одобрил", "одобрила", "публикацию {obj}"),
    "post.edit_text": ("отредактировал", "отредактировала", "текст публикации {obj}"),
    "post.replace_media": ("заменил", "заменила", "вложения публикации {obj}"),
    "post.reject": ("отклонил", "отклонила", "черновик {obj}"),
    "post.schedule": ("запланировал", "запланировала", "публикацию {obj}"),
    "post.reschedule": ("перенёс", "перенесла", "публикацию {obj}"),
    "post.cancel": ("отменил", "отменила", "публикацию {obj}"),
    "post.retry": ("повторил", "повторила", "публикацию {obj}"),
    "post.adapt": ("принял", "приняла", "адаптацию публикации {obj} ({details})"),
    "post.network_text": ("задал", "задала", "свой текст публикации {obj} ({details})"),
    "post.common_text": ("вернул", "вернула", "общий текст публикации {obj} ({details})"),
    "post.edit_published": ("изменил", "изменила", "текст вышедшей публикации {obj} ({details})"),
    "post.delete_published": ("удалил", "удалила", "вышедшую публикацию {obj} ({details})"),
    "comment.delete": ("удалил", "удалила", "комментарий {obj}"),
    "comment.delete_and_ban": ("удалил", "удалила", "комментарий {obj} и заблокировал(а) автора"),
    "comment.keep": ("оставил", "оставила", "комментарий {obj}"),
    "comment.hide": ("скрыл", "скрыла", "комментарий {obj}"),
    "comment.restore": ("восстановил", "восстановила", "комментарий {obj}"),
    "comment.reported": ("отправил", "отправила", "на проверку комментарий {obj}"),
    "comment.action_failed": ("не смог", "не смогла", "выполнить действие с комментарием {obj}"),
    "invite.create": ("создал", "создала", "приглашение"),
    "invite.revoke": ("отозвал", "отозвала", "приглашение"),
    "invite.accept": ("принял", "приняла", "приглашение"),
    "person.bootstrap_admin": ("вошёл", "вошла", "как первый администратор"),
    "person.revoke": ("закрыл", "закрыла", "доступ: {obj}"),
    "person.readmit": ("вернул", "вернула", "доступ: {obj}"),
    "person.role": ("изменил", "изменила", "роль: {obj}"),
    "token.rotate": ("заменил", "заменила", "ключ доступа: {details}"),
    "registry.add": ("добавил", "добавила", "в реестр аккаунт {obj}"),
    "registry.edit": ("изменил", "изменила", "в реестре аккаунт {obj}"),
    "registry.archive": ("перенёс", "перенесла", "в архив аккаунт {obj}"),
    "registry.export": ("выгрузил", "выгрузила", "реестр аккаунтов ({details})"),
    "audit.export": ("выгрузил", "выгрузила", "журнал действий"),
    "citizen.forget": ("стёр", "стёрла", "данные жителя по его просьбе ({details})"),
    "access.denied": ("получил", "получила", "отказ: {details}"),
}
# What the desk did by itself, or what strangers tried.
BY_ITSELF = {
    "post.published": "Публикация {obj} вышла",
    "post.failed": "Публикация {obj} не вышла",
    "post.partial": "Публикация {obj} вышла не во всех сетях",
    "post.missed": "Публикация {obj} пропустила своё время",
    "comment.flagged": "Комментарий {obj} отправлен на проверку",
    "comment.auto_hide": "Комментарий {obj} скрыт автоматически",
    "comment.auto_delete": "Комментарий {obj} удалён автоматически",
    "comment.raised_again": "Комментарий {obj} снова показан редакторам: срок удаления подходит",
    "digest.sent": "Утренняя сводка отправлена",
    "access.refused": "Посторонний ({who}) написал боту: отказано",
    "invite.refused": "Неверный или использованный код приглашения ({who})",
    "callback.invalid": "Нажата устаревшая или поддельная кнопка ({who})",
    "retention.purge": "Сроки хранения: удалены данные жителей ({details})",
    "token.health": "Проверка ключей доступа: {details}",
}
MALE_NAMES_IN_A = {"никита", "илья", "кузьма", "фома", "лука", "савва", "данила", "гаврила"}


def feminine(full_name: str) -> bool:
    """A guess from the name, for the verb's ending («одобрила»): first name, then surname."""
    words = full_name.lower().split()
    if not words:
        return False
    first = words[0]
    if first in MALE_NAMES_IN_A:
        return False
    if first.endswith(("а", "я")):
        return True
    return any(w.endswith(("ова", "ева", "ина", "ая", "ёва")) for w in words[1:])


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    who: str
    text: str
    action: str
    object_ref: str


@dataclass(frozen=True)
class Filter:
    person: str = ""  # a part of the name
    since: datetime | None = None
    until: datetime | None = None
    object_ref: str = ""  # "post:2", "comment:5", "person:3"

    @property
    def empty(self) -> bool:
        return not (self.person or self.since or self.until or self.object_ref)


OBJECT_WORDS = {
    "публикация": "post",
    "черновик": "post",
    "пост": "post",
    "post": "post",
    "комментарий": "comment",
    "comment": "comment",
    "сообщение": "report",
    "report": "report",
    "сотрудник": "person",
    "person": "person",
    "аккаунт": "account",
    "account": "account",
}
DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?$")


def parse_filter(text: str, today: date, tz: ZoneInfo) -> Filter:
    """`/audit` arguments: a date (25.11) or a range (20.11-25.11), an object («публикация 2»,
    «post:2»), and anything else is a part of the person's name."""
    person: list[str] = []
    since = until = None
    obj = ""
    words = text.split()
    i = 0
    while i < len(words):
        word = words[i]
        lowered = word.lower().rstrip(",")
        if ":" in lowered and lowered.split(":", 1)[0] in OBJECT_WORDS:
            kind, _, ref = lowered.partition(":")
            obj = f"{OBJECT_WORDS[kind]}:{ref.lstrip('№')}"
        elif lowered in OBJECT_WORDS and i + 1 < len(words) and words[i + 1].lstrip("№").isdigit():
            obj = f"{OBJECT_WORDS[lowered]}:{words[i + 1].lstrip('№')}"
            i += 1
        elif "-" in lowered and all(DATE_RE.match(p) for p in lowered.split("-", 1)):
            first, last = lowered.split("-", 1)
            since = _start(_date(first, today), tz)
            until = _start(_date(last, today), tz) + timedelta(days=1)
        elif DATE_RE.match(lowered):
            day = _date(lowered, today)
            since, until = _start(day, tz), _start(day, tz) + timedelta(days=1)
        else:
            person.append(word)
        i += 1
    return Filter(" ".join(person), since, until, obj)


def _date(text: str, today: date) -> date:
    match = DATE_RE.match(text)
    assert match is not None
    year = int(match[3]) if match[3] else today.year
    return date(year, int(match[2]), int(match[1]))


def _start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


class Journal:
    def __init__(
        self, uow: Callable[[], UnitOfWork], tz: ZoneInfo, clock: Callable[[], datetime]
    ) -> None:
        self._uow = uow
        self.tz = tz
        self._clock = clock

    async def entries(
        self, actor: Person, where: Filter | None = None, limit: int = 20
    ) -> list[Entry]:
        """The newest lines matching the filter, newest first (admins only)."""
        _require_admin(actor)
        where = where or Filter()
        async with self._uow() as uow:
            query = select(AuditLog)
            if where.since is not None:
                query = query.where(AuditLog.at >= where.since)
            if where.until is not None:
                query = query.where(AuditLog.at < where.until)
            if where.object_ref:
                query = query.where(AuditLog.object_ref == where.object_ref)
            if where.person:
                ids = await _people_named(uow, where.person)
                query = query.where(col(AuditLog.actor_id).in_(ids))
            query = query.order_by(col(AuditLog.seq).desc())
            if limit:
                query = query.limit(limit)
            lines = list((await uow.session.exec(query)).all())
            return [await self._entry(uow, line) for line in lines]

    async def csv(self, actor: Person, where: Filter | None = None) -> bytes:
        """All matching lines, oldest first, as CSV for a spreadsheet (UTF-8 with BOM for Excel)."""
        entries = list(reversed(await self.entries(actor, where, limit=0)))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["№", "время", "кто", "что", "действие", "объект"])
        for e in entries:
            writer.writerow([e.seq, stamp(e.at, self.tz), e.who, e.text, e.action, e.object_ref])
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    async def exported(self, actor: Person) -> None:
        """An export is itself a line of the journal."""
        from bot.people import audit

        async with self._uow() as uow:
            await audit(uow, self._clock(), "audit.export", actor=actor)
            await uow.commit()

    async def verify(self) -> Verdict:
        async with self._uow() as uow:
            return await verify(uow.session, AuditLog)

    async def _entry(self, uow: UnitOfWork, line: AuditLog) -> Entry:
        who, female = await _actor(uow, line)
        obj = await _object(uow, line.object_ref)
        fields = {"obj": obj, "details": line.details, "who": who}
        if line.action in DONE_BY and line.actor_id is not None:
            male, fem, rest = DONE_BY[line.action]
            rest = rest.replace("заблокировал(а)", "заблокировала" if female else "заблокировал")
            text = f"{who} {fem if female else male} {rest.format(**fields)}"
        elif line.action in BY_ITSELF:
            text = BY_ITSELF[line.action].format(**fields)
        else:
            text = f"{who}: {line.action} {obj}".strip()
        return Entry(line.seq or 0, line.at, who, text.strip(), line.action, line.object_ref)


def _require_admin(actor: Person) -> None:
    if actor.role != Role.admin or not actor.active:
        raise Denied("Это может делать только администратор.")


async def _people_named(uow: UnitOfWork, part: str) -> list[int]:
    needle = part.lower()
    people = (await uow.session.exec(select(Person))).all()
    return [p.id for p in people if needle in p.full_name.lower()]


async def _actor(uow: UnitOfWork, line: AuditLog) -> tuple[str, bool]:
    if line.actor_id is not None:
        person = await uow.people.get(line.actor_id)
        if person is not None:
            return person.full_name, feminine(person.full_name)
    if line.actor_ref == ANONYMOUS:
        return "аноним", False
    if line.actor_ref.startswith(("tg:", "vk:")):
        network = "Telegram" if line.actor_ref.startswith("tg:") else "ВКонтакте"
        return f"{network} {line.actor_ref[3:]}", False
    return "бот", False


def short(text: str, limit: int = 40) -> str:
    first = " ".join((text or "").strip().split("\n", 1)[0].split())
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


async def _object(uow: UnitOfWork, ref: str) -> str:
    kind, _, raw = ref.partition(":")
    if not raw.isdigit():
        return ref
    number = int(raw)
    if kind == "post":
        post = await uow.session.get(Post, number)
        return f"№{number} «{short(post.text)}»" if post else f"№{number}"
    if kind == "report":
        report = await uow.session.get(Report, number)
        return f"№{number} «{short(report.title)}»" if report else f"№{number}"
    if kind == "comment":
        comment = await uow.session.get(Comment, number)
        return (
            f"№{number} «{short(comment.text, 30)}»" if comment and comment.text else f"№{number}"
        )
    if kind == "person":
        person = await uow.people.get(number)
        return person.full_name if person else f"№{number}"
    return ref
