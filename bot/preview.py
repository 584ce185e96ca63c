"""The preview per network: before approval the editor sees the post as each network will show
it (its own text or the post's, in its house style, cut or split as that network does, with
which files) and the network's verdict; one tap accepts an adaptation the network proposes (a
text cut to its limit), and an editor may give one network a text of its own.

What each network does is its adapter's (`Publisher.preview()`, `.fits()`, `.check()` in
networks/); this module only lays it out and keeps the per-network texts (storage: post_text).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.cards import PostView, clip
from bot.desk_core import EDITABLE, DeskCore
from bot.domain import Network, PostState
from bot.errors import Conflict, Invalid
from bot.people import audit
from bot.ports import Action, Button, Card, Check, Fit, OutgoingPost, PreviewPart, Publisher
from storage.models import Person
from storage.uow import UnitOfWork

PART_TEXT_BUDGET = 1500  # UTF-16 units of each part's text shown in the chat
ELLIPSIS = "…"


def cut(text: str, limit: int, measure: Callable[[str], int] = len) -> str:
    """`text` within `limit` (as `measure` counts), ending at a sentence or a word, with «…»."""
    text = text.strip()
    if measure(text) <= limit:
        return text
    room = limit - measure(ELLIPSIS)
    end = min(len(text), max(room, 0))
    while end > 0 and measure(text[:end]) > room:
        end -= max(1, (measure(text[:end]) - room) // 2)
    head, window = text[:end], text[: end + 1]  # a sentence may end right at the cut
    for marks in ((". ", "! ", "? ", "\n"), (" ",)):
        at = max(window.rfind(m) for m in marks)
        if at >= len(head) * 0.6:
            head = head[: at + 1]
            break
    return head.rstrip(" ,;:—-\n") + ELLIPSIS


class Previews:
    def __init__(self, core: DeskCore) -> None:
        self._core = core

    # ---- what the editor sees ---------------------------------------------------------------
    async def show(self, post_id: int, actor: Person) -> list[Card]:
        """One card per network: the ticked ones once chosen, else every connected one."""
        core = self._core
        core.require_editor(actor)
        async with core.uow() as uow:
            view = await core.view(uow, post_id)
        ticked = [Network(p.network) for p in view.publications]
        networks = [n for n in ticked if n in core.publishers] or list(core.publishers)
        return [self.card(view, network) for network in networks]

    def outgoing(self, view: PostView, network: Network) -> OutgoingPost:
        return OutgoingPost.of(view.post.id, self._core.style.content(view, network))

    def card(self, view: PostView, network: Network, note: str = "") -> Card:
        publisher = self._core.publishers[network]
        outgoing = self.outgoing(view, network)
        check = publisher.check(outgoing)
        lines = [note, ""] if note else []
        lines += [f"{network.title} · «{view.title}»", verdict(check)]
        own = view.texts.get(network)
        if own is not None:
            whose = "принятая адаптация" if own.source == "adapted" else "задан редактором"
            lines.append(f"Свой текст для сети ({whose}).")
        parts = _parts(publisher, outgoing)
        for number, part in enumerate(parts, 1):
            lines += ["", _part_line(number, part, len(parts))]
            if part.text:
                lines.append(clip(part.text, PART_TEXT_BUDGET))
        rows: list[tuple[Button, ...]] = []
        for fit in _fits(publisher, outgoing):
            hint = f" ({fit.why})" if fit.why else ""
            lines.append(f"\nМожно: {fit.label.lower()}{hint}.")
            rows.append(
                (Button(fit.label, Action.accept_fit, view.post.id, f"{network}.{fit.key}"),)
            )
        text_row = [
            Button(f"Текст для {network.title}", Action.network_text, view.post.id, network)
        ]
        if own is not None:
            text_row.append(Button("Общий текст", Action.common_text, view.post.id, network))
        rows.append(tuple(text_row))
        if view.post.state == PostState.draft:
            rows.append((Button("Одобрить", Action.approve, view.post.id),))
        return Card("\n".join(lines), buttons=tuple(rows))

    # ---- what the editor changes --------------------------------------------------------------
    async def accept(self, post_id: int, actor: Person, arg: str) -> Card:
        """One tap: the network's proposed cut becomes its own text."""
        core = self._core
        core.require_editor(actor)
        network_name, _, key = arg.partition(".")
        network = self._network(network_name)
        async with core.uow() as uow:
            view = await self._editable(uow, post_id)
            publisher = core.publishers[network]
            fit = next(
                (f for f in _fits(publisher, self.outgoing(view, network)) if f.key == key), None
            )
            if fit is None:
                raise Conflict(f"{network.title}: текст уже подходит, сокращать нечего.")
            body = self._cut(view, network, fit)
            await uow.post_texts.put(post_id, network, body, "adapted", core.clock())
            await audit(
                uow,
                core.clock(),
                "post.adapt",
                actor=actor,
                obj=f"post:{post_id}",
                details=f"{network.title}: {fit.label.lower()}",
            )
            await uow.commit()
            view = await core.view(uow, post_id)
        return self.card(view, network, f"Принято для {network.title}: {fit.label.lower()}.")

    async def start_text(self, post_id: int, actor: Person, network_name: str) -> Card:
        self._core.require_editor(actor)
        network = self._network(network_name)
        async with self._core.uow() as uow:
            await self._editable(uow, post_id)
        return Card(
            f"Пришлите текст для {network.title} одним сообщением. Он уйдёт только в "
            f"{network.title} вместо общего; подпись и хештеги сети добавятся сами. "
            "Передумали: /cancel"
        )

    async def set_text(self, post_id: int, actor: Person, network_name: str, text: str) -> Card:
        core = self._core
        core.require_editor(actor)
        network = self._network(network_name)
        text = text.strip()
        if not text:
            raise Invalid(f"Текст пустой. Пришлите текст для {network.title} одним сообщением.")
        async with core.uow() as uow:
            await self._editable(uow, post_id)
            await uow.post_texts.put(post_id, network, text, "editor", core.clock())
            await audit(
                uow,
                core.clock(),
                "post.network_text",
                actor=actor,
                obj=f"post:{post_id}",
                details=network.title,
            )
            await uow.commit()
            view = await core.view(uow, post_id)
        return self.card(view, network, f"Текст для {network.title} сохранён.")

    async def common_text(self, post_id: int, actor: Person, network_name: str) -> Card:
        core = self._core
        core.require_editor(actor)
        network = self._network(network_name)
        async with core.uow() as uow:
            await self._editable(uow, post_id)
            if await uow.post_texts.drop(post_id, network):
                await audit(
                    uow,
                    core.clock(),
                    "post.common_text",
                    actor=actor,
                    obj=f"post:{post_id}",
                    details=network.title,
                )
            await uow.commit()
            view = await core.view(uow, post_id)
        return self.card(view, network, f"В {network.title} уйдёт общий текст.")

    # ---- helpers ------------------------------------------------------------------------------
    def _network(self, name: str) -> Network:
        try:
            network = Network(name)
        except ValueError:
            raise Invalid("Такой сети нет в настройках.") from None
        if network not in self._core.publishers:
            raise Invalid(f"{network.title} не подключена в настройках.")
        return network

    async def _editable(self, uow: UnitOfWork, post_id: int) -> PostView:
        view = await self._core.view(uow, post_id)
        if view.post.state not in EDITABLE:
            raise Conflict(f"Менять текст уже нельзя: {PostState(view.post.state).title}.")
        return view

    def _cut(self, view: PostView, network: Network, fit: Fit) -> str:
        """The network's text cut so that, with its house style, it fits `fit.limit`."""
        style = self._core.style.of(network)
        body = view.text_for(network).strip()
        limit = fit.limit - max(fit.measure(style.apply(body)) - fit.measure(body), 0)
        while limit > 0:
            candidate = cut(body, limit, fit.measure)
            over = fit.measure(style.apply(candidate)) - fit.limit
            if over <= 0:
                return candidate
            limit -= over
        raise Invalid("Подпись и хештеги сети длиннее её предела — сократить текст не выйдет.")


def verdict(check: Check) -> str:
    if check.problems:
        return "✗ Не пройдёт: " + "; ".join(check.problems)
    if check.notes:
        return "✓ Пройдёт; " + "; ".join(check.notes)
    return "✓ Пройдёт"


def _parts(publisher: Publisher, post: OutgoingPost) -> tuple[PreviewPart, ...]:
    preview = getattr(publisher, "preview", None)
    if preview is None:
        return (PreviewPart("Публикация", post.text, post.media),)
    return preview(post)


def _fits(publisher: Publisher, post: OutgoingPost) -> tuple[Fit, ...]:
    fits = getattr(publisher, "fits", None)
    return fits(post) if fits is not None else ()


def _part_line(number: int, part: PreviewPart, total: int) -> str:
    files = f" ({', '.join(m.filename for m in part.media)})" if part.media else ""
    head = f"Сообщение {number} из {total}: " if total > 1 else ""
    return f"{head}{part.label}{files}" + (":" if part.text else "")
