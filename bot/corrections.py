"""After publication: the text of a published post changed from chat on the networks that allow
it, or the post deleted everywhere after a confirmation; both audited.

Which network can do what is its adapter's (`Publisher.edit_refusal()`, `.edit()`,
`.delete_refusal()`, `.delete()`); the new text gets each network's house style as a new post
would. A deletion claims each publication first (published → deleted, one winner), then asks
the network; a network that refuses keeps its row published, with the reason said.
"""

from __future__ import annotations

from dataclasses import replace

from bot.cards import PostView
from bot.desk_core import DeskCore
from bot.domain import Network, PostState, PublicationState
from bot.errors import Conflict, Invalid
from bot.people import audit
from bot.ports import Action, Button, Card, OutgoingPost, Published, Publisher, PublishError
from bot.publishing import Outbox
from storage.models import Person, Publication
from storage.outbox import published_parts

LIVE = (PublicationState.published,)


def sent_of(row: Publication) -> dict[str, Published]:
    """The published parts of a row, the post's first message first: a part written before the
    post itself (VK's poll, made before wall.post) is not the post, so the post leads then."""
    parts = published_parts(row)
    first = Published(row.external_id or "", row.url or "")
    if any(part.external_id == first.external_id for part in parts.values()):
        return parts
    return {"post": first, **parts}


class Corrections:
    def __init__(self, core: DeskCore, outbox: Outbox) -> None:
        self._core = core
        self._outbox = outbox

    # ---- editing the text -------------------------------------------------------------------
    async def start_edit(self, post_id: int, actor: Person) -> Card:
        view = await self._published_view(post_id, actor)
        can, cannot = self._split(view, view.post.text, edit=True)
        if not can:
            raise Conflict("Изменить текст нельзя ни в одной сети:\n" + _reasons(cannot))
        lines = [
            f"Пришлите новый текст «{view.title}» одним сообщением.",
            f"Он заменит текст в сетях: {', '.join(n.title for n in can)}; подпись и хештеги "
            "каждой сети добавятся сами.",
        ]
        if cannot:
            lines.append("Не изменится:\n" + _reasons(cannot))
        lines.append("Передумали: /cancel")
        return Card("\n".join(lines))

    async def edit(self, post_id: int, actor: Person, text: str) -> Card:
        text = text.strip()
        if not text:
            raise Invalid("Текст пустой. Пришлите новый текст публикации одним сообщением.")
        core = self._core
        view = await self._published_view(post_id, actor)
        done: list[Network] = []
        failed: dict[Network, str] = {}
        for row in self._live(view):
            network = Network(row.network)
            publisher = core.publishers.get(network)
            if publisher is None:
                failed[network] = "сеть не подключена в настройках"
                continue
            outgoing = self._outgoing(view, row, text)
            refusal = _edit_refusal(publisher, outgoing)
            if refusal:
                failed[network] = refusal
                continue
            try:
                await publisher.edit(outgoing)
            except PublishError as exc:
                failed[network] = exc.message
                continue
            done.append(network)
        now = core.clock()
        async with core.uow() as uow:
            if done:
                await uow.posts.move(post_id, (view.post.state,), text=text, updated_at=now)
                for network in done:
                    await uow.post_texts.drop(post_id, network)
            details = "; ".join(
                [f"{n.title}: изменён" for n in done]
                + [f"{n.title}: {r}" for n, r in failed.items()]
            )
            await audit(
                uow, now, "post.edit_published", actor=actor, obj=f"post:{post_id}", details=details
            )
            await uow.commit()
        lines = []
        if done:
            lines.append(f"Текст «{view.title}» изменён: {', '.join(n.title for n in done)}.")
        if failed:
            lines.append("Не изменён:\n" + _reasons(failed))
        return Card("\n".join(lines))

    # ---- deleting everywhere ----------------------------------------------------------------
    async def ask_delete(self, post_id: int, actor: Person) -> Card:
        view = await self._published_view(post_id, actor)
        can, cannot = self._split(view, view.post.text, edit=False)
        if not can:
            raise Conflict("Удалить нельзя ни в одной сети:\n" + _reasons(cannot))
        lines = [
            f"Удалить «{view.title}» из сетей: {', '.join(n.title for n in can)}?",
            "Вернуть публикацию будет нельзя.",
        ]
        if cannot:
            lines.append("Останется:\n" + _reasons(cannot))
        return Card(
            "\n".join(lines),
            buttons=(
                (
                    Button("Да, удалить везде", Action.delete_confirmed, post_id),
                    Button("Не удалять", Action.stop, post_id),
                ),
            ),
        )

    async def delete(self, post_id: int, actor: Person) -> Card:
        core = self._core
        view = await self._published_view(post_id, actor)
        now = core.clock()
        claimed: list[Publication] = []
        async with core.uow() as uow:  # one winner per network: the row moves first
            for row in self._live(view):
                moved = await uow.outbox.move(
                    row.id, LIVE, state=PublicationState.deleted, updated_at=now
                )
                if moved is not None:
                    claimed.append(row)
            await uow.commit()
        if not claimed:
            raise Conflict(f"«{view.title}» уже удаляют или удалили.")
        done: list[Network] = []
        failed: dict[Network, str] = {}
        for row in claimed:
            network = Network(row.network)
            publisher = core.publishers.get(network)
            outgoing = self._outgoing(view, row, view.text_for(network))
            reason = "сеть не подключена в настройках" if publisher is None else ""
            if publisher is not None:
                reason = _delete_refusal(publisher, outgoing)
                if not reason:
                    try:
                        await publisher.delete(outgoing)
                    except PublishError as exc:
                        reason = exc.message
            if reason:
                failed[network] = reason
            else:
                done.append(network)
        now = core.clock()
        async with core.uow() as uow:
            for row in claimed:
                if Network(row.network) in failed:  # still there: published again, with why
                    await uow.outbox.move(
                        row.id,
                        (PublicationState.deleted,),
                        state=PublicationState.published,
                        updated_at=now,
                    )
            rows = await uow.publications.for_post(post_id)
            if rows and all(r.state == PublicationState.deleted for r in rows):
                await uow.posts.move(
                    post_id,
                    (PostState.published, PostState.failed),
                    state=PostState.deleted,
                    updated_at=now,
                )
            details = "; ".join(
                [f"{n.title}: удалена" for n in done]
                + [f"{n.title}: {r}" for n, r in failed.items()]
            )
            await audit(
                uow,
                now,
                "post.delete_published",
                actor=actor,
                obj=f"post:{post_id}",
                details=details,
            )
            await uow.commit()
        lines = []
        if done:
            lines.append(f"«{view.title}» удалена: {', '.join(n.title for n in done)}.")
        if failed:
            lines.append("Не удалена:\n" + _reasons(failed))
        return Card("\n".join(lines))

    # ---- helpers ------------------------------------------------------------------------------
    async def _published_view(self, post_id: int, actor: Person) -> PostView:
        core = self._core
        core.require_editor(actor)
        async with core.uow() as uow:
            view = await core.view(uow, post_id)
        if not self._live(view):
            if view.post.state == PostState.deleted:
                raise Conflict(f"«{view.title}» уже удалена из сетей.")
            raise Conflict(f"«{view.title}» ещё нигде не вышла.")
        return view

    @staticmethod
    def _live(view: PostView) -> list[Publication]:
        return [p for p in view.publications if p.state == PublicationState.published]

    def _outgoing(self, view: PostView, row: Publication, text: str) -> OutgoingPost:
        styled = self._core.style.apply(row.network, text)
        return OutgoingPost.of(view.post.id, replace(view.content, text=styled), sent=sent_of(row))

    def _split(
        self, view: PostView, text: str, edit: bool
    ) -> tuple[list[Network], dict[Network, str]]:
        can: list[Network] = []
        cannot: dict[Network, str] = {}
        for row in self._live(view):
            network = Network(row.network)
            publisher = self._core.publishers.get(network)
            if publisher is None:
                cannot[network] = "сеть не подключена в настройках"
                continue
            outgoing = self._outgoing(view, row, text)
            refusal = (_edit_refusal if edit else _delete_refusal)(publisher, outgoing)
            if refusal and not (edit and refusal in ("пустой текст",)):
                cannot[network] = refusal
            else:
                can.append(network)
        return can, cannot


def _edit_refusal(publisher: Publisher, post: OutgoingPost) -> str:
    refusal = getattr(publisher, "edit_refusal", None)
    return refusal(post) if refusal is not None else "изменить текст здесь бот не может"


def _delete_refusal(publisher: Publisher, post: OutgoingPost) -> str:
    refusal = getattr(publisher, "delete_refusal", None)
    return refusal(post) if refusal is not None else "удалить публикацию здесь бот не может"


def _reasons(reasons: dict[Network, str]) -> str:
    return "\n".join(f"{n.title}: {r}" for n, r in reasons.items())


def _outcomes(done: list[Network], word: str, failed: dict[Network, str]) -> str:
    """The audit line's details: «ВКонтакте: изменён; MAX: …»."""
    return "; ".join(
        [f"{n.title}: {word}" for n in done] + [f"{n.title}: {r}" for n, r in failed.items()]
    )
