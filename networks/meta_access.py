"""The Graph API tokens (the Facebook Page's, and Instagram's, which may be the same) and their
permissions.

What it relies on (developers.facebook.com/docs/graph-api/reference/debug_token, checked with
the search tool): GET /debug_token?input_token=… returns the token's metadata: whether it is still
valid (`is_valid`), when it expires (`expires_at`, 0 for never) and which permissions it carries
(`scopes`). Meta documents an app token (or an app developer's token) as the caller; a Page token
asking about itself is what this adapter does (the desk holds no app token), and a refusal of that
is reported as such, not as a dead token. An expired or revoked token is Graph error 190 on any
call. The Page's name, link and followers (`followers_count`, `fan_count`) and the Instagram
account's `username` and `followers_count` are node fields, for the registry.
The permissions each job needs are the ones networks/facebook.py, facebook_comments.py,
instagram.py and instagram_comments.py name.

Each token can be replaced from chat (/tokens): a trial client on the new token makes the same
debug_token check first (an unknown, expired or revoked token is 190 there, fatal), then the
shared client sends it, with its appsecret_proof, from its next call. When Instagram has no
token of its own it uses the Page's (networks/meta.py): its check then `follows` the Page's and
is swapped with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from bot.domain import Network
from bot.ports import AccessProblem, AccountFacts
from networks.graph import GraphClient, GraphError

FIX = (
    "Получите новый ключ Страницы (README, «Facebook и Instagram»: ключ Страницы из долгосрочного "
    "ключа администратора не истекает) и замените его: /tokens → «Заменить» (или переменная "
    "PRESSDESK_FACEBOOK_PAGE_TOKEN, для Instagram — PRESSDESK_INSTAGRAM_TOKEN, и перезапуск бота)."
)
FACEBOOK_SCOPES = {
    "pages_manage_posts": "публикации на Странице",
    "pages_read_engagement": "чтение публикаций и комментариев",
}
FACEBOOK_MODERATION = {"pages_manage_engagement": "скрытие и удаление комментариев"}
INSTAGRAM_SCOPES = {
    "instagram_basic": "доступ к аккаунту",
    "instagram_content_publish": "публикации в Instagram",
}
INSTAGRAM_MODERATION = {"instagram_manage_comments": "скрытие и удаление комментариев"}
SOON = 14 * 24 * 3600  # warn two weeks before a token runs out


class GraphAccess:
    """One Graph token used for the Facebook Page or the Instagram account."""

    rotatable = True

    def __init__(
        self,
        network: Network,
        graph: GraphClient,
        token: str,
        object_id: str,
        moderation: bool,
        clock: Callable[[], float] = time.time,
        follows: str = "",
    ) -> None:
        self.network = network
        self.follows = follows  # "facebook": Instagram on the Page's token, swapped with it
        self._graph = graph
        self._value = token
        self._id = object_id
        self._moderation = moderation
        self._clock = clock
        if network == Network.facebook:
            self.token, self.title = "facebook", "Facebook: ключ Страницы"
            self._needs = FACEBOOK_SCOPES | (FACEBOOK_MODERATION if moderation else {})
        else:
            self.token, self.title = "instagram", "Instagram: ключ доступа"
            self._needs = INSTAGRAM_SCOPES | (INSTAGRAM_MODERATION if moderation else {})
        self._net = network.title

    async def check_access(self) -> list[AccessProblem]:
        return await self._check(self._graph, self._value)

    async def try_token(self, value: str) -> list[AccessProblem]:
        trial = self._graph.with_token(value.strip())
        try:
            return await self._check(trial, value.strip())
        finally:
            await trial.close()

    def use_token(self, value: str) -> None:
        self._value = value.strip()
        self._graph.use_token(self._value)

    async def _check(self, graph: GraphClient, value: str) -> list[AccessProblem]:
        try:
            answer = await graph.get("debug_token", input_token=value)
        except GraphError as exc:
            return [self._refused(exc)]
        data = answer.get("data") or {}
        if not data.get("is_valid", False):
            return [AccessProblem("ключ больше не действует (истёк или отозван)", FIX, True)]
        problems = []
        scopes = set(data.get("scopes") or ())
        for scope, why in self._needs.items():
            if scope not in scopes:
                problems.append(AccessProblem(f"у ключа нет разрешения {scope} ({why})", FIX))
        expires = int(data.get("expires_at") or 0)
        now = self._clock()
        if expires and expires - now < SOON:
            when = datetime.fromtimestamp(expires, UTC).strftime("%d.%m.%Y")
            problems.append(AccessProblem(f"ключ истекает {when}", FIX))
        return problems

    def _refused(self, exc: GraphError) -> AccessProblem:
        if exc.code == 190:
            return AccessProblem("ключ больше не действует (истёк или отозван)", FIX, True)
        if exc.code == 0:
            return AccessProblem(
                f"{self._net} не ответил на проверку",
                "Проверьте доступ сервера к graph.facebook.com и повторите проверку позже.",
            )
        return AccessProblem(f"{self._net} отказал в проверке ключа (ошибка {exc.code})", FIX)

    async def describe(self) -> AccountFacts | None:
        try:
            if self.network == Network.facebook:
                page = await self._graph.get(self._id, fields="name,link,followers_count,fan_count")
                followers = page.get("followers_count", page.get("fan_count"))
                url = page.get("link") or f"https://www.facebook.com/{self._id}"
                return AccountFacts(
                    Network.facebook, self._id, str(page.get("name", "")), url, followers
                )
            user = await self._graph.get(self._id, fields="username,name,followers_count")
        except GraphError:
            return None
        username = str(user.get("username", ""))
        return AccountFacts(
            Network.instagram,
            self._id,
            str(user.get("name") or username),
            f"https://www.instagram.com/{username}/" if username else "",
            user.get("followers_count"),
        )
