"""The report dialog's words and rules, shared by every chat (Telegram, VK).

Transports only collect the answers and draw buttons; what is asked, what is accepted and what
the person hears back is decided here, so the two chats cannot drift apart.
"""

from __future__ import annotations

from datetime import date

from bot import filetypes
from bot.cards import clip
from bot.dates import calendar_date, human_date, parse_date
from bot.domain import MediaKind, Role
from bot.editorial import MAX_ATTACHMENTS, NewMedia, ReportInput, Submitted
from bot.errors import Invalid
from storage.models import Person

TITLE_LIMIT = 300
PLACE_LIMIT = 300
FILE_LIMIT = 20 * 1024 * 1024  # what the Bot API lets a bot download; the same for VK
STRANGER = (
    "Здравствуйте! Это рабочий бот пресс-службы администрации, он доступен только по приглашению. "
    "Если Вы сотрудник, попросите приглашение у администратора."
)
CLOSED = "Доступ закрыт."  # a person whose access was closed: no welcome, no invitation to ask
MENU_REPORT = "Сообщить о мероприятии"  # the menu button that starts a report, in every chat
MENU_ANNOUNCE = "Анонс"  # the menu button that announces an event ahead, in every chat
ASK_TITLE = "Расскажите о мероприятии. Как оно называется?"
ASK_DATE = "Когда оно прошло? Можно написать «сегодня», «вчера» или дату, например 25.11."
ASK_PLACE = "Где?"
ASK_DESCRIPTION = "Коротко опишите, что произошло: кто участвовал, что важно для жителей."
TOO_MANY_FILES = f"Уже {MAX_ATTACHMENTS} вложений — это максимум. Нажмите «Готово»."
TOO_BIG_FILE = "Файл больше 20 МБ — бот не сможет его забрать. Пришлите файл поменьше."
NEED_TEXT = "Пришлите, пожалуйста, текстом."
WAITING_CONFIRM = "Нажмите «Отправить», «Изменить» или «Отмена» под сводкой выше."
WAITING_CHANGE = (
    "Выберите, что изменить, кнопкой под вопросом «Что изменить?»: «Название», «Дату», "
    "«Место», «Описание» или «Вложения»."
)
CANCELLED = "Отменено. Сообщение не отправлено."
ASK_CHANGE = "Что изменить?"
ALREADY_REGISTERED = "Вы уже зарегистрированы."
RESTART = "Начать заново"
KEEP_GOING = "Продолжить начатое"
RESUMED = "Продолжим сообщение о мероприятии — оно ещё не отправлено."
FAILED = "Не получилось. Попробуйте ещё раз чуть позже."


def stale_button(step: str | None, data: dict) -> str:
    """A button of an earlier message pressed: what is open now, or what became of the report.
    Short: VK shows it in a snackbar of 90 characters."""
    if step == "confirm":
        return "Сводка уже готова: нажмите «Отправить», «Изменить» или «Отмена» под ней."
    if step:
        return "Эта кнопка уже не действует: ответьте на последний вопрос выше."
    if data.get("sent"):
        return f"Сообщение № {data['sent']} уже отправлено в пресс-службу. Новое: /report"
    return "Эта кнопка уже не действует. Новое сообщение: /report"


def waiting_confirm(data: dict) -> str:
    """Text typed at the summary, or after «Изменить» (then other buttons are in view)."""
    return WAITING_CHANGE if data.get("asked_change") else WAITING_CONFIRM


def cancelled(had_dialog: bool) -> str:
    return "Отменено. Ничего не сохранено." if had_dialog else "Сейчас нечего отменять."


def restart_question(data: dict) -> str:
    """Asked before a new report replaces one that is half filled in."""
    return (
        f"Сообщение «{data.get('title', '')}» ещё не отправлено. Начать новое? "
        f"Начатое будет удалено. Прервать всё: /cancel"
    )


def is_half_filled(data: dict) -> bool:
    return bool(data.get("title"))


def welcome(person: Person, department: str) -> str:
    """The first words after an invite was accepted; the chat's own help follows them."""
    where = f", {department}" if department else ""
    role = Role(person.role).title
    return f"Добро пожаловать, {person.full_name}! Вы зарегистрированы: {role}{where}."


# What each chat can take at the attachment step, named the same way in its prompt, in the
# refusal of a file it can't take, and in the answer to text typed there.
TELEGRAM_FILES = "фото или видео, можно и документы (PDF, Word, Excel, PowerPoint)"
VK_FILES = "фото или видео, можно и документы (PDF, Word, Excel, PowerPoint)"
KEPT_FILES = "Вложения уже получены — они останутся. Убрать их: «Изменить» → «Вложения»."


def ask_media(accepts: str) -> str:
    """`accepts` is the chat's TELEGRAM_FILES or VK_FILES."""
    return f"Пришлите {accepts} — до {MAX_ATTACHMENTS} файлов. Когда закончите, нажмите «Готово»."


def unsupported(accepts: str) -> str:
    return f"Такой файл я не могу принять. Пришлите {accepts}."


def waiting_files(accepts: str, count: int) -> str:
    """Text typed at the attachment step: it is not a file, and it is not lost on anyone."""
    if count:
        return f"{received(count)} Текст сюда не нужен — описание уже есть."
    return (
        f"Здесь я жду вложения: {accepts}. Если их нет, нажмите «Без вложений». "
        "Описание уже сохранено; исправить его можно в сводке («Изменить»)."
    )


def received(count: int) -> str:
    return f"Получено вложений: {count}. Пришлите ещё или нажмите «Готово»."


def attachment(item: dict, data: bytes) -> dict:
    """The attachment's dialog data with its real kind, MIME type and extension, read from its
    bytes; Invalid when the desk can't take it (a text file chosen in a photo picker must not go
    out as a photo)."""
    found = filetypes.checked(MediaKind(item["kind"]), data, item["name"])
    return {
        **item,
        "kind": str(found.kind),
        "mime": found.mime,
        "name": found.filename(item["name"]),
    }


def title(text: str) -> str:
    value = " ".join(text.split())
    if len(value) > TITLE_LIMIT:
        raise Invalid(
            f"Название длиннее {TITLE_LIMIT} знаков ({len(value)}). Сократите, пожалуйста."
        )
    return value


def place(text: str) -> str:
    value = " ".join(text.split())
    if len(value) > PLACE_LIMIT:
        raise Invalid(
            f"Слишком длинно ({len(value)} знаков, можно до {PLACE_LIMIT}). Сократите, пожалуйста."
        )
    return value


def event_date(text: str, today: date) -> date:
    """The day the event took place: the question is «Когда оно прошло?», so not a future day."""
    value = parse_date(text, today)
    if value is None:
        raise Invalid("Не понял дату. Напишите, например: «вчера», «25.11» или «25.11.2026».")
    if value > today:
        raise Invalid(
            f"{human_date(value, today).capitalize()} ещё не наступило. Напишите, когда "
            "мероприятие прошло: «сегодня», «вчера» или дату. О предстоящем мероприятии "
            "сообщите, когда оно пройдёт."
        )
    return value


def date_line(day: date, today: date) -> str:
    """«Дата: вчера.», «Дата: 1 января 2020 г.» (one period, not two)."""
    return f"Дата: {human_date(day, today).removesuffix('.')}."


def report_input(data: dict, media: list[NewMedia]) -> ReportInput:
    """The dialog's answers as the core takes them."""
    when = date.fromisoformat(data["date"])
    return ReportInput(data["title"], when, data["place"], data["description"], media)


def summary(data: dict, today: date) -> str:
    """The last check before sending, from the dialog's answers."""
    return f"Проверьте:\n{report_lines(data, today)}"


def change(field: str) -> dict:
    """The dialog data that sends the person to one field from the summary, and back.

    Attachments are chosen afresh and end with «Готово», which shows the summary anyway."""
    reset = {"changing": field != "media", "asked_change": False}
    return reset | ({"media": []} if field == "media" else {})


def receipt(result: Submitted, data: dict, today: date) -> str:
    """The summary turned into the receipt once the report is sent."""
    return f"{submitted(result)}\n\n{report_lines(data, today)}"


def report_lines(data: dict, today: date) -> str:
    count = len(data.get("media", []))
    attachments = f" · вложений: {count}" if count else " · без вложений"
    when = calendar_date(date.fromisoformat(data["date"]), today)  # the receipt stays: no «вчера»
    return f"«{data['title']}», {when}, {data['place']}\n\n{clip(data['description'])}{attachments}"


def submitted(result: Submitted) -> str:
    promise = "Я напишу, когда его опубликуют."
    if result.is_late:
        # Gentle and once: the order asks for a report no later than the day after the event.
        return (
            f"Сообщение № {result.report_id} принято. По порядку сообщать о мероприятии "
            "нужно не позднее следующего рабочего дня — в следующий раз, пожалуйста, чуть раньше. "
            f"{promise}"
        )
    return f"Спасибо! Сообщение № {result.report_id} передано в пресс-службу. {promise}"
