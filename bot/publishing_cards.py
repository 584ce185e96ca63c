"""The Russian texts about publishing: a network's link as it lands, a failure with «Повторить»
for that network, and «Возможно, опубликовано» when nobody knows whether it went out."""

from __future__ import annotations

from dataclasses import replace

from bot.cards import PostView
from bot.domain import Network, PublicationState
from bot.ports import Action, Button, Card
from storage.models import Publication


def _others(view: PostView, publication: Publication) -> list[str]:
    """How the post's other networks stand, one line each."""
    lines = []
    for other in view.publications:
        if other.id == publication.id:
            continue
        title = Network(other.network).title
        if other.state == PublicationState.published:
            lines.append(f"{title}: вышла — {other.url}")
        elif other.state == PublicationState.failed:
            lines.append(f"{title}: не вышла — {other.error}")
        elif other.state == PublicationState.uncertain:
            lines.append(f"{title}: неизвестно, вышла ли")
        else:
            lines.append(f"{title}: публикуется")
    return lines


def landed_card(view: PostView, publication: Publication) -> Card:
    title = Network(publication.network).title
    return Card(f"Опубликовано: «{view.title}»\n{title}: {publication.url}")


def with_corrections(card: Card, view: PostView) -> Card:
    """An editor's copy of «Опубликовано»: the published post's text can change from here, or
    the post can go away everywhere (bot/corrections.py)."""
    row = (
        Button("Изменить текст", Action.edit_published, view.post.id),
        Button("Удалить везде", Action.delete_published, view.post.id),
    )
    return replace(card, buttons=(*card.buttons, row))


def network_failed_card(view: PostView, publication: Publication) -> Card:
    network = Network(publication.network)
    lines = [f"Не удалось опубликовать «{view.title}» — {network.title}: {publication.error}."]
    lines += _others(view, publication)
    row = [Button("Повторить", Action.retry, view.post.id, network.value)]
    if not any(p.state == PublicationState.published for p in view.publications):
        row.append(Button("Отменить", Action.cancel_post, view.post.id))
    return Card("\n".join(lines), buttons=(tuple(row),))


def uncertain_card(
    view: PostView, publication: Publication, where: str, sent_parts: dict[str, str]
) -> Card:
    """The editor decides: the bot cannot tell whether the network took the post."""
    network = Network(publication.network)
    lines = [
        f"Возможно, опубликовано: «{view.title}» — {network.title}.",
        f"Бот отправил публикацию, но не узнал, вышла ли она ({publication.error}). "
        "Сам он её повторять не будет, чтобы не опубликовать дважды.",
    ]
    if sent_parts:
        done = ", ".join(f"{PART_TITLES.get(n, n)} ({url})" for n, url in sent_parts.items())
        lines.append(f"Точно вышло: {done}. «Опубликовать снова» отправит только остальное.")
    if where:
        lines.append(f"Проверьте: {where}")
    lines += _others(view, publication)
    return Card(
        "\n".join(lines),
        buttons=(
            (
                Button("Да, вышло", Action.confirm_out, view.post.id, network.value),
                Button("Опубликовать снова", Action.publish_again, view.post.id, network.value),
            ),
        ),
    )


PART_TITLES = {"album": "фото и видео", "documents": "документы", "text": "текст"}
