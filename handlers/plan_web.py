"""GET /plan/<token>.ics and /plan/<token>.html (?week=YYYY-MM-DD): the plan outside the chat,
as routes of the desk's web server (handlers/web.py).

A revoked or unknown token gets the same plain 404 as a wrong address, so a link says nothing
about whether it ever worked.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from bot.plan_feed import FeedLinks


def plan_routes(links: FeedLinks) -> list[web.RouteDef]:
    async def feed(request: web.Request) -> web.Response:
        if not await links.valid(request.match_info["token"]):
            raise web.HTTPNotFound()
        return web.Response(
            body=await links.calendar(),
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )

    async def page(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not await links.valid(token):
            raise web.HTTPNotFound()
        week = None
        if raw := request.query.get("week"):
            try:
                week = date.fromisoformat(raw)
            except ValueError:
                raise web.HTTPBadRequest(text="Неверная дата недели: нужна ГГГГ-ММ-ДД.") from None
        text = await links.page(token, week)
        return web.Response(text=text, content_type="text/html", charset="utf-8")

    return [web.get("/plan/{token}.ics", feed), web.get("/plan/{token}.html", page)]
