"""The OK group's Bot API token (PRESSDESK_OK_BOT_TOKEN, the group's messages:
networks/ok_dialogs.py) and what can be checked of it.

What it relies on: the Bot API pages found (apiok.ru/dev/graph_api/bot_api and
apiok.ru/dev/methods/botapi, as networks/ok_dialogs.py cites them) name no call that says
whose token it is (no `/me` like MAX's; a `/graph/me/info` is in none of the pages or clients
the search found). The cheapest documented call that needs a live token and changes nothing is
GET /graph/me/subscriptions (graph.user.subscriptions); a token OK does not take is answered
with OK's session codes (102 expired or replaced by a newer one, 103, 104). So the check proves
the token is a live group bot token — NOT that it is this group's (a token of another group
passes: nothing found tells the group from the token).

Replaced from chat (/tokens): a trial OKDialogs on the new token lists the subscriptions first;
then the shared OKDialogs sends it from its next call, and the webhook is subscribed again with
it (a new token invalidates the group's old one; OK's pages do not say the URLs stay).
"""

from __future__ import annotations

import asyncio

import aiohttp

from bot.domain import Network
from bot.ports import AccessProblem, AccountFacts
from networks.ok_dialogs import AUTH_CODES, OKBotError, OKDialogs

FIX = (
    "Получите новый ключ в настройках группы в Одноклассниках (Настройки → Сообщения → "
    "«Работа с API» → «Получить ключ доступа») и замените его: /tokens → «Заменить» "
    "(или переменная PRESSDESK_OK_BOT_TOKEN и перезапуск бота)."
)
UNREACHABLE = AccessProblem(
    "Одноклассники не ответили на проверку",
    "Проверьте доступ сервера к api.ok.ru и повторите проверку позже.",
)
NOT_SUBSCRIBED = AccessProblem(
    "Одноклассники не приняли адрес для сообщений группы с новым ключом — сообщения жителей "
    "могут не приходить боту",
    "Проверьте [web] public_base_url в настройках; пока смотрите сообщения группы на ok.ru.",
)


class OKBotAccess:
    network = Network.ok
    token = "ok_bot"
    title = "Одноклассники: ключ бота сообщений группы"
    rotatable = True
    note = "Новый ключ, полученный в настройках группы, сразу отменяет прежний: замените его здесь."

    def __init__(self, dialogs: OKDialogs, webhook: str = "", replaces: str = "") -> None:
        self._dialogs = dialogs
        self._webhook = webhook  # the URL OK sends the group's messages to ("" when none)
        self._replaces = replaces  # this desk's webhook URLs start so

    async def check_access(self) -> list[AccessProblem]:
        return await self._guarded(self._dialogs)

    async def try_token(self, value: str) -> list[AccessProblem]:
        trial = self._dialogs.with_token(value.strip())
        try:
            return await self._guarded(trial)
        finally:
            await trial.close()

    def use_token(self, value: str) -> None:
        self._dialogs.use_token(value.strip())

    async def settle(self) -> list[AccessProblem]:
        """After use_token: the group's webhook subscribed with the new token."""
        if not self._webhook or await self._dialogs.subscribe(self._webhook, self._replaces):
            return []
        return [NOT_SUBSCRIBED]

    async def describe(self) -> AccountFacts | None:
        return None  # the group is the OK access token's account (networks/ok_access.py)

    async def _guarded(self, dialogs: OKDialogs) -> list[AccessProblem]:
        try:
            async with asyncio.timeout(dialogs.timeout * 2):
                await dialogs.subscriptions()
        except OKBotError as exc:
            if exc.code in AUTH_CODES or exc.code in (401, 403):
                return [
                    AccessProblem("ключ не действует (неверный, отозван или заменён)", FIX, True)
                ]
            if exc.code == 9999:  # OK's HTTP 5xx
                return [UNREACHABLE]
            return [
                AccessProblem(f"Одноклассники отказали в проверке (ошибка {exc.code})", FIX, True)
            ]
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return [UNREACHABLE]
        return []
