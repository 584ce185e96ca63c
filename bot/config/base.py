"""What every config section shares: unknown keys are refused; a network names its tokens."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NetworkSection(Section):
    """A network's section: `tokens` names the Secrets it needs once the office wants it."""

    tokens: ClassVar[tuple[str, ...]] = ()
    enabled: bool = True

    def wanted(self) -> bool:
        return self.enabled
