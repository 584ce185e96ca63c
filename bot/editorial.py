"""The editorial workflow: report -> draft -> approve / reject -> schedule (publishing itself
is the outbox's, bot/publishing.py).

Each public method is one use case: it opens its own unit of work, checks who may act,
moves the post between named states with a compare-and-set (so two editors pressing at
once get one winner), commits, and only then tells people.

`Desk` is the facade the transports call; the use cases live by responsibility in
bot/drafting.py (reports, drafts, editing), bot/deciding.py (approve, reject),
bot/scheduling.py (time, networks, confirm, reschedule, cancel) and bot/listing.py (lists),
on the shared state in bot/desk_core.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from bot.cards import PostView
from bot.config import Config
from bot.deciding import Deciding
from bot.desk_core import DECIDABLE, EDITABLE, MAX_ATTACHMENTS, DeskCore
from bot.domain import Network
from bot.drafting import Drafting, NewMedia, ReportInput, Submitted
from bot.listing import Listing
from bot.media import MediaStore
from bot.ports import Card, CardRef, Check, Notifier, Planner, Publisher
from bot.publishing import Outbox
from bot.scheduling import Scheduling, TimeChoice
from storage.models import Person, Report
from storage.uow import UnitOfWork

__all__ = [
    "DECIDABLE",
    "EDITABLE",
    "MAX_ATTACHMENTS",
    "Desk",
    "NewMedia",
    "ReportInput",
    "Submitted",
]


class Desk:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        publishers: dict[Network, Publisher],
        media: MediaStore,
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        self.core = DeskCore(uow, notifier, publishers, media, config, clock)
        self.times = TimeChoice(config, clock)
        self.drafting = Drafting(self.core)
        self.deciding = Deciding(self.core, self.times)
        self.scheduling = Scheduling(self.core, self.times)
        self.listing = Listing(self.core)

    # ---- wiring -------------------------------------------------------------------------------
    @property
    def media(self) -> MediaStore:
        """Where attachments are kept; transports put files there as soon as they arrive."""
        return self.core.media

    @property
    def planner(self) -> Planner | None:
        return self.core.planner

    @planner.setter
    def planner(self, planner: Planner | None) -> None:
        self.core.planner = planner

    @property
    def outbox(self) -> Outbox:
        return self.scheduling.outbox

    @outbox.setter
    def outbox(self, outbox: Outbox) -> None:
        self.scheduling.outbox = outbox  # set by the application: publishing lives there

    async def drain(self) -> None:
        """Let notifications already under way finish (called before shutting down)."""
        await self.core.drain()

    # ---- reporting and drafts -----------------------------------------------------------------
    def today(self) -> date:
        return self.drafting.today()

    def is_late(self, event_date: date) -> bool:
        return self.drafting.is_late(event_date)

    async def submit_report(self, actor: Person, data: ReportInput) -> Submitted:
        return await self.drafting.submit_report(actor, data)

    def compose(self, report: Report) -> str:
        return self.drafting.compose(report)

    async def start_edit(self, post_id: int, actor: Person) -> Card:
        return await self.drafting.start_edit(post_id, actor)

    async def edit_text(self, post_id: int, actor: Person, text: str) -> Card:
        return await self.drafting.edit_text(post_id, actor, text)

    async def replace_media(self, post_id: int, actor: Person, media: Sequence[NewMedia]) -> Card:
        return await self.drafting.replace_media(post_id, actor, media)

    def preview(self, view: PostView) -> Card:
        return self.core.preview(view)

    def checks(self, view: PostView) -> dict[Network, Check]:
        return self.core.checks(view)

    # ---- deciding -----------------------------------------------------------------------------
    async def approve(self, post_id: int, actor: Person) -> Card:
        return await self.deciding.approve(post_id, actor)

    async def start_reject(self, post_id: int, actor: Person) -> None:
        await self.deciding.start_reject(post_id, actor)

    async def reject(self, post_id: int, actor: Person, reason: str) -> Card:
        return await self.deciding.reject(post_id, actor, reason)

    # ---- scheduling ---------------------------------------------------------------------------
    def resolve_when(self, arg: str) -> datetime:
        return self.times.resolve_when(arg)

    def parse_time(self, text: str) -> datetime:
        return self.times.parse_time(text)

    async def set_time(self, post_id: int, actor: Person, when: datetime) -> Card:
        return await self.scheduling.set_time(post_id, actor, when)

    async def toggle_network(self, post_id: int, actor: Person, network: str) -> Card:
        return await self.scheduling.toggle_network(post_id, actor, network)

    async def confirm(self, post_id: int, actor: Person) -> Card:
        return await self.scheduling.confirm(post_id, actor)

    async def reschedule(self, post_id: int, actor: Person) -> Card:
        return await self.scheduling.reschedule(post_id, actor)

    async def cancel(self, post_id: int, actor: Person) -> Card:
        return await self.scheduling.cancel(post_id, actor)

    async def retry(self, post_id: int, actor: Person, network: str = "") -> Card:
        return await self.scheduling.retry(post_id, actor, network)

    async def ask_schedule(self, post_id: int, actor: Person) -> Card:
        return await self.scheduling.ask_schedule(post_id, actor)

    # ---- lists and cards ----------------------------------------------------------------------
    async def drafts(self, actor: Person) -> list[Card]:
        return await self.listing.drafts(actor)

    async def queue(self, actor: Person) -> list[Card]:
        return await self.listing.queue(actor)

    async def remember_card(self, post_id: int, ref: CardRef) -> None:
        await self.core.remember_card(post_id, ref)

    async def view(self, post_id: int) -> PostView:
        async with self.core.uow() as uow:
            return await self.core.view(uow, post_id)

    async def show_draft(self, post_id: int) -> None:
        await self.drafting.show_draft(post_id)
