"""Secret, revocable links to the plan outside the chat (the ICS feed and the HTML page).

A link carries a random token (`secrets.token_urlsafe`); only its SHA-256 is stored, so the
database alone does not give the link away. Issuing a new link revokes the old ones: editors
subscribe their phones to the one link shown to them, and «Отозвать» shuts every copy out (the
server then answers 404, as for a link that never existed).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta

from bot.errors import Invalid
from bot.people import audit
from bot.plan import Plan, monday, require_editor
from bot.plan_export import html_page, ics
from bot.ports import Action, Button, Card
from storage.models import FeedToken, Person
from storage.uow import UnitOfWork

FEED_WEEKS_BACK = 4
FEED_WEEKS_AHEAD = 12
# /feed's words, the same in Telegram and VK (the links' text names /feed, typed in both).
OFFER = (
    "Ссылка на график для календаря в телефоне (ICS) и на страницу графика. Она секретная: "
    "кто её знает, видит график. Новая ссылка отменяет прежнюю."
)
NO_WEB = "Веб-сервер бота выключен в настройках ([web] enabled) — ссылку выдать нельзя."
REVOKED = "Ссылка отозвана: по ней график больше не открывается."
NONE_ACTIVE = "Действующих ссылок не было."


def links_text(calendar: str, page: str) -> str:
    return (
        f"Календарь (подписаться в телефоне):\n{calendar}\n\nСтраница графика:\n{page}\n\n"
        "Прежние ссылки больше не работают. Отозвать эту: /feed"
    )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FeedLinks:
    def __init__(
        self, uow: Callable[[], UnitOfWork], plan: Plan, clock: Callable[[], datetime]
    ) -> None:
        self._uow = uow
        self._plan = plan
        self._clock = clock
        self.base_url = ""  # set by the web server once it listens

    def urls(self, token: str) -> tuple[str, str]:
        return f"{self.base_url}/plan/{token}.ics", f"{self.base_url}/plan/{token}.html"

    # ---- /feed in chat: the same card and answers for every chat ------------------------------
    def offer(self, actor: Person) -> Card:
        require_editor(actor)
        buttons = (
            Button("Получить новую ссылку", Action.feed_new),
            Button("Отозвать ссылку", Action.feed_revoke),
        )
        return Card(OFFER, buttons=(buttons,))

    async def new_link(self, actor: Person) -> Card:
        """A new link (the old ones stop working); refused when the web server is off."""
        require_editor(actor)
        if not self.base_url:
            raise Invalid(NO_WEB)
        return Card(links_text(*self.urls(await self.issue(actor))))

    async def revoke_link(self, actor: Person) -> Card:
        return Card(REVOKED if await self.revoke(actor) else NONE_ACTIVE)

    async def issue(self, actor: Person) -> str:
        require_editor(actor)
        token = secrets.token_urlsafe(24)
        now = self._clock()
        async with self._uow() as uow:
            await uow.feeds.revoke_all(now)
            await uow.feeds.add(
                FeedToken(token_hash=digest(token), created_by=actor.id, created_at=now)
            )
            await audit(uow, now, "plan.feed_issued", actor=actor)
            await uow.commit()
        return token

    async def revoke(self, actor: Person) -> int:
        require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            count = await uow.feeds.revoke_all(now)
            await audit(uow, now, "plan.feed_revoked", actor=actor, details=f"{count}")
            await uow.commit()
        return count

    async def valid(self, token: str) -> bool:
        if not token or len(token) > 100:
            return False
        async with self._uow() as uow:
            return await uow.feeds.valid(digest(token))

    async def calendar(self) -> bytes:
        first = monday(self._plan.today()) - timedelta(weeks=FEED_WEEKS_BACK)
        last = first + timedelta(weeks=FEED_WEEKS_BACK + FEED_WEEKS_AHEAD) - timedelta(days=1)
        entries = await self._plan.entries(first, last)
        return ics(entries, self._plan.tz)

    async def page(self, token: str, week: date | None = None) -> str:
        first = monday(week or self._plan.today())
        shown = await self._plan.week(first)
        base = f"{self.base_url}/plan/{token}.html"
        nav = [
            ("‹ Неделя", f"{base}?week={first - timedelta(days=7)}"),
            ("Эта неделя", base),
            ("Неделя ›", f"{base}?week={first + timedelta(days=7)}"),
        ]
        return html_page(shown, self._plan.titles(), nav)
