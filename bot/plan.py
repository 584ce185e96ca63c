"""The publication plan («график выхода и содержания публикаций», order 1.2.2): a week by day.

Each day has its slots per network (`[plan] slots`, `network_slots`); in them the week's posts
(scheduled, being published, published with links, failed), the editors' plan items and the
announced events still waiting for a report. Everything is read from the tables in a few
queries, never from the Desk's internals. Moving a scheduled post is a compare-and-set on the
post's time (it stays `scheduled`), then the timer is set again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.config import Config
from bot.dates import human_when, parse_date
from bot.domain import Network, PostState, Role
from bot.errors import Conflict, Denied, Invalid, NotFound
from bot.people import audit
from bot.ports import Planner
from bot.workdays import WorkCalendar
from storage.models import Department, Person, PlanItem, Post, Publication, Report
from storage.uow import UnitOfWork

SHOWN_STATES = (
    PostState.scheduled,
    PostState.publishing,
    PostState.published,
    PostState.failed,
)
MARKS = {
    "published": "✅",
    "scheduled": "🕓",
    "publishing": "⏳",
    "failed": "⚠️",
    "planned": "📝",
    "announced": "📣",
}
LEGEND = "✅ вышло · 🕓 запланировано · 📝 в плане · 📣 анонс, ждём сообщение · ⚠️ не вышло"
TITLE_LIMIT = 300


@dataclass(frozen=True)
class Entry:
    """One thing in the plan; `kind` is a post's state, "planned" or "announced"."""

    kind: str
    day: date
    time: str  # "HH:MM" local, or "" for the whole day
    title: str
    networks: tuple[str, ...] = ()  # titles, as people read them
    links: tuple[tuple[str, str], ...] = ()  # (network title, url) of what came out
    post_id: int = 0
    ref: int = 0  # the plan item's or the announcement's id
    department: str = ""
    network_values: tuple[str, ...] = ()  # a post's networks, to find its free slots

    @property
    def mark(self) -> str:
        return MARKS.get(self.kind, "•")


@dataclass
class Day:
    day: date
    entries: list[Entry] = field(default_factory=list)
    free: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # time, networks free
    working: bool = True


@dataclass
class Week:
    first: date
    days: list[Day]
    slots: dict[str, tuple[str, ...]]  # network value -> its slots

    @property
    def last(self) -> date:
        return self.first + timedelta(days=6)

    def entries(self) -> list[Entry]:
        return [e for d in self.days for e in d.entries]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Plan:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        config: Config,
        clock: Callable[[], datetime],
        networks: Sequence[Network],
        planner: Planner | None = None,
    ) -> None:
        self._uow = uow
        self._settings = config.plan
        self._tz = config.desk.tz
        self._clock = clock
        self.networks = list(networks)
        self.planner = planner
        self.calendar = WorkCalendar(config.duty.calendar)

    def today(self) -> date:
        return self._clock().astimezone(self._tz).date()

    def now(self) -> datetime:
        return self._clock()

    async def item(self, item_id: int) -> PlanItem:
        async with self._uow() as uow:
            item = await uow.plan_items.get(item_id)
        if item is None or item.cancelled:
            raise NotFound("Этого пункта в плане уже нет.")
        return item

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def titles(self) -> dict[str, str]:
        return {n.value: n.title for n in self.networks}

    def slots(self) -> dict[str, tuple[str, ...]]:
        custom = self._settings.network_slots
        return {n.value: tuple(custom.get(n.value, self._settings.slots)) for n in self.networks}

    def local(self, day: date, at: str) -> datetime:
        return datetime.combine(day, time.fromisoformat(at), tzinfo=self._tz).astimezone(UTC)

    # ---- reading ------------------------------------------------------------------------------
    async def entries(self, first: date, last: date) -> list[Entry]:
        """Everything planned for these days (inclusive), in time order."""
        start = self.local(first, "00:00")
        end = self.local(last + timedelta(days=1), "00:00")
        async with self._uow() as uow:
            posts = (
                await uow.session.exec(
                    select(Post, Report.title)
                    .join(Report, col(Report.id) == Post.report_id, isouter=True)
                    .where(
                        col(Post.state).in_(SHOWN_STATES),
                        col(Post.scheduled_at) >= start,
                        col(Post.scheduled_at) < end,
                    )
                )
            ).all()
            ids = [post.id for post, _ in posts]
            publications = (
                (
                    await uow.session.exec(
                        select(Publication)
                        .where(col(Publication.post_id).in_(ids))
                        .order_by(col(Publication.id))
                    )
                ).all()
                if ids
                else []
            )
            items = await uow.plan_items.between(first, last)
            announced = await uow.announcements.between(first, last)
            departments = {d.id: d.name for d in (await uow.session.exec(select(Department)))}
        by_post: dict[int, list[Publication]] = {}
        for pub in publications:
            by_post.setdefault(pub.post_id, []).append(pub)
        entries = [self._post_entry(post, title, by_post.get(post.id, [])) for post, title in posts]
        entries += [
            Entry(
                "planned",
                item.day,
                item.slot,
                item.title,
                tuple(x.strip() for x in item.networks.split(",") if x.strip()),
                ref=item.id or 0,
            )
            for item in items
        ]
        entries += [
            Entry(
                "announced",
                a.event_date,
                "",
                a.title,
                ref=a.id or 0,
                department=departments.get(a.department_id, ""),
            )
            for a, reported in announced
            if not reported
        ]
        return sorted(entries, key=lambda e: (e.day, e.time or "99", e.kind, e.title))

    def _post_entry(self, post: Post, title: str | None, pubs: list[Publication]) -> Entry:
        local = post.scheduled_at.astimezone(self._tz)
        if not title:
            lines = post.text.strip().splitlines()
            title = lines[0][:80] if lines else "Без названия"
        return Entry(
            post.state,
            local.date(),
            f"{local:%H:%M}",
            title,
            tuple(Network(p.network).title for p in pubs),
            tuple((Network(p.network).title, p.url) for p in pubs if p.url),
            post_id=post.id or 0,
            network_values=tuple(p.network for p in pubs),
        )

    async def week(self, first: date) -> Week:
        first = monday(first)
        slots = self.slots()
        entries = await self.entries(first, first + timedelta(days=6))
        now = self._clock()
        days = []
        for offset in range(7):
            day = first + timedelta(days=offset)
            today = [e for e in entries if e.day == day]
            days.append(
                Day(
                    day,
                    today,
                    self._free(day, today, slots, now),
                    self.calendar.is_working_day(day),
                )
            )
        return Week(first, days, slots)

    def _free(
        self, day: date, entries: list[Entry], slots: dict[str, tuple[str, ...]], now: datetime
    ) -> list[tuple[str, tuple[str, ...]]]:
        """The day's slots still ahead with the networks that have nothing in them."""
        taken = {(e.time, n) for e in entries if e.post_id for n in e.network_values}
        # A plan item with a time holds that slot for the networks it names (all, if none).
        for e in entries:
            if e.kind == "planned" and e.time:
                named = [n for n in slots if Network(n).title in e.networks]
                taken |= {(e.time, n) for n in (named or (slots if not e.networks else []))}
        free: list[tuple[str, tuple[str, ...]]] = []
        for at in sorted({t for times in slots.values() for t in times}):
            if self.local(day, at) <= now:
                continue
            networks = tuple(
                n for n, times in slots.items() if at in times and (at, n) not in taken
            )
            if networks:
                free.append((at, networks))
        return free

    async def free_slots(self, post_id: int, first: date, limit: int = 9) -> list[datetime]:
        """Where a scheduled post can move: slots ahead, in this week and the next, where none
        of its networks has a post yet."""
        week = await self.week(first)
        following = await self.week(week.first + timedelta(days=7))
        entry = next(
            (e for e in week.entries() + following.entries() if e.post_id == post_id), None
        )
        own = set(entry.network_values) if entry else {n.value for n in self.networks}
        moments = []
        for day in week.days + following.days:
            for at, networks in day.free:
                if own <= set(networks):
                    moments.append(self.local(day.day, at))
        return moments[:limit]

    # ---- changing -----------------------------------------------------------------------------
    async def move(self, post_id: int, actor: Person, when: datetime) -> str:
        """A scheduled post to another time; the answer for the editor."""
        require_editor(actor)
        now = self._clock()
        if when <= now:
            raise Invalid("Это время уже прошло. Выберите другое.")
        async with self._uow() as uow:
            post = await uow.posts.get(post_id)
            if post is None:
                raise NotFound("Этой публикации больше нет.")
            before = post.scheduled_at
            if not await uow.posts.move(
                post_id, (PostState.scheduled,), scheduled_at=when, updated_at=now
            ):
                await uow.session.refresh(post)
                raise Conflict(f"Перенести уже нельзя: публикация {PostState(post.state).title}.")
            await uow.outbox.schedule_post(post_id, when, now)  # what the outbox publishes by
            await audit(
                uow,
                now,
                "post.move",
                actor=actor,
                obj=f"post:{post_id}",
                details=f"{before.isoformat() if before else ''} -> {when.isoformat()}",
            )
            await uow.commit()
        if self.planner is not None:
            self.planner.plan(post_id, when)
        return f"Перенесено на {human_when(when, now, self._tz)}."

    async def add_item(self, actor: Person, text: str) -> PlanItem:
        """«Пост ко Дню района, 12.12, ВКонтакте и ОК»: title, day (and time), networks."""
        require_editor(actor)
        title, day, slot, networks = self.parse_item(text)
        now = self._clock()
        async with self._uow() as uow:
            item = await uow.plan_items.add(
                PlanItem(
                    title=title,
                    day=day,
                    slot=slot,
                    networks=", ".join(networks),
                    created_by=actor.id,
                    created_at=now,
                )
            )
            await audit(uow, now, "plan.add", actor=actor, obj=f"plan:{item.id}")
            await uow.commit()
        return item

    async def remove_item(self, item_id: int, actor: Person) -> None:
        require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            item = await uow.plan_items.get(item_id)
            if item is None or item.cancelled:
                raise NotFound("Этого пункта в плане уже нет.")
            item.cancelled = True
            await audit(uow, now, "plan.remove", actor=actor, obj=f"plan:{item_id}")
            await uow.commit()

    def parse_item(self, text: str) -> tuple[str, date, str, list[str]]:
        parts = [p.strip() for p in re.split(r"[,;\n]", text) if p.strip()]
        if len(parts) < 2:
            raise Invalid(ITEM_HELP)
        title, rest = parts[0], parts[1:]
        if len(title) > TITLE_LIMIT:
            raise Invalid(f"Название длиннее {TITLE_LIMIT} знаков. Сократите, пожалуйста.")
        today = self.today()
        day, slot, labels = None, "", []
        for part in rest:
            words = part.split()
            if day is None and (found := self._date(words[0], today)) is not None:
                day = found
                if len(words) > 1 and re.fullmatch(r"\d{1,2}[:.]\d{2}", words[1]):
                    slot = words[1].replace(".", ":").zfill(5)
                continue
            if re.fullmatch(r"\d{1,2}[:.]\d{2}", part):
                slot = part.replace(".", ":").zfill(5)
                continue
            labels += [self.network_label(w) for w in re.split(r"\s+и\s+|\s+", part) if w]
        if day is None:
            raise Invalid(f"Не нашёл дату. {ITEM_HELP}")
        if day < today:
            raise Invalid("Эта дата уже прошла. Напишите дату впереди.")
        return title, day, slot, [x for x in labels if x]

    @staticmethod
    def _date(word: str, today: date) -> date | None:
        value = parse_date(word, today)
        if value is not None and value < today and not re.search(r"\d{4}", word):
            try:
                return value.replace(year=value.year + 1)
            except ValueError:
                return None
        return value

    def network_label(self, word: str) -> str:
        """A network named in a plan item, as the office writes it: its title, its name in
        the settings, that name in Cyrillic («ОК») or its initials («ВК»); other words stay."""
        lowered = word.strip(" .").lower()
        if lowered in ("и", ""):
            return ""
        for network in Network:
            initials = "".join(ch for ch in network.title if ch.isupper()).lower()
            spelled = network.value.translate(CYRILLIC)  # «ок», «макс»
            if lowered in (network.value, network.title.lower(), initials, spelled):
                return network.title
        return word.strip(" .")


# Latin letters as people spell a network's short name in Cyrillic: "ok" -> «ок».
CYRILLIC = str.maketrans(
    {"a": "а", "b": "б", "e": "е", "i": "и", "k": "к", "m": "м", "o": "о", "t": "т", "x": "кс"}
)
ITEM_HELP = (
    "Напишите одной строкой через запятую: что, когда и где, например: "
    "«Пост ко Дню района, 12.12, ВКонтакте и ОК» (можно со временем: «12.12 13:00»)."
)


def require_editor(actor: Person) -> None:
    if not actor.active or not Role(actor.role).can_edit():
        raise Denied("Это могут делать только редакторы пресс-службы.")
