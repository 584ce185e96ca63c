"""The VK tokens and their rights.

A community token: groups.getTokenPermissions (group tokens only) lists its rights by name
(messages, manage, photos…); groups.getById without ids names the community it belongs to.
A user token: account.getAppPermissions returns its scope as a bit mask (wall 8192, photos 4,
video 16, docs 131072, offline 65536, groups 262144; dev.vk.com «Права доступа для токена
пользователя»), and
groups.getById(group_id) says whether its owner is an admin of the community (is_admin).
VK answers error 5 to an expired or revoked token, 27 to the wrong kind, 1051 to VK ID tokens.
"""

from __future__ import annotations

import asyncio

import aiohttp
from vkbottle import API, VKAPIError
from vkbottle.api.token_generator import get_token_generator

from bot.domain import Network
from bot.ports import AccessProblem, AccountFacts

USER_SCOPE = {
    "wall": 8192,
    "photos": 4,
    "video": 16,
    "docs": 131072,
    "groups": 262144,
    "offline": 65536,
}
USER_SCOPE_WHY = {
    "wall": "публикации на стене и удаление комментариев",
    "photos": "фото в публикациях",
    "video": "видео в публикациях",
    "docs": "документы в публикациях",
    "groups": "блокировка авторов комментариев",
    "offline": "без него ключ истекает через сутки",
}
GROUP_RIGHTS = {"messages": "сообщения сообщества", "manage": "управление сообществом"}
FIX_USER = (
    "Получите новый ключ пользователя-администратора сообщества с правами wall, photos, video, "
    "docs, groups, offline и замените его: /tokens → «Заменить» "
    "(или переменная PRESSDESK_VK_USER_TOKEN)."
)
FIX_GROUP = (
    "ВКонтакте → Управление сообществом → Работа с API → Ключи доступа: создайте ключ с правами "
    "«управление сообществом» и «сообщения сообщества» и замените его: /tokens → «Заменить» "
    "(или переменная PRESSDESK_VK_GROUP_TOKEN)."
)
UNREACHABLE = AccessProblem(
    "ВКонтакте не ответил на проверку",
    "Проверьте доступ сервера к api.vk.com и повторите проверку позже.",
)


class _VKAccess:
    network = Network.vk
    rotatable = True
    token = ""
    title = ""

    def __init__(self, api: API, group_id: int, timeout: float = 20) -> None:
        self.api = api
        self._group_id = group_id
        self._timeout = timeout

    async def check_access(self) -> list[AccessProblem]:
        return await self._guarded(self.api)

    async def try_token(self, value: str) -> list[AccessProblem]:
        trial = API(value.strip())
        trial.API_URL = self.api.API_URL
        try:
            return await self._guarded(trial)
        finally:
            await trial.http_client.close()

    def use_token(self, value: str) -> None:
        # vkbottle asks its token generator for the token at every request.
        self.api.token_generator = get_token_generator(value.strip())

    async def describe(self) -> AccountFacts | None:
        return None

    async def _guarded(self, api: API) -> list[AccessProblem]:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._check(api)
        except VKAPIError as exc:
            return [self._refused(exc.code)]
        except (aiohttp.ClientError, TimeoutError):
            return [UNREACHABLE]

    async def _check(self, api: API) -> list[AccessProblem]:
        raise NotImplementedError

    def _refused(self, code: int) -> AccessProblem:
        raise NotImplementedError


class VKUserAccess(_VKAccess):
    token = "vk_user"
    title = "ВКонтакте: ключ администратора сообщества"

    async def _check(self, api: API) -> list[AccessProblem]:
        mask = (await api.request("account.getAppPermissions", {}))["response"]
        problems = [
            AccessProblem(f"у ключа нет права {name} ({why})", FIX_USER, False)
            for name, why in USER_SCOPE_WHY.items()
            if not int(mask) & USER_SCOPE[name]
        ]
        groups = await api.request("groups.getById", {"group_id": self._group_id})
        found = groups["response"]["groups"]
        if not found or not found[0].get("is_admin"):
            problems.append(
                AccessProblem(
                    "владелец ключа не администратор сообщества — публиковать он не может",
                    "Назначьте его администратором сообщества или получите ключ другого "
                    "администратора. " + FIX_USER,
                )
            )
        return problems

    def _refused(self, code: int) -> AccessProblem:
        if code == 1051:
            return AccessProblem("это ключ VK ID (vk2.a.…), VK его не принимает", FIX_USER, True)
        if code == 27:
            return AccessProblem("это ключ сообщества, а нужен ключ пользователя", FIX_USER, True)
        if code == 5:
            return AccessProblem("ключ больше не действует (истёк или отозван)", FIX_USER, True)
        return AccessProblem(f"VK отказал в проверке ключа (ошибка {code})", FIX_USER, True)


class VKGroupAccess(_VKAccess):
    token = "vk_group"
    title = "ВКонтакте: ключ сообщества"

    async def _check(self, api: API) -> list[AccessProblem]:
        answer = (await api.request("groups.getTokenPermissions", {}))["response"]
        names = {p["name"] for p in answer.get("permissions", [])}
        problems = [
            AccessProblem(f"у ключа нет права «{why}»", FIX_GROUP)
            for name, why in GROUP_RIGHTS.items()
            if name not in names
        ]
        own = (await api.request("groups.getById", {}))["response"]["groups"]
        if own and own[0]["id"] != self._group_id:
            problems.append(
                AccessProblem(
                    f"ключ от другого сообщества ({own[0].get('name', own[0]['id'])})",
                    "Проверьте [vk] group_id в настройках. " + FIX_GROUP,
                    True,
                )
            )
        return problems

    def _refused(self, code: int) -> AccessProblem:
        if code == 27:
            return AccessProblem("это ключ пользователя, а нужен ключ сообщества", FIX_GROUP, True)
        if code == 5:
            return AccessProblem("ключ больше не действует (истёк или отозван)", FIX_GROUP, True)
        return AccessProblem(f"VK отказал в проверке ключа (ошибка {code})", FIX_GROUP, True)

    async def describe(self) -> AccountFacts | None:
        try:
            async with asyncio.timeout(self._timeout):
                answer = await self.api.request(
                    "groups.getById",
                    {"group_id": self._group_id, "fields": "members_count,verified"},
                )
        except (VKAPIError, aiohttp.ClientError, TimeoutError):
            return None
        group = answer["response"]["groups"][0]
        return AccountFacts(
            Network.vk,
            f"club{group['id']}",
            group.get("name", ""),
            f"https://vk.com/{group.get('screen_name') or 'club' + str(group['id'])}",
            group.get("members_count"),
            bool(group.get("verified")),
        )
