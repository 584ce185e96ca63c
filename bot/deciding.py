"""Deciding on a draft: approve it (then the time is asked) or reject it with a reason the
author hears."""

from __future__ import annotations

from bot.cards import decided_card
from bot.desk_core import DECIDABLE, DeskCore
from bot.domain import PostState
from bot.errors import Invalid
from bot.ports import Card
from bot.scheduling import TimeChoice
from storage.models import Person


class Deciding:
    def __init__(self, core: DeskCore, times: TimeChoice) -> None:
        self._core = core
        self._times = times

    async def approve(self, post_id: int, actor: Person) -> Card:
        """Claim the draft; the returned card asks when to publish."""
        core = self._core
        core.require_editor(actor)
        now = core.clock()
        async with core.uow() as uow:
            view = await core.view(uow, post_id)
            checks = core.checks(view)
            if all(c.problems for c in checks.values()):
                problems = "\n".join(
                    f"{n.title}: {'; '.join(c.problems)}" for n, c in checks.items()
                )
                raise Invalid(f"Эту публикацию не примет ни одна сеть:\n{problems}")
            view = await core.transition(
                uow,
                post_id,
                DECIDABLE,
                "post.approve",
                actor,
                state=PostState.approved,
                decided_by=actor.id,
                decided_at=now,
            )
        await core.update_cards(post_id, decided_card(view, "Одобрено", actor, now, core.tz))
        return self._times.when_card(view.post)

    async def start_reject(self, post_id: int, actor: Person) -> None:
        core = self._core
        core.require_editor(actor)
        async with core.uow() as uow:
            post = await core.post(uow, post_id)
            if post.state not in DECIDABLE:
                raise await core.conflict(uow, post_id)

    async def reject(self, post_id: int, actor: Person, reason: str) -> Card:
        core = self._core
        core.require_editor(actor)
        reason = reason.strip()
        if not reason:
            raise Invalid("Напишите причину — её увидит автор сообщения.")
        now = core.clock()
        async with core.uow() as uow:
            view = await core.transition(
                uow,
                post_id,
                DECIDABLE,
                "post.reject",
                actor,
                details=reason,
                state=PostState.rejected,
                decided_by=actor.id,
                decided_at=now,
                reject_reason=reason[:1000],
            )
        card = decided_card(view, "Отклонено", actor, now, core.tz)
        await core.update_cards(post_id, card)
        if view.author is not None and view.report is not None:
            await core.notifier.send(
                view.author,
                Card(
                    f"Сообщение № {view.report.id} «{view.title}» не будет опубликовано.\n"
                    f"Причина: {reason}\nРедактор: {actor.full_name}."
                ),
            )
        return card
