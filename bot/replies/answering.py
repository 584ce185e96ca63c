"""The editors' and department heads' actions on a ticket: a draft (written or from a template),
forwarding to a department, the head's answer back as a draft, the one reply, closing without."""

from __future__ import annotations

import logging

from bot.domain import Network
from bot.errors import Denied, Invalid, NotFound
from bot.people import audit
from bot.ports import (
    Card,
    PublishError,
)
from bot.replies import cards
from bot.replies.core import CARD_KIND, HEAD_CARD_KIND, RepliesCore
from storage.models import Person

log = logging.getLogger(__name__)


class Answering(RepliesCore):
    # ---- the editors' actions ----------------------------------------------------------------
    async def start_reply(self, ticket_id: int, actor: Person) -> str:
        """«Ответить» / «Изменить»: what the editor is asked to write (the transport waits)."""
        self._require_editor(actor)
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        current = f"\nСейчас:\n«{ticket.draft}»" if ticket.draft else ""
        return (
            f"Напишите ответ на обращение № {ticket.id} одним сообщением — я покажу его, "
            f"и его можно будет отправить.{current}\n«{cards.clip(ticket.text, 600)}»"
        )

    async def set_draft(self, ticket_id: int, actor: Person, text: str) -> Card:
        """The editor's own text (or a template) becomes the ticket's draft."""
        self._require_editor(actor)
        text = text.strip()
        if not text:
            raise Invalid("Ответ пустой. Напишите текст ответа одним сообщением.")
        if len(text) > 4000:
            raise Invalid(f"Ответ длиннее 4000 знаков ({len(text)}). Сократите его.")
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id, lock=True)
            values = self._responded(ticket, now) | dict(
                state="draft", draft=text, draft_by=actor.id, holder_id=actor.id
            )
            if not await uow.tickets.move(ticket_id, ("open", "forwarded", "draft"), **values):
                raise await self._conflict(uow, ticket_id)
            await audit(uow, now, "ticket.draft", actor=actor, obj=f"ticket:{ticket_id}")
            await uow.commit()
        await self._update_cards(ticket_id)
        return await self.card(ticket_id)

    def template_names(self) -> list[str]:
        return [t.name for t in self.settings.templates]

    async def templates(self, ticket_id: int, actor: Person) -> Card:
        self._require_editor(actor)
        if not self.settings.templates:
            raise Invalid(
                "Шаблонов пока нет: их добавляют в config.toml, раздел [[replies.templates]]."
            )
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        return cards.templates_card(ticket, self.template_names())

    async def use_template(self, ticket_id: int, actor: Person, index: int) -> Card:
        self._require_editor(actor)
        if not 0 <= index < len(self.settings.templates):
            raise NotFound("Такого шаблона больше нет. Откройте список шаблонов снова.")
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        text = self.render(self.settings.templates[index].text, ticket)
        return await self.set_draft(ticket_id, actor, text)

    async def departments(self, ticket_id: int, actor: Person) -> Card:
        """«Передать в отдел»: departments that have a head, the routed one first."""
        self._require_editor(actor)
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
            found = []
            for department in await uow.departments.all():
                if await self._head_of(uow, department.id):
                    found.append((department.id, department.name))
        if not found:
            raise Invalid(
                "Пока ни в одном отделе нет руководителя в боте. Пригласите его: /invite."
            )
        return cards.departments_card(ticket, found, ticket.department)

    async def forward(self, ticket_id: int, actor: Person, department_id: int) -> str:
        """The question goes to the department head, in Telegram or VK."""
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id, lock=True)
            department = await uow.departments.get(department_id)
            head = await self._head_of(uow, department_id) if department else None
            if department is None or head is None:
                raise NotFound("В этом отделе нет руководителя в боте. Выберите другой отдел.")
            values = self._responded(ticket, now) | dict(
                state="forwarded",
                assignee_id=head.id,
                holder_id=actor.id,
                department=department.name,
            )
            if not await uow.tickets.move(ticket_id, ("open", "forwarded", "draft"), **values):
                raise await self._conflict(uow, ticket_id)
            await audit(
                uow,
                now,
                "ticket.forwarded",
                actor=actor,
                obj=f"ticket:{ticket_id}",
                details=f"{department.name} person:{head.id}",
            )
            await uow.commit()
            ticket = await uow.tickets.get(ticket_id)
        ref = await self._notifier.send(
            head, cards.head_card(ticket, department.name, now, self.tz)
        )
        if ref is not None:
            await self._remember(HEAD_CARD_KIND, ticket_id, ref)
        await self._update_cards(ticket_id)
        return f"Передано: {department.name} ({cards.short_name(head)})."

    async def start_answer(self, ticket_id: int, head: Person) -> str:
        """A department head pressed «Ответить» under the question."""
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        if ticket.assignee_id != head.id or ticket.state != "forwarded":
            raise Denied("Этот вопрос сейчас не ждёт ответа от вас.")
        return f"Напишите ответ на вопрос жителя (обращение № {ticket_id}) одним сообщением."

    async def head_answer(self, ticket_id: int, head: Person, text: str) -> str:
        """The head's answer comes back to the editor as a draft."""
        text = text.strip()
        if not text:
            raise Invalid("Ответ пустой. Напишите его одним сообщением.")
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id, lock=True)
            if ticket.assignee_id != head.id:
                raise Denied("Этот вопрос сейчас не ждёт ответа от вас.")
            if not await uow.tickets.move(
                ticket_id, ("forwarded",), state="draft", draft=text[:4000], draft_by=head.id
            ):
                raise await self._conflict(uow, ticket_id)
            await audit(uow, now, "ticket.head_answer", actor=head, obj=f"ticket:{ticket_id}")
            await uow.commit()
            ticket = await uow.tickets.get(ticket_id)
            editor = await uow.people.get(ticket.holder_id) if ticket.holder_id else None
        await self._update_cards(ticket_id, HEAD_CARD_KIND, cards.head_done_card(ticket))
        await self._update_cards(ticket_id)
        card = await self.card(ticket_id)
        note = Card(f"Пришёл ответ отдела на обращение № {ticket_id}.\n\n{card.text}", card.buttons)
        if editor is not None and editor.active:
            ref = await self._notifier.send(editor, note)
            if ref is not None:
                await self._remember(CARD_KIND, ticket_id, ref)
        else:
            await self.tell_room(note, ticket_id)
        return "Спасибо! Ответ передан в пресс-службу: редактор согласует его и отправит жителю."

    async def send(self, ticket_id: int, actor: Person) -> str:
        """The approved draft goes out once on the citizen's network; the ticket closes."""
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id, lock=True)
            if not ticket.draft:
                raise Invalid("Ответа ещё нет: нажмите «Ответить» и напишите его.")
            if not await uow.tickets.move(ticket_id, ("draft",), state="sending"):
                raise await self._conflict(uow, ticket_id)
            await uow.commit()
        await self._update_cards(ticket_id)
        channel = self.channels.get(Network(ticket.network))
        try:
            if channel is None:
                raise PublishError("auth", "эта сеть сейчас не подключена к боту")
            if not ticket.thread_ref:
                raise PublishError("rejected", "данные жителя уже удалены по сроку хранения")
            sent = await channel.reply(
                ticket.channel, ticket.thread_ref, ticket.draft, f"reply-{ticket_id}"
            )
        except PublishError as exc:
            log.warning("reply to ticket %s failed: %s", ticket_id, exc.detail or exc)
            async with self._uow() as uow:
                await uow.tickets.move(ticket_id, ("sending",), state="draft")
                await audit(
                    uow, now, "ticket.reply_failed", actor=actor, obj=f"ticket:{ticket_id}",
                    details=f"{exc.kind}: {exc.message}",
                )  # fmt: skip
                await uow.commit()
            await self._update_cards(ticket_id)
            maybe = (
                " Возможно, он всё же ушёл — проверьте по ссылке на обращение."
                if (exc.kind == "uncertain")
                else ""
            )
            raise Invalid(f"Ответ не отправлен: {exc.message}.{maybe}") from exc
        async with self._uow() as uow:
            await uow.tickets.move(
                ticket_id,
                ("sending",),
                state="answered",
                answered_at=now,
                reply_url=sent.url[:500],
                closed_by=actor.id,
            )
            await audit(
                uow, now, "ticket.answered", actor=actor, obj=f"ticket:{ticket_id}",
                details=sent.url,
            )  # fmt: skip
            await uow.commit()
        await self._update_cards(ticket_id)
        return "Ответ отправлен жителю."

    async def dismiss(self, ticket_id: int, actor: Person) -> str:
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id, lock=True)
            values = self._responded(ticket, now) | dict(
                state="dismissed", answered_at=now, closed_by=actor.id
            )
            if not await uow.tickets.move(ticket_id, ("open", "forwarded", "draft"), **values):
                raise await self._conflict(uow, ticket_id)
            await audit(uow, now, "ticket.dismissed", actor=actor, obj=f"ticket:{ticket_id}")
            await uow.commit()
        await self._update_cards(ticket_id)
        await self._update_cards(
            ticket_id, HEAD_CARD_KIND, Card(f"Обращение № {ticket_id} закрыто.")
        )
        return "Обращение закрыто без ответа."
