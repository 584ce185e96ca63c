"""Tables of the account registry and of the tokens kept encrypted (issue 15)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary
from sqlmodel import Field, SQLModel


class RegistryAccount(SQLModel, table=True):
    """One account of the administration in a network, as the public registry lists it."""

    __tablename__ = "registry_account"
    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(max_length=20)
    name: str = Field(max_length=200)
    url: str = Field(default="", max_length=500)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    responsible: str = Field(default="", max_length=200)
    status: str = Field(default="active", max_length=20)  # active | archived
    verified: bool | None = None
    followers: int | None = Field(default=None, sa_type=BigInteger)
    last_post_at: datetime | None = None
    health: str = Field(default="", max_length=20)  # "" not checked, "ok", "problem"
    health_note: str = ""
    checked_at: datetime | None = None
    # Set for the desk's own configured accounts ("vk:club100001"): they enter by themselves.
    own_key: str | None = Field(default=None, max_length=120, unique=True)
    created_at: datetime
    updated_at: datetime


class StoredToken(SQLModel, table=True):
    """A token replaced from chat, encrypted with the key kept outside the database."""

    __tablename__ = "stored_token"
    name: str = Field(primary_key=True, max_length=40)
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    rotated_at: datetime
    rotated_by: int | None = Field(default=None, foreign_key="person.id")
    # HMAC of the environment's value when it was stored (bot/token_sources.py), never the
    # value: the environment changed since → the environment's token is newer and wins.
    env_fingerprint: str | None = Field(default=None, max_length=64)
