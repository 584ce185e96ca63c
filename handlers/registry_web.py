"""The public registry on the desk's HTTP server: /registry.html (the page the website embeds or
copies), /registry.json and /registry.csv (for open-data portals). Read-only, no login."""

from __future__ import annotations

from aiohttp import web

from bot.registry import Registry

TYPES = {
    "html": "text/html",
    "json": "application/json",
    "csv": "text/csv",
}


def registry_routes(registry: Registry) -> list[web.RouteDef]:
    async def serve(request: web.Request) -> web.Response:
        fmt = request.match_info.get("fmt", "html")
        body = await registry.export(fmt)
        headers = {"Cache-Control": "public, max-age=300"}
        if fmt == "csv":
            headers["Content-Disposition"] = 'attachment; filename="registry.csv"'
        return web.Response(body=body, content_type=TYPES[fmt], charset="utf-8", headers=headers)

    return [
        web.get("/registry", serve),
        web.get(r"/registry.{fmt:(html|json|csv)}", serve),
    ]
