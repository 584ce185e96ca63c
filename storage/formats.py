"""Tables and queries of the post formats beyond text and media (issue 11): a poll attached to
a post, a live broadcast announced by a post (with its reminder and recording posts), and a
contest run under a post (its participants, seed and winners, kept so anyone can re-run the
draw). One row per post each; the post itself stays in `post`.

Each "once" step (a poll's results told, a broadcast's recording offered, a contest drawn) is
claimed with a compare-and-set on its timestamp, so several instances do it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import models  # Comment; the module imports this one at its end


class PostPoll(SQLModel, table=True):
    __tablename__ = "post_poll"
    post_id: int = Field(primary_key=True, foreign_key="post.id")
    question: str = Field(max_length=500)
    options: str  # JSON list of strings
    multiple: bool = False
    ends_at: datetime = Field(index=True)
    created_by: int = Field(foreign_key="person.id")
    results_at: datetime | None = None  # the editors got the results (once)
    results: str = ""  # the message they got


class Broadcast(SQLModel, table=True):
    post_id: int = Field(primary_key=True, foreign_key="post.id")  # the announcement
    title: str = Field(max_length=500)
    stream_url: str = Field(max_length=500)
    starts_at: datetime = Field(index=True)
    block: str = ""  # the lines added to the announcement's text
    created_by: int = Field(foreign_key="person.id")
    reminder_post_id: int | None = Field(default=None, foreign_key="post.id")
    offered_at: datetime | None = None  # the editors got «Опубликовать запись» (once)
    recording_post_id: int | None = Field(default=None, foreign_key="post.id")


class Contest(SQLModel, table=True):
    post_id: int = Field(primary_key=True, foreign_key="post.id")
    title: str = Field(max_length=500)
    rules: str
    ends_at: datetime = Field(index=True)
    winners: int = 1
    block: str = ""  # the lines added to the post's text
    created_by: int = Field(foreign_key="person.id")
    drawn_at: datetime | None = None
    seed: str = Field(default="", max_length=64)
    participants: str = ""  # JSON list of entries "network:author_id" (sorted), the draw's input
    names: str = ""  # JSON {entry: [name, profile url]} for the results post
    list_hash: str = Field(default="", max_length=64)
    chosen: str = ""  # JSON list of the winning entries, in draw order
    results_post_id: int | None = Field(default=None, foreign_key="post.id")


class Formats:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def poll(self, post_id: int) -> PostPoll | None:
        return await self.session.get(PostPoll, post_id)

    async def broadcast(self, post_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, post_id)

    async def contest(self, post_id: int) -> Contest | None:
        return await self.session.get(Contest, post_id)

    async def additions(self, post_id: int) -> tuple[str, ...]:
        """The lines the post's broadcast and contest add to its text, in that order."""
        rows = [await self.broadcast(post_id), await self.contest(post_id)]
        return tuple(row.block for row in rows if row is not None and row.block)

    async def put(self, row: PostPoll | Broadcast | Contest) -> None:
        await self.session.merge(row)
        await self.session.flush()

    async def drop(self, kind: type[PostPoll | Broadcast | Contest], post_id: int) -> None:
        row = await self.session.get(kind, post_id)
        if row is not None:
            await self.session.delete(row)
            await self.session.flush()

    async def polls_ended(self, now: datetime) -> list[PostPoll]:
        query = select(PostPoll).where(
            col(PostPoll.ends_at) <= now, col(PostPoll.results_at).is_(None)
        )
        return list((await self.session.exec(query.order_by(PostPoll.ends_at))).all())

    async def broadcasts_started(self, now: datetime) -> list[Broadcast]:
        query = select(Broadcast).where(
            col(Broadcast.starts_at) <= now, col(Broadcast.offered_at).is_(None)
        )
        return list((await self.session.exec(query.order_by(Broadcast.starts_at))).all())

    async def contests_ended(self, now: datetime) -> list[Contest]:
        query = select(Contest).where(col(Contest.ends_at) <= now, col(Contest.drawn_at).is_(None))
        return list((await self.session.exec(query.order_by(Contest.ends_at))).all())

    async def claim(
        self,
        kind: type[PostPoll | Broadcast | Contest],
        post_id: int,
        column: str,
        **values: object,
    ) -> bool:
        """Set `values` where `column` is still empty; True for the one caller that did."""
        table = kind.__table__  # type: ignore[attr-defined]
        result = await self.session.exec(
            update(kind)
            .where(table.c.post_id == post_id, table.c[column].is_(None))
            .values(**values)
        )
        return result.rowcount == 1

    async def comments_under(
        self, network: str, post_ref: str, until: datetime
    ) -> list[models.Comment]:
        """The comments kept under one of our posts on a network, written before `until`."""
        comment = models.Comment
        query = select(comment).where(
            comment.network == network,
            comment.post_ref == post_ref,
            col(comment.written_at) <= until,
        )
        return list((await self.session.exec(query.order_by(comment.written_at))).all())

    async def banned_authors(self, network: str) -> set[int]:
        comment = models.Comment
        query = select(comment.author_id).where(
            comment.network == network, comment.state == "banned"
        )
        return set((await self.session.exec(query)).all())
