"""The users bench/updates.py plays against the Telegram emulator: the driver that acts and
waits for the bot's answer, the /report and echo dialogs, the editor's cards, the warm-up and a
timed phase."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable

from emulators.telegram import TelegramEmulator

TOKEN = "7100000001:BENCH-token"
EDITOR_ID = 10
FIRST_USER = 1000
WARM_UP_USER = 999
PHOTO = b"\xff\xd8\xff\xe0" + b"bench-photo" * 200
Dialog = Callable[["Driver", int, int], Awaitable[None]]  # driver, user, rounds
Done = Callable[["Driver", int], Awaitable[None]] | None  # waits for that many dialogs' work


class Driver:
    """Plays users: each action waits for the bot's next message in that user's chat.

    Bot messages are routed to the waiting user from the emulator's event stream, so the
    driver's own cost stays constant per update and does not blur the bot's figures."""

    def __init__(self, tg: TelegramEmulator, bot_id: int) -> None:
        self.tg = tg
        self.bot_id = bot_id
        self.latencies: list[float] = []
        self.by_step: dict[int, list[float]] = {}
        self._waiting: dict[int, tuple[asyncio.Future[dict], int | None]] = {}
        self.editor_cards = 0  # the editors' cards seen since this driver started
        self.card_arrived = asyncio.Event()
        self._events = tg.subscribe()
        self._router = asyncio.create_task(self._route())

    async def _route(self) -> None:
        while True:
            event = await self._events.get()
            message = event.get("message") or {}
            if message.get("from", {}).get("id") != self.bot_id:
                continue
            if event["chat_id"] == EDITOR_ID and event.get("type") == "message":
                if "Новое сообщение" in (message.get("text") or message.get("caption") or ""):
                    self.editor_cards += 1
                    self.card_arrived.set()
            waiting = self._waiting.get(event["chat_id"])
            if waiting is None:
                continue
            waiter, edit_of = waiting
            answered = (
                event.get("type") == "message"
                if edit_of is None
                else event.get("type") == "edit" and message.get("message_id") == edit_of
            )
            if answered and not waiter.done():
                del self._waiting[event["chat_id"]]
                waiter.set_result(message)

    async def step(
        self, user_id: int, action: Callable[[], object], index: int, edit_of: int | None = None
    ) -> dict:
        """Act, and wait for the bot's next message in the chat (or its edit of `edit_of`)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[user_id] = (waiter, edit_of)
        started = time.perf_counter()
        action()
        message = await asyncio.wait_for(waiter, 30)
        elapsed = time.perf_counter() - started
        self.latencies.append(elapsed)
        self.by_step.setdefault(index, []).append(elapsed)
        return message

    def press(self, user_id: int, message: dict, text: str) -> Callable[[], object]:
        return lambda: self.tg.press(user_id, user_id, message["message_id"], text)

    async def close(self) -> None:
        self._router.cancel()
        self.tg.unsubscribe(self._events)


async def reporter_dialog(driver: Driver, user_id: int, rounds: int) -> None:
    for _ in range(rounds):
        await report_once(driver, user_id)


async def report_once(driver: Driver, user_id: int) -> None:
    tg = driver.tg
    steps = iter(range(8))

    async def step(action: Callable[[], object], edit_of: int | None = None) -> dict:
        return await driver.step(user_id, action, next(steps), edit_of)

    await step(lambda: tg.user_sends_text(user_id, "/report"))
    await step(lambda: tg.user_sends_text(user_id, f"Субботник № {user_id}"))
    await step(lambda: tg.user_sends_text(user_id, "Вчера"))  # the button under the input field
    await step(lambda: tg.user_sends_text(user_id, "Парк Победы"))
    await step(lambda: tg.user_sends_text(user_id, "Жители убрали парк и посадили деревья."))
    status = await step(lambda: tg.user_sends_photos(user_id, [PHOTO]))
    summary = await step(driver.press(user_id, status, "Готово"))
    # The answer to «Отправить» is the summary turned into the receipt.
    done = await step(driver.press(user_id, summary, "Отправить"), summary["message_id"])
    assert "Сообщение №" in done["text"], done["text"]


async def echo_dialog(driver: Driver, user_id: int, rounds: int) -> None:
    for index in range(8 * rounds):
        text = f"эхо {index}"
        await driver.step(user_id, lambda t=text: driver.tg.user_sends_text(user_id, t), index % 8)


async def cards_for_editor(driver: Driver, count: int) -> None:
    """The desk's work for a report ends when the editor has its card. Counted from the event
    stream: reading the editor's whole chat at each change would load the emulator's process
    more the longer the run, and slow the desk's calls with it."""
    async with asyncio.timeout(60):
        while driver.editor_cards < count:
            driver.card_arrived.clear()
            await driver.card_arrived.wait()


async def warm_up(tg: TelegramEmulator, dialog: Dialog, done: Done = None) -> float:
    """One unmeasured dialog first, for either bot: the first update through each code path
    pays one-time costs (lazy imports, SQLAlchemy's statement cache, pydantic's first
    validation of each type) that a running bot has long paid. Returns its duration."""
    driver = Driver(tg, int(TOKEN.split(":")[0]))
    started = time.perf_counter()
    try:
        await dialog(driver, WARM_UP_USER, 1)
        if done is not None:
            await done(driver, 1)
    finally:
        await driver.close()
    return time.perf_counter() - started


async def run_phase(
    tg: TelegramEmulator, users: list[int], dialog: Dialog, rounds: int, done: Done = None
) -> tuple[Driver, float]:
    """Time the dialogs, and whatever the bot still does for them after its last answer
    (`done`, given how many dialogs ran so far): throughput counts all of the work."""
    driver = Driver(tg, int(TOKEN.split(":")[0]))
    # The emulator and driver live in this process: a full collection here would stall both
    # bots' figures alike by a fifth of a second, so it waits until the phase is over (the
    # phase collected just before it took its CPU readings).
    gc.disable()
    started = time.perf_counter()
    try:
        await asyncio.gather(*(dialog(driver, user, rounds) for user in users))
        if done is not None:
            answered = time.perf_counter()
            await done(driver, len(users) * rounds)
            tail_ms = (time.perf_counter() - answered) * 1000
            print(f"background work done {tail_ms:.0f} ms after the last answer")
    finally:
        elapsed = time.perf_counter() - started
        gc.enable()
        await driver.close()
    return driver, elapsed


async def start_emulator(users: list[int]) -> TelegramEmulator:
    tg = TelegramEmulator()
    # The emulator's self-check (its every answer parsed with aiogram's types, as the tests keep
    # it) took a third of each call here: Telegram does no such thing, and the bot that makes
    # more calls would pay for it.
    tg.validate_responses = False
    await tg.start()
    tg.add_bot(TOKEN, username="bench_bot")
    for user in [*users, WARM_UP_USER, EDITOR_ID]:
        tg.add_user(user, "Пользователь", str(user))
        tg.open_private_chat(user)
    return tg
