"""Comments coming in: stored once each, classified, raised to the editors or acted on by a rule.

Also an edit or a removal on the network, the catch-up after a gap, and an editor's link to a
comment the classifier missed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.domain import Network
from bot.errors import Invalid, NotFound
from bot.moderation import cards
from bot.moderation.classifier import CLEAN, Verdict, mark
from bot.moderation.core import WAITING, ModerationCore
from bot.moderation.second_opinion import annotate
from bot.people import audit
from bot.ports import Card, IncomingComment, ModerationFailed
from storage.models import Comment, Person
from storage.uow import UnitOfWork
from storage.versions import CommentVersions

log = logging.getLogger(__name__)


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


class Intake(ModerationCore):
    async def ingest(self, items: Sequence[IncomingComment], force: str = "") -> list[Flagged]:
        """Store new comments once each, classify them, and raise the flagged ones.

        `force` ("editor") flags a comment whatever the classifier says. Returns what was flagged.
        """
        if not items:
            return []
        flagged = (await self._store_and_raise(items, force))[1]
        for hook in self.comment_hooks:
            await hook(items)
        return flagged

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
