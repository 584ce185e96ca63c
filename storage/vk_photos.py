"""A draft's photo uploaded to a VK editor's dialogue, kept across restarts: a card sent again
after a restart attaches the same upload instead of uploading the file anew (handlers/vk/photos.py).
One row per dialogue and stored file; a row VK no longer takes is dropped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class VKMessagePhoto(SQLModel, table=True):
    """One stored file (by its SHA-256) as uploaded for one VK dialogue."""

    __tablename__ = "vk_message_photo"
    peer_id: int = Field(primary_key=True, sa_type=BigInteger)
    sha256: str = Field(primary_key=True, max_length=64)
    attachment: str = Field(max_length=200)  # photo<owner>_<id>_<access_key>
    uploaded_at: datetime


class VKMessagePhotos:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, peer_id: int, sha256: str) -> str | None:
        row = await self.session.get(VKMessagePhoto, (peer_id, sha256))
        return row.attachment if row is not None else None

    async def put(self, peer_id: int, sha256: str, attachment: str, now: datetime) -> None:
        row = await self.session.get(VKMessagePhoto, (peer_id, sha256))
        if row is None:
            row = VKMessagePhoto(
                peer_id=peer_id, sha256=sha256, attachment=attachment, uploaded_at=now
            )
        else:
            row.attachment, row.uploaded_at = attachment, now
        self.session.add(row)
        await self.session.flush()

    async def any_for(self, peer_id: int) -> bool:
        """Whether a photo was ever uploaded to this dialogue (else no message there has one)."""
        query = select(VKMessagePhoto.sha256).where(col(VKMessagePhoto.peer_id) == peer_id)
        return (await self.session.exec(query.limit(1))).first() is not None

    async def drop(self, peer_id: int, attachments: Sequence[str]) -> None:
        await self.session.exec(
            delete(VKMessagePhoto).where(
                col(VKMessagePhoto.peer_id) == peer_id,
                col(VKMessagePhoto.attachment).in_(attachments),
            )
        )
