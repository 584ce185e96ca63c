"""What every part of the moderation loop shares: its state, the classifier, cards and conflicts.

Chat- and network-agnostic: networks are CommentModerators, chats are a Notifier (people) and a
RoomNotifier (the editors' group). Like the Desk, each public method opens its own unit of work,
moves the comment's state with a compare-and-set, commits, and only then acts or tells people.
The loop's parts (`intake`, `decisions`, `timers`) build on this; `service.Moderation` is all of
them together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.card_board import CardBoard
from bot.cards import short_name
from bot.config import Config
from bot.domain import Network, Role
from bot.errors import Conflict, Denied, NotFound
from bot.moderation import cards
from bot.moderation.classifier import Classifier
from bot.moderation.learning import ModelKeeper, retrain_office_model
from bot.moderation.second_opinion import SecondOpinion
from bot.ports import (
    Card,
    CardRef,
    CommentModerator,
    DigestSection,
    IncomingComment,
    Notifier,
    RoomNotifier,
)
from storage.models import Comment, Person
from storage.uow import UnitOfWork
from storage.versions import CommentVersions

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


class ModerationCore:
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
        self.board = CardBoard(uow, notifier, room, config.telegram.moderation_chat_id)
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
        # Features that read new comments too (the citizens' questions, bot/replies).
        self.comment_hooks: list[Callable[[Sequence[IncomingComment]], Awaitable[None]]] = []
        # An admin is told once when something stops (bot.alerts.Alerts.once).
        self.on_trouble: Callable[[str, str], Awaitable[object]] | None = None

    def moderator(self, network: Network) -> CommentModerator | None:
        return self._moderators.get(network)

    def moderators(self) -> dict[Network, CommentModerator]:
        return dict(self._moderators)

    async def close(self) -> None:
        await self._opinion.close()
        for moderator in self._moderators.values():
            await moderator.close()

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
        await self.board.to_each_editor(Card(text))

    async def remember_card(self, comment_id: int, ref: CardRef) -> None:
        await self.board.remember(CARD_KIND, comment_id, ref)

    def _waiting_card(self, comment: Comment, title: str) -> Card:
        if comment.state == "expired":
            return cards.expired_card(comment, title, self._tz)
        return cards.flagged_card(comment, title, self._abilities(comment), self._tz)

    @staticmethod
    async def _what(uow: UnitOfWork, comment: Comment) -> str:
        """What exactly the comment said, every version, for the audit line."""
        versions = await CommentVersions(uow.session).of(comment.id or 0)
        if len(versions) <= 1:
            return f"текст: «{comment.text}»"
        earlier = "; ".join(f"{v.number}) «{v.text}»" for v in versions[:-1])
        return f"текст: «{comment.text}» (изменён автором; прежние варианты: {earlier})"

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
        await self.board.show(CARD_KIND, comment_id, card)

    async def _update_cards(self, comment_id: int, card: Card) -> None:
        await self.board.update(CARD_KIND, comment_id, card)

    async def _editors(self) -> list[Person]:
        return await self.board.editors()

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
