"""After approval: when (quick choices or a typed time), where (the networks), confirm; then
reschedule, cancel or retry. The publishing itself is the outbox's (bot/publishing.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.cards import (
    cancelled_for_author,
    cancelled_for_editor,
    scheduled_card,
    status_card,
    where_card,
)
from bot.cards import when_card as when_card_for
from bot.config import Config
from bot.dates import human_when, parse_when
from bot.desk_core import DeskCore
from bot.domain import Network, PostState, PublicationState
from bot.errors import Invalid
from bot.people import audit
from bot.ports import Card
from bot.publishing import Outbox
from storage.models import Person, Post


class TimeChoice:
    """The times an editor may pick: the configured quick choices still ahead, or typed text."""

    def __init__(self, config: Config, clock: Callable[[], datetime]) -> None:
        self._config = config
        self._clock = clock
        self._tz = config.desk.tz

    def _quick_moment(self, label: str, now: datetime) -> datetime | None:
        """The moment a quick choice such as «сегодня 18:00» names, if it is still ahead."""
        moment = parse_when(label, now, self._tz)
        return moment if moment is not None and moment > now else None

    def quick_times(self) -> list[tuple[str, str]]:
        now = self._clock()
        return [
            (label[:1].upper() + label[1:], f"q{index}")
            for index, label in enumerate(self._config.publish.quick_times)
            if self._quick_moment(label, now) is not None
        ]

    def when_card(self, post: Post) -> Card:
        return when_card_for(post, self.quick_times())

    def resolve_when(self, arg: str) -> datetime:
        now = self._clock()
        if arg == "now":
            return now
        quick = self._config.publish.quick_times
        if arg.startswith("q") and arg[1:].isdigit() and int(arg[1:]) < len(quick):
            moment = self._quick_moment(quick[int(arg[1:])], now)
            if moment is not None:
                return moment
        raise Invalid("Это время уже прошло. Выберите другое.")

    def parse_time(self, text: str) -> datetime:
        moment = parse_when(text, self._clock(), self._tz)
        if moment is None:
            raise Invalid(
                "Не понял время. Напишите, например: «завтра 10:30», «25.11 14:00» или «18:00»."
            )
        if moment <= self._clock():
            when = human_when(moment, self._clock(), self._tz)
            raise Invalid(f"Это время уже прошло ({when}). Напишите время в будущем.")
        return moment


class Scheduling:
    def __init__(self, core: DeskCore, times: TimeChoice) -> None:
        self._core = core
        self._times = times
        self.outbox: Outbox  # set by the application: publishing lives there

    async def set_time(self, post_id: int, actor: Person, when: datetime) -> Card:
        """Time chosen; publication rows default to every network that accepts the post."""
        core = self._core
        core.require_editor(actor)
        now = core.clock()
        async with core.uow() as uow:
            view = await core.view(uow, post_id)
            if not await uow.posts.move(
                post_id, (PostState.approved,), scheduled_at=when, updated_at=now
            ):
                raise await core.conflict(uow, post_id)
            checks = core.checks(view)  # text and media only: the same after the move
            if not view.publications:
                for network, check in checks.items():
                    if not check.problems:
                        await uow.publications.add(core.new_publication(post_id, network, now))
            await uow.commit()
            view = await core.view(uow, post_id)
        return where_card(view, checks, now, core.tz)

    async def toggle_network(self, post_id: int, actor: Person, network: str) -> Card:
        core = self._core
        core.require_editor(actor)
        try:
            target = Network(network)
        except ValueError:
            raise Invalid("Такой сети нет в настройках.") from None
        now = core.clock()
        async with core.uow() as uow:
            view = await core.view(uow, post_id)
            if view.post.state != PostState.approved:
                raise await core.conflict(uow, post_id)
            checks = core.checks(view)
            if target not in checks:
                raise Invalid(f"{target.title} не подключена в настройках.")
            existing = next((p for p in view.publications if p.network == target), None)
            if existing is not None:
                await uow.publications.remove(existing)
            elif checks[target].problems:
                raise Invalid(f"{target.title}: {'; '.join(checks[target].problems)}")
            else:
                await uow.publications.add(core.new_publication(post_id, target, now))
            await uow.commit()
            view = await core.view(uow, post_id)
        return where_card(view, checks, now, core.tz)

    async def confirm(self, post_id: int, actor: Person) -> Card:
        core = self._core
        core.require_editor(actor)
        now = core.clock()
        async with core.uow() as uow:
            view = await core.view(uow, post_id)
            if not view.publications:
                raise Invalid("Выберите хотя бы одну сеть.")
            if view.post.scheduled_at is None:
                raise Invalid("Сначала выберите время.")
            when = max(view.post.scheduled_at, now)
            if not await uow.posts.move(
                post_id,
                (PostState.approved,),
                state=PostState.scheduled,
                scheduled_at=when,
                updated_at=now,
            ):
                raise await core.conflict(uow, post_id)
            await self.outbox.schedule(uow, post_id, when, now)
            planned = [(post_id, when)]
            for hook in core.hooks:
                planned += await hook.scheduled(uow, post_id, when, actor, now)
            await audit(
                uow,
                now,
                "post.schedule",
                actor=actor,
                obj=f"post:{post_id}",
                details=when.isoformat(),
            )
            await uow.commit()
            view = await core.view(uow, post_id)
        for planned_id, at in planned:
            core.plan(planned_id, at)
        await core.update_cards(post_id, status_card(view, now, core.tz))
        return scheduled_card(view, now, core.tz)

    async def reschedule(self, post_id: int, actor: Person) -> Card:
        """Back from scheduled to approved (the timer stops), then ask the time again."""
        core = self._core
        core.require_editor(actor)
        async with core.uow() as uow:
            await self.outbox.unschedule(uow, post_id, core.clock())
            for hook in core.hooks:
                await hook.cancelled(uow, post_id, actor, core.clock())
            view = await core.transition(
                uow,
                post_id,
                (PostState.scheduled, PostState.approved),
                "post.reschedule",
                actor,
                state=PostState.approved,
            )
        core.unplan(post_id)
        await core.update_cards(post_id, status_card(view, core.clock(), core.tz))
        return self._times.when_card(view.post)

    async def cancel(self, post_id: int, actor: Person) -> Card:
        """The publication is called off; the post goes back to the drafts, and its author hears.

        What already went out stays recorded; the networks not yet posted to are dropped, so a
        later approval chooses them afresh."""
        core = self._core
        core.require_editor(actor)
        cancellable = (PostState.scheduled, PostState.approved, PostState.failed)
        now = core.clock()
        async with core.uow() as uow:
            await self.outbox.unschedule(uow, post_id, now)  # refused while one is on its way
            for hook in core.hooks:
                await hook.cancelled(uow, post_id, actor, now)
            reset = {"scheduled_at": None, "decided_by": None, "decided_at": None}
            if not await uow.posts.move(
                post_id, cancellable, state=PostState.draft, updated_at=now, **reset
            ):
                raise await core.conflict(uow, post_id)
            for publication in await uow.publications.for_post(post_id):
                if publication.state != PublicationState.published:
                    await uow.publications.remove(publication)
            await audit(uow, now, "post.cancel", actor=actor, obj=f"post:{post_id}")
            await uow.commit()
            view = await core.view(uow, post_id)
        core.unplan(post_id)
        await core.update_cards(post_id, status_card(view, now, core.tz))
        if view.author is not None and view.author.id != actor.id:
            await core.notifier.send(view.author, cancelled_for_author(view, actor))
        card = core.preview(view)
        return replace(card, text=f"{cancelled_for_editor(view)}\n\n{card.text}")

    async def retry(self, post_id: int, actor: Person, network: str = "") -> Card:
        """«Повторить» on a failure: that network (or every failed one) goes out again."""
        return await self.outbox.retry(post_id, actor, network)

    async def ask_schedule(self, post_id: int, actor: Person) -> Card:
        core = self._core
        core.require_editor(actor)
        async with core.uow() as uow:
            post = await core.post(uow, post_id)
            if post.state != PostState.approved:
                raise await core.conflict(uow, post_id)
        return self._times.when_card(post)
