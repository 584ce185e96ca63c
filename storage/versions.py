"""Every text a comment has had: the first one and each edit, so a deletion says exactly what
was deleted and an edit never overwrites what an editor judged."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class CommentVersion(SQLModel, table=True):
    __tablename__ = "comment_version"
    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    number: int  # 1 for the text first seen, then 2, 3… for each edit
    text: str
    categories: str = Field(default="", max_length=200)
    seen_at: datetime


class CommentVersions:
    """Repository; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, comment_id: int) -> list[CommentVersion]:
        query = select(CommentVersion).where(CommentVersion.comment_id == comment_id)
        return list((await self.session.exec(query.order_by(col(CommentVersion.number)))).all())

    async def add(self, comment_id: int, text: str, categories: str, now: datetime) -> int:
        """A new version unless the text is the latest one already; returns how many there are."""
        versions = await self.of(comment_id)
        if versions and versions[-1].text == text:
            return len(versions)
        number = len(versions) + 1
        self.session.add(
            CommentVersion(
                comment_id=comment_id,
                number=number,
                text=text,
                categories=categories,
                seen_at=now,
            )
        )
        await self.session.flush()
        return number
