from aiogram.fsm.state import State, StatesGroup


class ReportDialog(StatesGroup):
    title = State()
    date = State()
    place = State()
    description = State()
    media = State()
    confirm = State()


class EditorDialog(StatesGroup):
    text = State()
    media = State()
    reject_reason = State()
    time = State()
    choosing = State()  # a «Когда публикуем?» or «Куда публикуем» card waits for a tap
    network_text = State()  # «Текст для ВКонтакте»: the text for one network (bot/preview.py)
    published_text = State()  # «Изменить текст» of a published post (bot/corrections.py)


class FormatDialog(StatesGroup):
    """A poll, a live broadcast or a contest added to a draft (handlers/telegram/formats.py)."""

    poll_question = State()
    poll_options = State()
    poll_kind = State()
    poll_end = State()
    broadcast_link = State()
    broadcast_start = State()
    contest_rules = State()
    contest_end = State()
    contest_winners = State()


class InviteDialog(StatesGroup):
    department_name = State()


class AnnounceDialog(StatesGroup):
    title = State()
    date = State()
    place = State()


class PlanDialog(StatesGroup):
    item = State()


class TokenDialog(StatesGroup):
    value = State()


class AccountDialog(StatesGroup):
    name = State()
    url = State()
    department = State()
    responsible = State()
    edit = State()


class TicketDialog(StatesGroup):
    reply = State()  # an editor writes the reply to a citizen
    answer = State()  # a department head writes the answer to a citizen's question
