"""The account registry: the desk's own accounts enter by themselves; an admin adds, edits and
archives accounts in chat; the exports (HTML that html5lib parses in strict mode, JSON that
matches docs/registry.schema.json, CSV) come as files in chat and from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import aiohttp
import html5lib

from bot import offline
from sandbox.stage import CHANNEL_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import TIMEOUT, Chat, buttons

SCHEMA = Path(__file__).parents[2] / "docs" / "registry.schema.json"


def check_schema(value: object, schema: dict, root: dict) -> None:
    """A small JSON Schema check (type, required, additionalProperties, enum, items, minimum):
    what docs/registry.schema.json uses, so the documented schema is the one tested."""
    if "$ref" in schema:
        raise AssertionError("no $ref in the schema")
    if "enum" in schema:
        assert value in schema["enum"], (value, schema["enum"])
        return
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    python = {
        "object": dict, "array": list, "string": str, "integer": int, "boolean": bool,
        "null": type(None),
    }  # fmt: skip
    if kinds:
        assert any(
            isinstance(value, python[k]) and not (k == "integer" and isinstance(value, bool))
            for k in kinds
        ), (value, kinds)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            assert key in value, f"missing {key}"
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(props), set(value) - set(props)
        for key, sub in props.items():
            if key in value:
                check_schema(value[key], sub, root)
    if isinstance(value, list) and "items" in schema:
        for item in value:
            check_schema(item, schema["items"], root)
    if isinstance(value, int) and "minimum" in schema:
        assert value >= schema["minimum"]


async def own_accounts_listed(stage: Stage) -> None:
    await stage.tg.wait_until(lambda: stage.app._sync_registry.done(), timeout=TIMEOUT)
    rows = await stage.app.registry.rows()
    # Every configured network's own account (Facebook and Instagram are off in this stage).
    assert {r.network for r in rows if r.own} == {"telegram", "vk", "ok", "max"}


async def test_own_accounts_add_edit_archive_and_exports(stage: Stage, admin: Chat) -> None:
    stage.tg.chats[CHANNEL_ID].subscribers = 1520
    stage.vk.set_group_facts(VK_GROUP_ID, members_count=4310, verified=1)
    await stage.app.registry.sync_own()
    await own_accounts_listed(stage)

    admin.send("/accounts")
    listing = await admin.expect("Реестр аккаунтов:")
    assert "ВКонтакте: Администрация Томского района · ведёт бот" in listing["text"]
    assert "Telegram: Администрация Томского района · ведёт бот" in listing["text"]

    admin.press(listing, "➕ Добавить аккаунт")
    await admin.edited(listing, "В какой сети аккаунт?")
    admin.press(admin.current(listing), "Одноклассники")
    await admin.edited(listing, "Как называется аккаунт?")
    admin.send("Молодёжный центр «Радуга»")
    await admin.expect("Ссылка на страницу")
    admin.send("это не ссылка")
    await admin.expect("Пришлите ссылку на страницу")  # asked again, nothing lost
    admin.send("ok.ru/raduga_tomsk")
    await admin.expect("Какое подразделение")
    admin.send("Отдел по молодёжной политике")
    await admin.expect("Кто ответственный")
    admin.send("Сидорова Е. В., специалист")
    card = await admin.expect("Аккаунт добавлен в реестр.")
    assert "Ссылка: https://ok.ru/raduga_tomsk" in card["text"]
    assert "Подразделение: Отдел по молодёжной политике" in card["text"]

    admin.press(card, "Изменить ответственного")
    await admin.expect("пришлите новое значение")
    admin.send("Кузьмина О. П., ведущий специалист")
    card = await admin.expect("Сохранено.")
    assert "Ответственный: Кузьмина О. П., ведущий специалист" in card["text"]
    admin.press(card, "В архив")
    card = await admin.edited(card, "Статус: в архиве")
    assert "Вернуть из архива" in buttons(card)

    admin.send("/accounts")
    listing = await admin.expect("Реестр аккаунтов:")
    for fmt in ("HTML", "JSON", "CSV"):
        admin.press(listing, f"Файл {fmt}")
    documents = await stage.tg.wait_until(
        lambda: (
            (docs := [m for m in admin.bot_messages() if m.get("document")])
            and len(docs) == 3
            and docs
        ),
        timeout=TIMEOUT,
    )
    files = {
        d["document"]["file_name"].rsplit(".", 1)[1]: stage.tg.file_bytes(d["document"]["file_id"])
        for d in documents
    }

    page = files["html"].decode("utf-8")
    html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error
    assert "<script" not in page and 'lang="ru"' in page
    assert '<th scope="col">Подписчики</th>' in page
    assert "4\u00a0310" in page and "1\u00a0520" in page
    assert "Молодёжный центр «Радуга»" in page.split("<h2>Архив</h2>")[1]  # archived: below

    body = json.loads(files["json"])
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    check_schema(body, schema, schema)
    vk = next(a for a in body["accounts"] if a["network"] == "vk")
    assert vk["followers"] == 4310 and vk["verified"] is True and vk["own"] is True
    ok = next(a for a in body["accounts"] if a["network"] == "ok" and not a["own"])
    assert ok["status"] == "archived" and ok["responsible"].startswith("Кузьмина")
    own_ok = next(a for a in body["accounts"] if a["network"] == "ok" and a["own"])
    assert own_ok["status"] == "active" and own_ok["url"].startswith("https://ok.ru/group/")

    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[0][:3] == ["№", "сеть", "название"] and len(rows) == 6  # 4 own, 1 added

    async with aiohttp.ClientSession() as http:  # the same, served at the public URL
        for fmt, kind in (("html", "text/html"), ("json", "application/json"), ("csv", "text/csv")):
            async with http.get(f"{stage.app.web.url}/registry.{fmt}") as response:
                assert response.status == 200 and response.content_type == kind
                served = await response.read()
            if fmt == "json":
                assert json.loads(served)["accounts"] == body["accounts"]
            elif fmt == "html":
                html5lib.HTMLParser(strict=True).parse(served.decode("utf-8"))

    out = io.BytesIO()
    config = stage.app.config
    await stage.stop_app()
    assert await offline.registry_export(config, "json", out) == 0
    assert json.loads(out.getvalue())["accounts"] == body["accounts"]


async def test_an_editor_cannot_touch_the_registry(stage: Stage, admin: Chat, editor: Chat) -> None:
    editor.send("/accounts")
    await editor.expect("Реестр аккаунтов ведут администраторы.")
    from handlers.telegram.accounts import AccountAction, AccountCB

    forged = AccountCB(action=AccountAction.archive, ref=1).pack()
    query = stage.tg.user_presses_button(
        editor.user_id, editor.user_id, editor.bot_messages()[-1]["message_id"], forged
    )
    assert "ведут администраторы" in await editor.alert(query)
