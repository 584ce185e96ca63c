"""The Odnoklassniki tokens (the group admin's access token with the application's key and
secret) and their rights.

What it relies on: `users.getCurrentUser` (fields=UID → {"uid"}) names the token's owner;
`group.getUserGroupsByIds` (group_id, uids → [{"status": "ADMIN" | "MODERATOR" | …}]) says
whether the owner runs the group; `users.hasAppPermission` (ext_perm → true / false) whether the
application was given a right (GROUP_CONTENT to post in the group, PHOTO_CONTENT for its photos);
`group.getInfo` (uids, fields) names the group for the registry. The method names and their
answers are as public OK clients call them (the apiok.ru pages of these methods are linked from
them; the search found no copy of the pages themselves): NOT confirmed from OK's own pages.
The refusals are OK's codes as networks/ok.py sorts them (102/103 a dead token, 104 a secret
that does not match the token, 101 an unknown application key).

The access token can be replaced from chat (/tokens): a trial OKApi on the new token (the same
application key and secret) runs these checks first, then the shared OKApi signs with it from
its next call. The application key and secret stay in the environment: they name the
application, not the admin; they change only when IT registers a new application or resets
its secret in OK's developer settings, and then the admin's token must be issued again for it,
so all three change at once and the desk is restarted with them.
"""

from __future__ import annotations

import asyncio

from bot.domain import Network
from bot.ports import AccessProblem, AccountFacts
from networks.ok_api import OKApi, OKCallError, OKUnavailable

FIX = (
    "Получите в настройках приложения Одноклассников новый «вечный» ключ доступа "
    "администратора группы и замените его: /tokens → «Заменить» "
    "(или переменная PRESSDESK_OK_ACCESS_TOKEN и перезапуск бота)."
)
FIX_APP = (
    "Ключ доступа должен быть выдан тому же приложению, чьи ключ и секрет заданы на сервере. "
    "Если приложение другое или его секрет сброшен, задайте все три ключа "
    "(PRESSDESK_OK_ACCESS_TOKEN, PRESSDESK_OK_APPLICATION_KEY, "
    "PRESSDESK_OK_APPLICATION_SECRET_KEY) в настройках сервера и перезапустите бота."
)
APP_ONLY = (
    "Ключ и секрет приложения Одноклассников меняют в настройках сервера "
    "(вместе с ключом доступа, если приложение новое)."
)
FIX_RIGHTS = (
    "Попросите у поддержки Одноклассников для приложения права GROUP_CONTENT и PHOTO_CONTENT "
    "(apiok.ru → Мои приложения → приложение → Права) и получите новый ключ доступа. " + FIX
)
FIX_ADMIN = (
    "Назначьте владельца ключа администратором группы в Одноклассниках или получите ключ "
    "другого администратора. " + FIX
)
UNREACHABLE = AccessProblem(
    "Одноклассники не ответили на проверку",
    "Проверьте доступ сервера к api.ok.ru и повторите проверку позже.",
)
RIGHTS = {"GROUP_CONTENT": "публикации в группе", "PHOTO_CONTENT": "фото в публикациях"}
RUNS_GROUP = {"ADMIN", "MODERATOR", "EDITOR", "SUPER_MODERATOR"}
REFUSED = {
    101: "ключ приложения (application_key) не подходит",
    102: "ключ доступа больше не действует (истёк или отозван)",
    103: "ключ доступа не подходит",
    104: "секретный ключ приложения не подходит к ключу доступа",
}


class OKAccess:
    network = Network.ok
    token = "ok_access_token"
    title = "Одноклассники: ключ администратора группы"
    rotatable = True
    note = APP_ONLY  # shown under the /tokens card

    def __init__(self, api: OKApi, group_id: str) -> None:
        self._api = api
        self._gid = group_id

    async def check_access(self) -> list[AccessProblem]:
        return await self._guarded(self._api)

    async def try_token(self, value: str) -> list[AccessProblem]:
        trial = self._api.with_token(value.strip())
        try:
            return await self._guarded(trial)
        finally:
            await trial.close()

    def use_token(self, value: str) -> None:
        self._api.use_token(value.strip())

    async def _guarded(self, api: OKApi) -> list[AccessProblem]:
        try:
            async with asyncio.timeout(api.timeout * 4):
                return await self._check(api)
        except OKCallError as exc:
            if exc.code in (101, 104):
                return [AccessProblem(REFUSED[exc.code], FIX_APP, True)]
            if exc.code in REFUSED:
                return [AccessProblem(REFUSED[exc.code], FIX, True)]
            if exc.code == 300:
                return [
                    AccessProblem(
                        f"группа {self._gid} не найдена",
                        "Проверьте [ok] group_id в настройках.",
                        True,
                    )
                ]
            return [AccessProblem(f"Одноклассники отказали в проверке (ошибка {exc.code})", FIX)]
        except (OKUnavailable, TimeoutError):
            return [UNREACHABLE]

    async def _check(self, api: OKApi) -> list[AccessProblem]:
        me = await api.call("users.getCurrentUser", fields="UID")
        uid = str((me or {}).get("uid", ""))
        problems = []
        for right, why in RIGHTS.items():
            granted = await api.call("users.hasAppPermission", ext_perm=right)
            if not _true(granted):
                problems.append(
                    AccessProblem(f"у приложения нет права {right} ({why})", FIX_RIGHTS)
                )
        found = await api.call("group.getUserGroupsByIds", group_id=self._gid, uids=uid)
        status = str(found[0].get("status", "")).upper() if found else ""
        if status not in RUNS_GROUP:
            problems.append(
                AccessProblem(
                    "владелец ключа не администратор группы — публиковать он не может",
                    FIX_ADMIN,
                    True,
                )
            )
        return problems

    async def describe(self) -> AccountFacts | None:
        try:
            found = await self._api.call(
                "group.getInfo", uids=self._gid, fields="uid,name,shortname,members_count"
            )
        except (OKCallError, OKUnavailable, TimeoutError):
            return None
        if not found:
            return None
        group = found[0]
        path = group.get("shortname") or f"group/{self._gid}"
        return AccountFacts(
            Network.ok,
            f"group/{self._gid}",
            str(group.get("name", "")),
            f"https://ok.ru/{path}",
            _int(group.get("members_count")),
            None,  # OK marks state bodies' groups, but no documented field of getInfo says so
        )


def _true(value: object) -> bool:
    return value is True or str(value).strip('"').lower() == "true"


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
