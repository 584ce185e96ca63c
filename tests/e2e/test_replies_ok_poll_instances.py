"""Two real `pressdesk run` processes on one database, OK's group messages polled (no public
address, bot/app_replies.py `poll_ok`): one desk reads the group's chats at a time (the lease,
bot/leases.py), not both; SIGKILL the reading one and the other takes the reading over once
the lease runs out, and a message written then becomes a ticket, acknowledged once. Each desk
reads with a Bot API token of its own, so the emulator tells whose reads they are."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from sandbox.processes import DeskProcess, Ledger, write_config
from sandbox.stage import OK_GROUP_ID, Stage
from storage.leases import Lease
from storage.tickets import Ticket
from tests.e2e.test_replies_ok_catchup import FIRST, acks

START = 180.0  # a real process starts in tens of seconds on a loaded machine


async def test_one_desk_polls_ok_at_a_time_and_the_other_takes_over_when_it_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = Stage(tmp_path)
    await stage.start_emulators()
    database = stage.config().database.url  # PostgreSQL's own database when the engine is it
    tokens = [stage.ok.bot_api.issue_bot_token(OK_GROUP_ID), f"tkn1second{uuid.uuid4().hex}"]
    stage.ok.bot_api.bot_tokens[tokens[1]] = OK_GROUP_ID  # the same group's, for the second
    stage.ok.add_user(FIRST, "Пётр", "Соколов")
    ledger = Ledger(database)
    await ledger.prepare()
    ok = {**stage.raw_config()["ok"], "read_messages_every_seconds": 1.0}
    monkeypatch.setenv("PRESSDESK_OK_ACCESS_TOKEN", stage.ok_token)
    monkeypatch.setenv("PRESSDESK_OK_APPLICATION_KEY", stage.ok_app_key)
    monkeypatch.setenv("PRESSDESK_OK_APPLICATION_SECRET_KEY", stage.ok_app_secret)
    desks = []
    for n, token in enumerate(tokens):
        # Its web server on a port of the system's choosing: a port picked here first could be
        # taken (another worker, an outgoing connection) before the desk, tens of seconds later,
        # binds it, and the desk would not start.
        config = write_config(stage, tmp_path / f"desk{n}.toml", database, ok=ok)
        monkeypatch.setenv("PRESSDESK_OK_BOT_TOKEN", token)
        desk = DeskProcess(stage, config, f"desk{n}")
        desk.start()
        desks.append(desk)

    def up() -> bool:
        """Both desks started (each start sets the bot's commands once); one that died is
        told at once, with its log, not after the whole wait."""
        for desk in desks:
            assert desk.proc is not None and desk.proc.poll() is None, desk.log()[-3000:]
        return sum(c[0] == "setMyCommands" for c in stage.tg.calls) >= len(desks)

    def reads() -> list[int]:
        chats = [q for name, q in stage.ok.requests if name == "graph /graph/me/chats"]
        return [sum(1 for q in chats if q.get("access_token") == t) for t in tokens]

    async def holder() -> str | None:
        async with ledger.uow() as uow:
            lease = (await uow.session.exec(select(Lease))).first()
        return lease.holder if lease is not None else None

    try:
        await stage.tg.wait_until(up, START)
        both_up = reads()
        await stage.ok.wait_until(lambda: sum(reads()) >= sum(both_up) + 8, 60)
        since = [now - then for now, then in zip(reads(), both_up, strict=True)]
        assert 0 in since, f"both desks read OK's chats: {since}"  # one reads, the other waits
        reading = since.index(max(since))
        assert await holder() is not None

        desks[reading].kill()  # no clean-up: the lease runs out by itself
        other = 1 - reading
        killed = reads()
        await stage.ok.wait_until(lambda: reads()[other] >= killed[other] + 2, 60)
        stage.ok.bot_api.citizen_writes(OK_GROUP_ID, FIRST, "Где получить справку о составе семьи?")
        await stage.ok.wait_until(lambda: len(acks(stage, FIRST)) == 1, 60)

        async def tickets() -> list[Ticket]:
            async with ledger.uow() as uow:
                return list((await uow.session.exec(select(Ticket))).all())

        [ticket] = await tickets()
        assert ticket.network == "ok" and "справку" in ticket.text
        assert reads()[reading] == killed[reading]  # the dead desk read nothing since
        desks[other].stop()  # a clean stop gives the lease up
        assert await holder() is None
    finally:
        for desk in desks:
            desk.kill()
        await ledger.close()
        await stage.stop()
