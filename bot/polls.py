"""Polls: an editor adds one to a draft (question, 2-10 options, one answer or several, an end);
each network's adapter says in its check() whether and within which limits it takes it, and
sends it with the post (the outbox writes it down as the publication's part "poll"). After the
end, the results from every network reach the editors in one message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from bot.config import Config
from bot.dates import human_when
from bot.domain import Network, PostState, PublicationState
from bot.errors import Invalid
from bot.formats import FormatService
from bot.people import audit
from bot.ports import POLL_PART, Card, Notifier, PollSpec, PollTally, Publisher, PublishError
from storage.formats import PostPoll
from storage.outbox import parts_of
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

OPTIONS = (2, 10)
QUESTION_LIMIT = 300  # the longest any network takes (Telegram's); each check says its own
OPTION_LIMIT = 100
# The post is out (or will never be): the poll's results can be gathered.
SETTLED = (PostState.published, PostState.failed, PostState.rejected, PostState.cancelled)


def parse_question(text: str) -> str:
    question = " ".join(text.split())
    if not question:
        raise Invalid("Вопрос пустой. Напишите вопрос опроса одним сообщением.")
    if len(question) > QUESTION_LIMIT:
        raise Invalid(
            f"Вопрос длиннее {QUESTION_LIMIT} знаков (сейчас {len(question)}). Сократите его."
        )
    return question


def parse_options(text: str) -> tuple[str, ...]:
    options = tuple(" ".join(line.split()) for line in text.splitlines() if line.strip())
    low, high = OPTIONS
    if not low <= len(options) <= high:
        raise Invalid(
            f"Нужно от {low} до {high} вариантов, каждый с новой строки (сейчас {len(options)})."
        )
    long = [o for o in options if len(o) > OPTION_LIMIT]
    if long:
        raise Invalid(f"Вариант длиннее {OPTION_LIMIT} знаков: «{long[0][:40]}…». Сократите его.")
    if len({o.casefold() for o in options}) < len(options):
        raise Invalid("Два варианта одинаковые. Каждый вариант должен отличаться.")
    return options


class Polls(FormatService):
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        publishers: dict[Network, Publisher],
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(uow, notifier, config, clock)
        self._publishers = publishers

    async def add(self, post_id: int, actor: object, spec: PollSpec) -> None:
        """The poll goes with the draft (a second one replaces the first)."""
        self.require_editor(actor)
        parse_question(spec.question)
        parse_options("\n".join(spec.options))
        self.future(spec.ends_at, "Окончание опроса")
        now = self._clock()
        async with self._uow() as uow:
            await self.open_draft(uow, post_id)
            await uow.formats.put(
                PostPoll(
                    post_id=post_id,
                    question=spec.question,
                    options=json.dumps(list(spec.options), ensure_ascii=False),
                    multiple=spec.multiple,
                    ends_at=spec.ends_at,
                    created_by=actor.id,  # type: ignore[attr-defined]
                )
            )
            await uow.posts.move(post_id, (PostState.draft,), updated_at=now)
            await audit(
                uow, now, "post.poll", actor=actor, obj=f"post:{post_id}", details=spec.question
            )
            await uow.commit()

    # ---- the Desk's hooks: a poll must still be open when its post goes out ------------------
    async def scheduled(
        self, uow: UnitOfWork, post_id: int, when: datetime, actor: object, now: datetime
    ) -> list[tuple[int, datetime]]:
        row = await uow.formats.poll(post_id)
        if row is not None and row.ends_at <= when:
            ends = human_when(row.ends_at, now, self._tz)
            raise Invalid(
                f"Опрос закончится ({ends}) раньше, чем выйдет публикация. "
                "Выберите время раньше или добавьте опрос заново с другим окончанием."
            )
        return []

    async def cancelled(self, uow: UnitOfWork, post_id: int, actor: object, now: datetime) -> None:
        return None

    # ---- after the end ----------------------------------------------------------------------
    async def sweep(self) -> int:
        """Tell the editors the results of every poll that ended; returns how many were told."""
        now = self._clock()
        async with self._uow() as uow:
            ended = await uow.formats.polls_ended(now)
        told = 0
        for row in ended:
            try:
                told += await self._results(row, now)
            except Exception:
                log.exception("poll results of post %s failed", row.post_id)
        return told

    async def _results(self, row: PostPoll, now: datetime) -> int:
        async with self._uow() as uow:
            post = await uow.posts.get(row.post_id)
            if post is None or post.state not in SETTLED:
                return 0  # not out yet: the results wait for the post
            publications = await uow.publications.for_post(row.post_id)
            if not await uow.formats.claim(PostPoll, row.post_id, "results_at", results_at=now):
                return 0  # another instance tells them
            await uow.commit()
        spec = PollSpec(row.question, tuple(json.loads(row.options)), row.multiple, row.ends_at)
        lines: list[str] = []
        totals = [0] * len(spec.options)
        for publication in publications:
            ref = parts_of(publication).get(POLL_PART)
            if publication.state != PublicationState.published or ref is None:
                continue
            network = Network(publication.network)
            try:
                tally = await self._tally(network, spec, ref)
            except PublishError as exc:
                lines.append(f"{network.title}: итоги не получены — {exc.message}")
                continue
            totals = [a + b for a, b in zip(totals, tally.votes, strict=True)]
            lines.append(f"{network.title}: " + _votes(spec, tally.votes))
        if not lines:
            return 0  # the post went nowhere that takes a poll: nothing to tell
        text = (
            f"Итоги опроса «{spec.question}» "
            f"(закончился {human_when(spec.ends_at, now, self._tz)}):\n"
            + "\n".join(lines)
            + ("\nВсего: " + _votes(spec, tuple(totals)) if len(lines) > 1 else "")
        )
        async with self._uow() as uow:
            found = await uow.formats.poll(row.post_id)
            if found is not None:
                found.results = text
                uow.session.add(found)
            await audit(uow, now, "poll.results", obj=f"post:{row.post_id}")
            await uow.commit()
        await self.tell_editors(Card(text))
        return 1

    async def _tally(self, network: Network, spec: PollSpec, ref: object) -> PollTally:
        publisher = self._publishers.get(network)
        results = getattr(publisher, "poll_results", None)
        if results is None:
            raise PublishError("rejected", "сеть не отдаёт итоги опросов")
        tally = await results(spec, ref)
        if len(tally.votes) != len(spec.options):
            raise PublishError("rejected", "сеть вернула другие варианты ответа")
        return tally


def _votes(spec: PollSpec, votes: tuple[int, ...]) -> str:
    return "; ".join(f"{o} — {n}" for o, n in zip(spec.options, votes, strict=True))
