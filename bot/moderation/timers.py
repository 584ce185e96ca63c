"""What runs on a clock: raising comments the network will soon refuse to delete, the 48-hour dead
end («Убрать из очереди»), and the editors' morning digest."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import Network, PostState
from bot.moderation import cards
from bot.moderation.core import WAITING, ModerationCore
from bot.people import audit
from bot.ports import Card


class Timers(ModerationCore):
    async def raise_again(self) -> int:
        """Waiting comments the network will soon refuse to delete are raised with a warning."""
        now = self._clock()
        before = now - timedelta(hours=self._settings.raise_again_after_hours)
        async with self._uow() as uow:
            due = await uow.comments.to_raise_again(before, now)
        raised = 0
        for comment in due:
            async with self._uow() as uow:
                if not await uow.comments.move(comment.id, WAITING, raised_again_at=now):
                    continue
                await audit(uow, now, "comment.raised_again", obj=f"comment:{comment.id}")
                await uow.commit()
                title = await uow.comments.post_title(comment.network, comment.post_ref)
            card = cards.warning_card(comment, title, self._abilities(comment), now, self._tz)
            await self._show(comment.id, card)
            raised += 1
        return raised

    async def expire_overdue(self) -> int:
        """Waiting comments the network no longer lets us delete: their cards say so and offer
        «Убрать из очереди» (before, only «Оставить» cleared them, teaching that they were fine)."""
        now = self._clock()
        async with self._uow() as uow:
            due = await uow.comments.past_deadline(now)
        for comment in due:
            await self._expire(comment.id, now)
        return len(due)

    async def _past_deadline(self, comment_id: int, now: datetime) -> bool:
        """A tap on «Удалить» after the deadline: the card turns into the dead-end card."""
        async with self._uow() as uow:
            comment = await uow.comments.get(comment_id)
        if comment is None or comment.state not in WAITING:
            return False  # the usual conflict answer follows
        if comment.deletable_until is None or comment.deletable_until > now:
            return False
        await self._expire(comment_id, now)
        return True

    async def _expire(self, comment_id: int, now: datetime) -> None:
        async with self._uow() as uow:
            if await uow.comments.move(comment_id, ("flagged",), state="expired"):
                await audit(uow, now, "comment.expired", obj=f"comment:{comment_id}")
                await uow.commit()
            comment = await uow.comments.get(comment_id)
            title = await uow.comments.post_title(comment.network, comment.post_ref)
        if comment.state == "expired":
            await self._update_cards(comment_id, cards.expired_card(comment, title, self._tz))

    async def digest_card(self) -> Card:
        now = self._clock()
        today = now.astimezone(self._tz).date()
        async with self._uow() as uow:
            waiting = await uow.comments.in_states(WAITING)
            drafts = await uow.posts.in_states([PostState.draft])
            scheduled = await uow.posts.in_states([PostState.scheduled])
            late = await uow.reports.late_since(now - timedelta(days=1))
        deadlines: dict[str, tuple[int, int]] = {}
        for c in waiting:
            if c.deletable_until is not None and c.deletable_until > now:
                title = Network(c.network).title
                count, left = deadlines.get(title, (0, 10**6))
                deadlines[title] = (count + 1, min(left, cards.hours(c.deletable_until - now)))
        times = [
            f"{p.scheduled_at.astimezone(self._tz):%H:%M}"
            for p in scheduled
            if p.scheduled_at and p.scheduled_at.astimezone(self._tz).date() == today
        ]
        late_names = [f"{name or 'без отдела'} (№ {r.id})" for r, name in late]
        extra = [part for section in self.digest_sections if (part := await section(now))]
        return cards.digest_card(
            cards.DigestData(
                waiting=len(waiting),
                oldest_hours=cards.hours(now - waiting[0].written_at) if waiting else 0,
                deadlines=deadlines,
                drafts=len(drafts),
                today_times=times,
                late_reports=late_names,
            ),
            extra,
        )

    async def send_digest(self) -> int:
        """The morning digest to every editor; returns how many got it."""
        card = await self.digest_card()
        sent = 0
        for editor in await self._editors():
            if await self._notifier.send(editor, card) is not None:
                sent += 1
        async with self._uow() as uow:
            await audit(uow, self._clock(), "digest.sent", details=f"{sent} editors")
            await uow.commit()
        return sent
