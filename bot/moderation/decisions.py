"""Editors' decisions: one tap acts on the network, every copy of the card shows who decided, and
the decision becomes a training example (except «Убрать из очереди» and edited comments)."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Network
from bot.errors import Invalid, NotFound
from bot.moderation import cards
from bot.moderation.core import ACTS_ON_NETWORK, DECISIONS, TOXIC, WAITING
from bot.moderation.timers import Timers
from bot.people import audit
from bot.ports import Card, CommentModerator, IncomingComment, ModerationFailed
from storage.models import Comment, ModerationExample, Person
from storage.uow import UnitOfWork
from storage.versions import CommentVersions


class Decisions(Timers):  # a tap past the deadline turns the card into the dead-end one
    async def decide(self, comment_id: int, actor: Person, decision: str) -> str:
        """One tap: act on the network, then every copy of the card shows who decided and when.

        Returns the short answer for the person who tapped.
        """
        self._require_editor(actor)
        if decision not in DECISIONS:
            raise Invalid("Такого решения нет.")
        final, action = DECISIONS[decision]
        now = self._clock()
        if decision in ACTS_ON_NETWORK and await self._past_deadline(comment_id, now):
            raise Invalid(cards.PAST_DEADLINE)
        async with self._uow() as uow:
            if not await uow.comments.move(
                comment_id, WAITING, state="deciding", decided_by=actor.id, decided_at=now
            ):
                raise await self._conflict(uow, comment_id)
            comment = await uow.comments.get(comment_id)
            await uow.commit()
        note = ""
        if decision in ACTS_ON_NETWORK:
            moderator = self._moderators.get(Network(comment.network))
            try:
                if moderator is None:
                    raise ModerationFailed("эта сеть сейчас не подключена к боту")
                ref = self._incoming(comment)
                if decision == "hide":
                    await moderator.hide(ref)
                else:
                    await self._delete(moderator, ref)
            except ModerationFailed as exc:
                await self._undo_claim(comment_id, actor, decision, exc)
                raise Invalid(
                    f"Не получилось: {exc.message}. Комментарий остался на проверке — "
                    "попробуйте ещё раз или удалите его в самой сети."
                ) from exc
            if decision == "ban":
                try:
                    await moderator.ban(ref)
                except ModerationFailed as exc:
                    final, action = "deleted", "comment.delete"
                    note = f"Заблокировать автора не получилось: {exc.message}."
        async with self._uow() as uow:
            await uow.comments.move(comment_id, ("deciding",), state=final, decision=decision)
            versions = await CommentVersions(uow.session).of(comment_id)
            edited = len(versions) > 1
            flagged_for = next((v.categories for v in reversed(versions) if v.categories), "")
            why = cards.reason_text(comment)
            if not comment.categories and flagged_for:  # the edit was clean; the card was not
                why = ", ".join(cards.CATEGORY_TITLES.get(c, c) for c in flagged_for.split(","))
            details = (
                f"{comment.network} {comment.external_id}; причина: {why}; "
                f"{await self._what(uow, comment)} {note}"
            ).strip()
            await audit(uow, now, action, actor=actor, obj=f"comment:{comment_id}", details=details)
            # taken off the queue: no lesson either way; an edited comment teaches nothing
            # either (the verdict was given for another text than the one there now)
            if decision != "dismiss" and not edited:
                await self._learn(uow, comment, keep=decision == "keep", now=now)
            await uow.commit()
            comment = await uow.comments.get(comment_id)
            title = await uow.comments.post_title(comment.network, comment.post_ref)
        await self._update_cards(
            comment_id, cards.decided_card(comment, title, actor, self._tz, note)
        )
        return note or f"Готово: {cards.OUTCOMES[final].lower()}."

    async def restore(self, comment_id: int, actor: Person) -> str:
        """«Вернуть» after an automatic action: the comment goes back, the rule was wrong."""
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            comment = await uow.comments.get(comment_id)
            if comment is None:
                raise NotFound("Этого комментария больше нет.")
            # move() refreshes `comment`: what to put back if the network refuses
            before = {
                "state": comment.state,
                "decided_by": comment.decided_by,
                "decided_at": comment.decided_at,
            }
            if not (comment.decision or "").startswith("auto_") or not await uow.comments.move(
                comment_id,
                ("deleted", "hidden"),
                state="deciding",
                decided_by=actor.id,
                decided_at=now,
            ):
                raise await self._conflict(uow, comment_id)
            await uow.commit()
        moderator = self._moderators.get(Network(comment.network))
        try:
            can_undo = moderator is not None and (
                moderator.can_hide if before["state"] == "hidden" else moderator.can_restore
            )
            if moderator is None or not can_undo:
                raise ModerationFailed("эта сеть не умеет возвращать комментарии")
            await moderator.restore(self._incoming(comment))
        except ModerationFailed as exc:
            async with self._uow() as uow:
                await uow.comments.move(comment_id, ("deciding",), **before)
                await uow.commit()
            raise Invalid(f"Не получилось вернуть: {exc.message}.") from exc
        async with self._uow() as uow:
            await uow.comments.move(comment_id, ("deciding",), state="restored", decision="restore")
            await audit(uow, now, "comment.restore", actor=actor, obj=f"comment:{comment_id}")
            await self._learn(uow, comment, keep=True, now=now)
            await uow.commit()
            comment = await uow.comments.get(comment_id)
            title = await uow.comments.post_title(comment.network, comment.post_ref)
        await self._update_cards(comment_id, cards.decided_card(comment, title, actor, self._tz))
        return "Готово: комментарий возвращён."

    @staticmethod
    async def _delete(moderator: CommentModerator, ref: IncomingComment) -> None:
        try:
            await moderator.delete(ref)
        except ModerationFailed as exc:
            if not exc.gone:  # already gone is what the editor wanted
                raise

    async def _undo_claim(
        self, comment_id: int, actor: Person, decision: str, exc: ModerationFailed
    ) -> None:
        async with self._uow() as uow:
            await uow.comments.move(
                comment_id, ("deciding",), state="flagged", decided_by=None, decided_at=None
            )
            details = f"{decision}: {exc.detail or exc.message}"
            await audit(
                uow,
                self._clock(),
                "comment.action_failed",
                actor=actor,
                obj=f"comment:{comment_id}",
                details=details,
            )
            await uow.commit()

    async def _learn(self, uow: UnitOfWork, comment: Comment, keep: bool, now: datetime) -> None:
        """A decision becomes a training example for the next `pressdesk moderation train`."""
        if not comment.text:
            return
        categories = set(filter(None, comment.categories.split(",")))
        heads = set()
        if categories & set(TOXIC):
            heads.add("toxic")
        if "spam" in categories:
            heads.add("spam")
        if not heads and not keep:
            # The classifier missed it (an editor's link): the likelier head learns it.
            toxic, _, spam = self.classifier.scores(comment.text)
            heads.add("spam" if spam > toxic else "toxic")
        for head in sorted(heads):
            await uow.examples.add(
                ModerationExample(
                    comment_id=comment.id,
                    text=comment.text,
                    head=head,
                    label=not keep,
                    created_at=now,
                )
            )

    async def waiting(self, actor: Person) -> list[tuple[int, Card]]:
        """Cards of the comments waiting for a decision, oldest first."""
        self._require_editor(actor)
        async with self._uow() as uow:
            found = await uow.comments.in_states(WAITING)
            titles = [await uow.comments.post_title(c.network, c.post_ref) for c in found]
        return [(c.id, self._waiting_card(c, t)) for c, t in zip(found, titles, strict=True)]
