"""The moderation loop: comments in, classified, flagged ones to the editors, one decision wins.

Chat- and network-agnostic: networks are CommentModerators, chats are a Notifier (people) and a
RoomNotifier (the editors' group). Like the Desk, each public method opens its own unit of work,
moves the comment's state with a compare-and-set, commits, and only then acts or tells people.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.cards import short_name
from bot.config import Config
from bot.domain import Network, PostState, Role
from bot.errors import Conflict, Denied, Invalid, NotFound
from bot.moderation import cards
from bot.moderation.classifier import CLEAN, Classifier, Verdict, mark
from bot.moderation.learning import ModelKeeper, retrain_office_model
from bot.moderation.second_opinion import SecondOpinion, annotate
from bot.people import audit
from bot.ports import (
    Card,
    CardRef,
    CommentModerator,
    DigestSection,
    IncomingComment,
    ModerationFailed,
    Notifier,
    RoomNotifier,
)
from storage.models import Comment, ModerationExample, Person
from storage.uow import UnitOfWork
from storage.versions import CommentVersions

log = logging.getLogger(__name__)

# "expired": still waiting, but the network no longer lets the bot delete it (Telegram's 48 hours)
WAITING = ("flagged", "expired")
TOXIC = ("obscenity", "insult", "threat")
# decision -> (final state, audit action)
DECISIONS = {
    "delete": ("deleted", "comment.delete"),
    "ban": ("banned", "comment.delete_and_ban"),
    "keep": ("kept", "comment.keep"),
    "hide": ("hidden", "comment.hide"),
    "dismiss": ("dismissed", "comment.dismiss"),  # off the queue, teaches nothing
}
ACTS_ON_NETWORK = ("delete", "ban", "hide")
CONFLICT = {
    "deciding": "Решение по этому комментарию уже принимает",
    "deleted": "Комментарий уже удалён",
    "banned": "Комментарий уже удалён, автор заблокирован",
    "kept": "Комментарий уже оставлен",
    "hidden": "Комментарий уже скрыт",
    "dismissed": "Комментарий уже убран из очереди",
    "restored": "Комментарий уже возвращён",
    "gone": "Комментарий уже удалён в сети",
    "clean": "Этот комментарий не на проверке",
}
CARD_KIND = "comment"
SHOWN_AT_ONCE = 20


@dataclass(frozen=True)
class Flagged:
    comment_id: int
    auto: bool


def verdict_columns(text: str, verdict: Verdict) -> dict:
    """A verdict as the comment row keeps it."""
    return {
        "categories": ",".join(verdict.categories),
        "score": verdict.score,
        "reasons": "; ".join(verdict.reasons),
        "marked": mark(text, verdict) if verdict.spans else "",
    }


class Moderation:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        room: RoomNotifier | None,
        moderators: dict[Network, CommentModerator],
        config: Config,
        clock: Callable[[], datetime],
        classifier: Classifier | None = None,
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._room = room
        self._moderators = moderators
        self._config = config
        self._settings = config.moderation
        self._clock = clock
        self._tz = config.desk.tz
        self._classifier = classifier
        self._models = ModelKeeper(self._settings.model_path, self._settings.stop_list)
        self._opinion = SecondOpinion(self._settings.second_opinion)
        self._catching_up = asyncio.Lock()
        # Other features' parts of the morning digest (the reporting duty, …), in this order.
        self.digest_sections: list[DigestSection] = []
        # An admin is told once when something stops (bot.alerts.AdminAlerts.once).
        self.on_trouble: Callable[[str, str], Awaitable[object]] | None = None

    def moderator(self, network: Network) -> CommentModerator | None:
        return self._moderators.get(network)

    def moderators(self) -> dict[Network, CommentModerator]:
        return dict(self._moderators)

    async def close(self) -> None:
        await self._opinion.close()
        for moderator in self._moderators.values():
            await moderator.close()

    # ---- the classifier -----------------------------------------------------------------------
    @property
    def classifier(self) -> Classifier:
        # A model retrained with the office's decisions wins over the shipped one, and a newer
        # file (the nightly retrain, here or in another instance) is picked up without a restart.
        return self._classifier or self._models.classifier

    async def retrain(self) -> str:
        """The nightly job: the model adapted to every editor's decision so far, then reloaded."""
        answer = await retrain_office_model(
            self._models, self._uow, self._tell_editors, self._clock
        )
        self._classifier = None  # an injected classifier gives way to the retrained one
        return answer

    async def _tell_editors(self, text: str) -> None:
        for editor in await self._editors():
            await self._notifier.send(editor, Card(text))

    # ---- comments coming in -------------------------------------------------------------------
    async def ingest(self, items: Sequence[IncomingComment], force: str = "") -> list[Flagged]:
        """Store new comments once each, classify them, and raise the flagged ones.

        `force` ("editor") flags a comment whatever the classifier says. Returns what was flagged.
        """
        if not items:
            return []
        return (await self._store_and_raise(items, force))[1]

    async def _store_and_raise(
        self, items: Sequence[IncomingComment], force: str = ""
    ) -> tuple[int, list[Flagged]]:
        for attempt in range(3):
            try:
                new, flagged = await self._store(items, force)
                break
            except IntegrityError:
                # The long poll and a catch-up stored the same comment at the same moment:
                # the second pass sees it as known.
                if attempt == 2:
                    raise
        for item in flagged:
            await self._raise(item)
        return new, flagged

    async def _store(
        self, items: Sequence[IncomingComment], force: str
    ) -> tuple[int, list[Flagged]]:
        now = self._clock()
        rows: list[tuple[Comment, Verdict]] = []
        async with self._uow() as uow:
            by_network: dict[Network, list[IncomingComment]] = {}
            for item in items:
                by_network.setdefault(item.network, []).append(item)
            for network, group in by_network.items():
                known = await uow.comments.known(network, [c.external_id for c in group])
                for item in group:
                    if item.external_id in known:
                        continue
                    known.add(item.external_id)
                    verdict = self.classifier.classify(item.text) if item.text else CLEAN
                    row = await self._new_row(uow, item, verdict, force, now)
                    uow.session.add(row)
                    rows.append((row, verdict))
            await uow.session.flush()
            for row, _ in rows:
                assert row.id is not None
                await CommentVersions(uow.session).add(row.id, row.text, row.categories, now)
                if row.state == "flagged":
                    await audit(
                        uow,
                        now,
                        "comment.flagged",
                        obj=f"comment:{row.id}",
                        details=f"{row.categories} {row.score:.2f}",
                    )
            await uow.commit()
        return len(rows), [
            Flagged(row.id, self._auto_rule(row) is not None)
            for row, _ in rows
            if row.state == "flagged" and row.id is not None
        ]

    async def _new_row(
        self, uow: UnitOfWork, item: IncomingComment, verdict: Verdict, force: str, now: datetime
    ) -> Comment:
        post_ref, post_url = item.post_ref, item.post_url
        if not post_ref and item.parent_ref:
            parent = await uow.comments.by_external(item.network, item.parent_ref)
            if parent is not None:
                post_ref, post_url = parent.post_ref, parent.post_url
        moderator = self._moderators.get(item.network)
        flagged = verdict.flagged or bool(force)
        return Comment(
            network=item.network,
            external_id=item.external_id,
            post_ref=post_ref,
            post_url=post_url,
            url=item.url,
            author_id=item.author_id,
            author_name=item.author_name[:200],
            author_url=item.author_url,
            text=item.text,
            written_at=item.written_at,
            seen_at=now,
            state="flagged" if flagged else "clean",
            **verdict_columns(item.text, verdict),
            source=force or "classifier",
            deletable_until=moderator.deletable_until(item.written_at) if moderator else None,
        )

    def _auto_rule(self, comment: Comment) -> str | None:
        """The configured automatic action for this comment, if any rule covers it."""
        if comment.source != "classifier":
            return None
        categories = set(comment.categories.split(","))
        moderator = self._moderators.get(Network(comment.network))
        for rule in self._settings.auto_actions:
            if rule.category in categories and comment.score >= rule.min_score:
                if rule.action == "hide" and not (moderator and moderator.can_hide):
                    continue  # this network cannot hide: the editors decide as usual
                return rule.action
        return None

    async def _raise(self, flagged: Flagged) -> None:
        if flagged.auto and await self._auto_act(flagged.comment_id):
            return
        async with self._uow() as uow:
            comment = await uow.comments.get(flagged.comment_id)
            if comment is None or comment.state not in WAITING:
                return
            title = await uow.comments.post_title(comment.network, comment.post_ref)
        moderator = self._moderators.get(Network(comment.network))
        if not comment.author_name and comment.author_id and moderator is not None:
            # Names are looked up only for flagged comments: most comments never need one.
            name, url = await moderator.author(comment.author_id)
            async with self._uow() as uow:
                await uow.comments.move(comment.id, WAITING, author_name=name[:200], author_url=url)
                await uow.commit()
                comment = await uow.comments.get(comment.id)
        if self._opinion.enabled and comment.source == "classifier" and comment.text:
            comment = await annotate(self._opinion, self._uow, comment, WAITING, self._clock())
        card = cards.flagged_card(comment, title, self._abilities(comment), self._tz)
        await self._show(comment.id, card)

    async def _auto_act(self, comment_id: int) -> bool:
        now = self._clock()
        async with self._uow() as uow:
            comment = await uow.comments.get(comment_id)
            if comment is None:
                return False
            action = self._auto_rule(comment)
            if action is None or not await uow.comments.move(comment_id, WAITING, state="deciding"):
                return False
            await uow.commit()
        moderator = self._moderators[Network(comment.network)]
        try:
            await (moderator.hide if action == "hide" else moderator.delete)(
                self._incoming(comment)
            )
        except ModerationFailed as exc:
            log.warning("auto %s of comment %s failed: %s", action, comment_id, exc.detail or exc)
            async with self._uow() as uow:
                await uow.comments.move(comment_id, ("deciding",), state="flagged")
                await uow.commit()
            return False
        final = "hidden" if action == "hide" else "deleted"
        async with self._uow() as uow:
            await uow.comments.move(
                comment_id, ("deciding",), state=final, decision=f"auto_{action}", decided_at=now
            )
            await audit(
                uow,
                now,
                f"comment.auto_{action}",
                obj=f"comment:{comment_id}",
                details=f"{comment.categories} {comment.score:.2f}",
            )
            await uow.commit()
            comment = await uow.comments.get(comment_id)
            title = await uow.comments.post_title(comment.network, comment.post_ref)
        can_undo = moderator.can_hide if final == "hidden" else moderator.can_restore
        await self._show(comment_id, cards.auto_card(comment, title, can_undo, self._tz))
        return True

    async def edited(self, item: IncomingComment) -> None:
        """A comment was changed: a clean one that now breaks the rules is raised."""
        async with self._uow() as uow:
            comment = await uow.comments.by_external(item.network, item.external_id)
        if comment is None:
            await self.ingest([item])
            return
        verdict = self.classifier.classify(item.text)
        values = dict(text=item.text, **verdict_columns(item.text, verdict))
        async with self._uow() as uow:
            # every version is kept: the text an editor judged is never lost to an edit
            await CommentVersions(uow.session).add(
                comment.id, item.text, values.get("categories", ""), self._clock()
            )
            newly = verdict.flagged and await uow.comments.move(
                comment.id, ("clean",), state="flagged", **values
            )
            if not newly:
                await uow.comments.move(comment.id, WAITING, **values)
            await uow.commit()
        if newly:
            await self._raise(Flagged(comment.id, False))

    async def removed(self, network: Network, external_id: str) -> None:
        """Deleted on the network by someone else: a waiting card needs no decision any more."""
        async with self._uow() as uow:
            comment = await uow.comments.by_external(network, external_id)
            was_waiting = comment is not None and comment.state in WAITING
            if comment is None or not await uow.comments.move(
                comment.id, (*WAITING, "clean"), state="gone"
            ):
                return
            await audit(
                uow,
                self._clock(),
                "comment.removed",
                obj=f"comment:{comment.id}",
                details=f"удалён в сети не через бота ({Network(network).title}); "
                + await self._what(uow, comment),
            )
            await uow.commit()
            comment = await uow.comments.get(comment.id)
            title = await uow.comments.post_title(comment.network, comment.post_ref)
        if was_waiting:
            await self._update_cards(comment.id, cards.gone_card(comment, title, self._tz))

    async def catch_up(self) -> int:
        """Read recent comments from every network that keeps history; returns how many were new."""
        if not self._settings.enabled:
            return 0
        since = self._clock() - timedelta(days=self._settings.catchup_days)
        new = 0
        async with self._catching_up:  # a second gap while catching up waits for this pass
            for moderator in self._moderators.values():
                try:
                    async for batch in moderator.history(since):
                        new += (await self._store_and_raise(batch))[0]
                except ModerationFailed as exc:
                    log.warning("catch-up on %s stopped: %s", moderator.network, exc.detail or exc)
                    if self.on_trouble is not None:
                        where = Network(moderator.network).title
                        await self.on_trouble(
                            f"catch-up:{moderator.network}",
                            f"Проверка пропущенных комментариев ({where}) остановилась: "
                            f"{exc.message}. Комментарии, написанные, пока бот не работал, "
                            "могли остаться непроверенными; бот попробует снова, когда связь "
                            "восстановится.",
                        )
        log.info("catch-up: %s new comments", new)
        return new

    # ---- decisions ------------------------------------------------------------------------------
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

    @staticmethod
    async def _what(uow: UnitOfWork, comment: Comment) -> str:
        """What exactly the comment said, every version, for the audit line."""
        versions = await CommentVersions(uow.session).of(comment.id or 0)
        if len(versions) <= 1:
            return f"текст: «{comment.text}»"
        earlier = "; ".join(f"{v.number}) «{v.text}»" for v in versions[:-1])
        return f"текст: «{comment.text}» (изменён автором; прежние варианты: {earlier})"

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

    # ---- what editors ask for -------------------------------------------------------------------
    async def waiting(self, actor: Person) -> list[tuple[int, Card]]:
        """Cards of the comments waiting for a decision, oldest first."""
        self._require_editor(actor)
        async with self._uow() as uow:
            found = await uow.comments.in_states(WAITING)
            titles = [await uow.comments.post_title(c.network, c.post_ref) for c in found]
        return [(c.id, self._waiting_card(c, t)) for c, t in zip(found, titles, strict=True)]

    def _waiting_card(self, comment: Comment, title: str) -> Card:
        if comment.state == "expired":
            return cards.expired_card(comment, title, self._tz)
        return cards.flagged_card(comment, title, self._abilities(comment), self._tz)

    async def from_link(self, actor: Person, text: str) -> tuple[int, Card] | None:
        """An editor sent a link to a comment the bot missed: put it on review like any other.

        None when the text holds no link to a comment of ours.
        """
        self._require_editor(actor)
        for moderator in self._moderators.values():
            external_id = moderator.parse_link(text.strip())
            if external_id:
                break
        else:
            return None
        now = self._clock()
        async with self._uow() as uow:
            comment = await uow.comments.by_external(moderator.network, external_id)
            if comment is not None and await uow.comments.move(
                comment.id, ("clean",), state="flagged", source="editor"
            ):
                await audit(uow, now, "comment.reported", actor=actor, obj=f"comment:{comment.id}")
                await uow.commit()
        if comment is None:
            try:
                found = await moderator.fetch(external_id)
            except ModerationFailed as exc:
                raise Invalid(f"Не получилось открыть комментарий: {exc.message}.") from exc
            if found is None:
                raise NotFound("Такого комментария нет: возможно, его уже удалили.")
            await self._store([found], force="editor")
            async with self._uow() as uow:
                comment = await uow.comments.by_external(moderator.network, external_id)
                # a catch-up may have stored it as clean just before: the editor's word wins
                await uow.comments.move(comment.id, ("clean",), state="flagged", source="editor")
                await audit(uow, now, "comment.reported", actor=actor, obj=f"comment:{comment.id}")
                await uow.commit()
        async with self._uow() as uow:
            comment = await uow.comments.get(comment.id)
            title = await uow.comments.post_title(comment.network, comment.post_ref)
        if comment.state not in WAITING:
            raise await self._conflict_for(comment)
        return comment.id, self._waiting_card(comment, title)

    async def remember_card(self, comment_id: int, ref: CardRef) -> None:
        async with self._uow() as uow:
            await uow.cards.add(CARD_KIND, comment_id, ref.chat, ref.message_id)
            await uow.commit()

    # ---- timers ---------------------------------------------------------------------------------
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

    # ---- helpers --------------------------------------------------------------------------------
    def _abilities(self, comment: Comment) -> cards.Abilities:
        moderator = self._moderators.get(Network(comment.network))
        if moderator is None:
            return cards.Abilities()
        return cards.Abilities(
            can_ban=moderator.can_ban(self._incoming(comment)),
            can_hide=moderator.can_hide,
            can_restore=moderator.can_restore,
        )

    @staticmethod
    def _incoming(comment: Comment) -> IncomingComment:
        return IncomingComment(
            network=Network(comment.network),
            external_id=comment.external_id,
            post_ref=comment.post_ref,
            author_id=comment.author_id,
            text=comment.text,
            written_at=comment.written_at,
            author_name=comment.author_name,
        )

    async def _show(self, comment_id: int, card: Card) -> None:
        """To the moderation group if there is one, else to each editor privately."""
        chat = self._config.telegram.moderation_chat_id
        refs: list[CardRef | None] = []
        if chat and self._room is not None:
            refs.append(await self._room.send_to(f"tg:{chat}", card))
        if not any(refs):
            # No group, or the group refused (the bot was removed, a wrong id in config):
            # the editors still get the comment, each privately.
            for editor in await self._editors():
                refs.append(await self._notifier.send(editor, card))
        for ref in refs:
            if ref is not None:
                await self.remember_card(comment_id, ref)

    async def _update_cards(self, comment_id: int, card: Card) -> None:
        async with self._uow() as uow:
            refs = await uow.cards.of(CARD_KIND, comment_id)
        for ref in refs:
            await self._notifier.edit(CardRef(ref.chat, ref.message_id), card)

    async def _editors(self) -> list[Person]:
        async with self._uow() as uow:
            return await uow.people.editors()

    @staticmethod
    def _require_editor(actor: Person) -> None:
        if not actor.active or not Role(actor.role).can_edit():
            raise Denied("Решать судьбу комментариев могут только редакторы пресс-службы.")

    async def _conflict(self, uow: UnitOfWork, comment_id: int) -> Exception:
        comment = await uow.comments.get(comment_id)
        if comment is None:
            return NotFound("Этого комментария больше нет.")
        await uow.session.refresh(comment)
        who = await uow.people.get(comment.decided_by) if comment.decided_by else None
        return await self._conflict_for(comment, who)

    @staticmethod
    async def _conflict_for(comment: Comment, who: Person | None = None) -> Exception:
        text = CONFLICT.get(comment.state, "Комментарий уже не ждёт решения")
        if who is not None:
            text += (
                f" ({short_name(who)})" if comment.state != "deciding" else f" {short_name(who)}"
            )
        return Conflict(text + ".")
