"""What people see of a ticket: the card in the editors' chat, the head's question, notes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cards import clip, short_name
from bot.dates import calendar_when, stamp
from bot.domain import Network
from bot.ports import Action, Button, Card
from bot.replies.detect import KIND_TITLES
from storage.models import Person
from storage.tickets import Ticket, due_of

CHANNELS = {"message": "сообщение", "comment": "комментарий"}
# Where the answer cannot go where the question was asked, the card says where it goes.
ANSWER_GOES = {
    (Network.ok, "comment"): "Ответ уйдёт жителю личным сообщением от группы: Одноклассники "
    "не дают боту отвечать комментарием. Если житель закрыл сообщения от групп, бот скажет — "
    "тогда ответьте под публикацией на ok.ru.",
}


def where(ticket: Ticket) -> str:
    return f"{CHANNELS.get(ticket.channel, ticket.channel)} · {Network(ticket.network).title}"


def due_line(ticket: Ticket, now: datetime, tz: ZoneInfo) -> str:
    what = "первый ответ" if ticket.first_response_at is None else "ответ"
    late = " — срок вышел" if due_of(ticket) <= now else ""
    return f"Срок: {what} до {calendar_when(due_of(ticket), now, tz)}{late}"


def ticket_card(
    ticket: Ticket,
    now: datetime,
    tz: ZoneInfo,
    people: dict[int, Person],
    templates: bool,
) -> Card:
    who = ticket.citizen_name or "житель (данные удалены)"
    lines = [
        f"Обращение № {ticket.id} · {where(ticket)}",
        f"От: {who} · {stamp(ticket.created_at, tz)}",
        f"Вид: {KIND_TITLES.get(ticket.kind, ticket.kind)}"
        + (f" · отдел: {ticket.department}" if ticket.department else ""),
    ]
    if ticket.url:
        lines.append(ticket.url)
    lines.append(f"«{clip(ticket.text, 1500)}»")
    if note := ANSWER_GOES.get((Network(ticket.network), ticket.channel)):
        lines.append(note)
    if ticket.state == "answered":
        closer = people.get(ticket.closed_by or 0)
        lines.append(
            f"Ответ отправлен: {short_name(closer)}, {stamp(ticket.answered_at or now, tz)}"
        )
        lines.append(f"«{clip(ticket.draft, 1000)}»")
        if ticket.reply_url:
            lines.append(ticket.reply_url)
        return Card("\n".join(lines))
    if ticket.state == "dismissed":
        closer = people.get(ticket.closed_by or 0)
        lines.append(f"Без ответа: {short_name(closer)}, {stamp(ticket.answered_at or now, tz)}")
        return Card("\n".join(lines))
    lines.append(due_line(ticket, now, tz))
    if ticket.state == "forwarded":
        head = people.get(ticket.assignee_id or 0)
        lines.append(f"Передано в отдел: {short_name(head)} — ждём ответ")
    if ticket.state == "sending":
        lines.append("Ответ отправляется…")
        return Card("\n".join(lines))
    ref = ticket.id or 0
    first: tuple[Button, ...]
    if ticket.state == "draft":
        author = people.get(ticket.draft_by or 0)
        lines.append(f"Черновик ответа ({short_name(author)}):\n«{clip(ticket.draft, 1500)}»")
        first = (
            Button("Отправить", Action.ticket_send, ref),
            Button("Изменить", Action.ticket_edit, ref),
        )
    else:
        first = (Button("Ответить", Action.ticket_reply, ref),)
    if templates:
        first += (Button("Шаблон", Action.ticket_template, ref),)
    second = (
        Button("Передать в отдел", Action.ticket_forward, ref),
        Button("Без ответа", Action.ticket_dismiss, ref),
    )
    return Card("\n".join(lines), (first, second))


def head_card(ticket: Ticket, department: str, now: datetime, tz: ZoneInfo) -> Card:
    text = (
        f"Вопрос жителя для отдела «{department}» (обращение № {ticket.id}, "
        f"ответить до {calendar_when(ticket.answer_due, now, tz)}):\n"
        f"«{clip(ticket.text, 2000)}»\n\n"
        "Нажмите «Ответить» и напишите ответ одним сообщением: пресс-служба согласует его "
        "и отправит жителю."
    )
    return Card(text, ((Button("Ответить", Action.ticket_answer, ticket.id or 0),),))


def head_done_card(ticket: Ticket) -> Card:
    return Card(f"Вопрос жителя (обращение № {ticket.id}): ответ передан в пресс-службу. Спасибо!")


def reminder_card(ticket: Ticket, now: datetime, tz: ZoneInfo) -> Card:
    text = (
        f"Напоминание: обращение № {ticket.id} ({where(ticket)}) ждёт ответа. "
        f"{due_line(ticket, now, tz)}.\n"
        f"«{clip(ticket.text, 500)}»"
    )
    return Card(text)


def escalation_card(ticket: Ticket, holder: Person | None, now: datetime, tz: ZoneInfo) -> Card:
    who = f" (у {short_name(holder)})" if holder is not None else ""
    what = "первого ответа" if ticket.first_response_at is None else "ответа"
    text = (
        f"Срок {what} на обращение № {ticket.id}{who} вышел "
        f"{calendar_when(due_of(ticket), now, tz)}.\n«{clip(ticket.text, 500)}»"
    )
    return Card(text, ((Button("Обращения", Action.open_tickets, 0),),))


def templates_card(ticket: Ticket, names: list[str]) -> Card:
    rows = tuple(
        (Button(name, Action.ticket_use, ticket.id or 0, str(index)),)
        for index, name in enumerate(names)
    )
    return Card(f"Какой шаблон взять для обращения № {ticket.id}?", rows)


def departments_card(ticket: Ticket, departments: list[tuple[int, str]], suggested: str) -> Card:
    rows = tuple(
        (Button(name, Action.ticket_to, ticket.id or 0, str(department_id)),)
        for department_id, name in sorted(departments, key=lambda d: (d[1] != suggested, d[1]))
    )
    hint = f" Предлагаю: {suggested}." if suggested else ""
    return Card(f"В какой отдел передать обращение № {ticket.id}?{hint}", rows)
