"""Contests and promotions: rules, an end, taking part by a comment under the post. At the end
the bot lists the eligible participants per network from the comments the desk already keeps
(bot/moderation): one entry per person and network, the desk's own people, the office's
accounts (config [formats] staff_accounts), communities and banned authors left out; then
draws the winners reproducibly, writes the draw in the audit log and drafts the results post.

The draw is a pure function of the sorted entries, the seed and the number of winners: each
entry's key is SHA-256(seed + ":" + entry), the smallest keys win. The seed and the list are
kept with the contest, and the list's SHA-256 is shown, so anyone can run it again
(`uv run pressdesk contest redraw N`) and get the same winners.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.cards import clip
from bot.config import Config
from bot.dates import stamp
from bot.domain import Network, PostState, PublicationState
from bot.errors import Invalid, NotFound
from bot.formats import FormatService
from bot.people import audit
from bot.ports import Card, CommentModerator, Notifier
from storage.formats import Contest
from storage.models import Person, Post
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_WINNERS = 100
GONE = ("deleted", "banned", "hidden", "gone")  # comments that no longer stand under the post
# The person's id on each network, as the desk's people are kept.
PERSON_ID = {Network.telegram: "telegram_id", Network.vk: "vk_id"}


def parse_winners(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_WINNERS:
        raise Invalid(f"Напишите число победителей от 1 до {MAX_WINNERS}, например: 1")
    return int(value)


def list_hash(entries: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def draw(entries: Sequence[str], seed: str, winners: int) -> list[str]:
    """The winners among `entries`: the same entries, seed and number give the same winners."""
    unique = sorted(set(entries))
    keyed = sorted(unique, key=lambda e: hashlib.sha256(f"{seed}:{e}".encode()).hexdigest())
    return keyed[:winners]


class Contests(FormatService):
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        config: Config,
        clock: Callable[[], datetime],
        show_draft: Callable[[int], Awaitable[None]],
        moderator: Callable[[Network], CommentModerator | None] = lambda network: None,
    ) -> None:
        super().__init__(uow, notifier, config, clock)
        self._show_draft = show_draft
        self._moderator = moderator  # who asks a network for a winner's name
        self._staff_accounts = set(config.formats.staff_accounts)

    async def add(
        self, post_id: int, actor: Person, rules: str, ends_at: datetime, winners: int
    ) -> None:
        self.require_editor(actor)
        rules = rules.strip()
        if not rules:
            raise Invalid("Условия пустые. Напишите, что разыгрывается и кто может участвовать.")
        self.future(ends_at, "Окончание конкурса")
        if not 1 <= winners <= MAX_WINNERS:
            raise Invalid(f"Победителей — от 1 до {MAX_WINNERS}.")
        now = self._clock()
        when = stamp(ends_at, self._tz)
        block = (
            f"Конкурс! {rules}\n"
            f"Как участвовать: оставьте комментарий под этой публикацией до {when}. "
            f"{'Победителя' if winners == 1 else f'{winners} победителей'} выберет жребий "
            "среди всех участников, итоги — в отдельной публикации."
        )
        async with self._uow() as uow:
            post = await self.open_draft(uow, post_id)
            text = post.text.strip()
            title = text.splitlines()[0][:200] if text else "Конкурс"
            await uow.formats.put(
                Contest(
                    post_id=post_id,
                    title=title,
                    rules=rules,
                    ends_at=ends_at,
                    winners=winners,
                    block=block,
                    created_by=actor.id,
                )
            )
            await uow.posts.move(post_id, (PostState.draft,), updated_at=now)
            await audit(uow, now, "post.contest", actor=actor, obj=f"post:{post_id}")
            await uow.commit()

    # ---- the draw ------------------------------------------------------------------------------
    async def sweep(self) -> int:
        now = self._clock()
        async with self._uow() as uow:
            ended = await uow.formats.contests_ended(now)
        drawn = 0
        for row in ended:
            try:
                drawn += await self._draw(row.post_id, now)
            except Exception:
                log.exception("the draw of contest %s failed", row.post_id)
                await self.tell_editors(
                    Card(
                        f"Не удалось провести жеребьёвку конкурса «{row.title}». "
                        "Бот попробует снова; подробности в журнале бота."
                    )
                )
        return drawn

    async def participants(
        self, uow: UnitOfWork, row: Contest
    ) -> tuple[list[str], dict[str, tuple[str, str]], dict[str, int]]:
        """The eligible entries (sorted), their names and links, and how many per network."""
        staff = set(self._staff_accounts)
        for person in await uow.people.with_roles(["reporter", "editor", "admin"]):
            for network, attr in PERSON_ID.items():
                if getattr(person, attr, None):
                    staff.add(f"{network}:{getattr(person, attr)}")
        names: dict[str, tuple[str, str]] = {}
        per_network: dict[str, int] = {}
        for publication in await uow.publications.for_post(row.post_id):
            if publication.state != PublicationState.published or not publication.external_id:
                continue
            network = publication.network
            banned = await uow.formats.banned_authors(network)
            for comment in await uow.formats.comments_under(
                network, publication.external_id, row.ends_at
            ):
                entry = f"{network}:{comment.author_id}"
                if (
                    comment.author_id <= 0  # a community or the channel itself, or unknown
                    or comment.state in GONE
                    or comment.author_id in banned
                    or entry in staff
                    or entry in names
                ):
                    continue
                names[entry] = (comment.author_name, comment.author_url)
                per_network[network] = per_network.get(network, 0) + 1
        return sorted(names), names, per_network

    async def _draw(self, post_id: int, now: datetime) -> int:
        async with self._uow() as uow:
            row = await uow.formats.contest(post_id)
            post = await uow.posts.get(post_id)
            if row is None or post is None or row.drawn_at is not None:
                return 0
            if post.state not in (PostState.published, PostState.failed):
                if post.state in (PostState.rejected, PostState.cancelled, PostState.draft):
                    await uow.formats.claim(Contest, post_id, "drawn_at", drawn_at=now)
                    await uow.commit()
                return 0  # not out: nobody could take part
            entries, names, per_network = await self.participants(uow, row)
            seed = secrets.token_hex(16)
            chosen = draw(entries, seed, row.winners)
            await self._names(chosen, names)
            digest = list_hash(entries)
            if not await uow.formats.claim(
                Contest,
                post_id,
                "drawn_at",
                drawn_at=now,
                seed=seed,
                participants=json.dumps(entries),
                names=json.dumps(names, ensure_ascii=False),
                list_hash=digest,
                chosen=json.dumps(chosen),
            ):
                return 0  # another instance drew it
            await audit(
                uow,
                now,
                "contest.draw",
                obj=f"post:{post_id}",
                details=(
                    f"participants={len(entries)} seed={seed} list_sha256={digest} "
                    f"winners={','.join(chosen)}"
                ),
            )
            results_id = None
            if chosen:
                results = await uow.posts.add(
                    Post(
                        text=results_text(row, chosen, names, len(entries), seed),
                        state=PostState.draft,
                        created_at=now,
                        updated_at=now,
                    )
                )
                results_id = results.id
                await uow.formats.claim(
                    Contest, post_id, "results_post_id", results_post_id=results_id
                )
            await uow.commit()
        await self.tell_editors(
            Card(draw_summary(row, post_id, entries, chosen, names, per_network, seed, digest))
        )
        if results_id is not None:
            await self._show_draft(results_id)
        return 1

    async def _names(self, chosen: list[str], names: dict[str, tuple[str, str]]) -> None:
        """Moderation keeps names only of the comments it flagged: ask for the winners'."""
        for entry in chosen:
            if names.get(entry, ("", ""))[0]:
                continue
            network, _, author = entry.partition(":")
            moderator = self._moderator(Network(network))
            if moderator is None:
                continue
            try:
                name, url = await moderator.author(int(author))
            except Exception:
                log.warning("the name of contest winner %s is unknown", entry, exc_info=True)
                continue
            if name:
                names[entry] = (name[:200], url or names.get(entry, ("", ""))[1])

    async def redraw(self, post_id: int) -> tuple[bool, str]:
        """The draw again from what was kept: the same winners, or a loud difference."""
        async with self._uow() as uow:
            row = await uow.formats.contest(post_id)
        if row is None:
            raise NotFound(f"Конкурса при публикации № {post_id} нет.")
        if row.drawn_at is None:
            return False, f"Жеребьёвка конкурса «{row.title}» ещё не проводилась."
        entries = json.loads(row.participants)
        kept = json.loads(row.chosen)
        again = draw(entries, row.seed, row.winners)
        digest = list_hash(entries)
        when = stamp(row.drawn_at, self._tz)
        lines = [
            f"Конкурс «{row.title}» (публикация № {post_id}), жеребьёвка {when}",
            f"Участников: {len(entries)}; seed: {row.seed}",
            f"SHA-256 списка: {digest}"
            + ("" if digest == row.list_hash else f" — НЕ СОВПАДАЕТ с записанным {row.list_hash}"),
            "Победители заново: " + (", ".join(again) or "нет"),
        ]
        same = again == kept and digest == row.list_hash
        lines.append(
            "Совпадает с записанным результатом."
            if same
            else "НЕ СОВПАДАЕТ с записанным: " + ", ".join(kept)
        )
        return same, "\n".join(lines)


def _who(entry: str, names: dict[str, tuple[str, str]]) -> str:
    name, url = names.get(entry, ("", ""))
    network = Network(entry.partition(":")[0]).title
    shown = name or "участник без имени"
    return f"{shown} ({network}{', ' + url if url else ''})"


def results_text(
    row: Contest, chosen: list[str], names: dict[str, tuple[str, str]], total: int, seed: str
) -> str:
    label = "Победитель" if len(chosen) == 1 else "Победители"
    winners = "\n".join(f"• {_who(e, names)}" for e in chosen)
    return (
        f"Итоги конкурса «{row.title}»\n\n{label}:\n{winners}\n\n"
        f"Жребий выбрал среди {total} участников (код жеребьёвки {seed[:12]}). "
        "Поздравляем! Мы свяжемся с победителями в личных сообщениях."
    )


def draw_summary(
    row: Contest,
    post_id: int,
    entries: list[str],
    chosen: list[str],
    names: dict[str, tuple[str, str]],
    per_network: dict[str, int],
    seed: str,
    digest: str,
) -> str:
    counts = ", ".join(f"{Network(n).title}: {c}" for n, c in per_network.items()) or "нет"
    if not chosen:
        return (
            f"Конкурс «{row.title}» закончился: участников нет (комментариев от жителей под "
            "публикацией не было). Пост с итогами не подготовлен."
        )
    winners = "\n".join(f"• {_who(e, names)}" for e in chosen)
    listed = []
    for network in per_network:
        people = [
            names.get(e, ("", ""))[0] or f"id {e.partition(':')[2]}"
            for e in entries
            if e.partition(":")[0] == network
        ]
        listed.append(f"{Network(network).title}: {', '.join(people)}")
    return clip(
        f"Жеребьёвка конкурса «{row.title}»: участников {len(entries)} ({counts}).\n"
        f"Победители:\n{winners}\n"
        f"Seed: {seed}\nSHA-256 списка участников: {digest}\n"
        f"Проверить: uv run pressdesk contest redraw {post_id}\n"
        "Пост с итогами — ниже, он ждёт одобрения.\n\n"
        "Участники (один раз каждый; сотрудники и заблокированные не участвуют):\n"
        + "\n".join(listed)
    )
