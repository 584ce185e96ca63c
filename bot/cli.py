"""The `pressdesk` command: run, sandbox, classify, moderation train, audit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from pathlib import Path

from bot import logs
from bot.config import TOKEN_ENV, ConfigError, Secrets, hide_tokens, load_config

HOW_TO_GET_TOKENS = f"""\
Не заданы ключи доступа: {{missing}}.

Как их получить:
  {TOKEN_ENV["telegram"]}: создайте бота у @BotFather в Telegram (/newbot), скопируйте токен.
  {TOKEN_ENV["vk_group"]}: ВКонтакте → Управление сообществом → Работа с API → Ключи доступа
      (права: управление сообществом, сообщения, стена).
  {TOKEN_ENV["vk_user"]}: ключ пользователя-администратора сообщества
      с правами wall, groups, photos, offline: публикацию на стене и удаление
      комментариев VK принимает только с ключом пользователя.
  {TOKEN_ENV["facebook"]} (только если включены [facebook] или [instagram]):
      бессрочный ключ Страницы Facebook, см. раздел README «Facebook и Instagram».
Задайте их как переменные окружения и запустите снова.

Чтобы попробовать всё без ключей, запустите песочницу: uv run pressdesk sandbox"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pressdesk", description="Редакционный бот пресс-службы")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="запустить бота")
    run.add_argument("--config", type=Path, default=Path("config.toml"))
    sandbox = sub.add_parser("sandbox", help="песочница: весь продукт на местных эмуляторах")
    sandbox.add_argument("--config", type=Path, default=Path("config.toml"))
    sandbox.add_argument(
        "--data", type=Path, default=None, help="папка для базы (по умолчанию временная)"
    )
    sandbox.add_argument("--port", type=int, default=None)
    sub.add_parser("classify", help="классифицировать комментарии: JSON lines на входе и выходе")
    moderation = sub.add_parser("moderation", help="модерация комментариев")
    moderation.add_argument("action", choices=["train"])
    moderation.add_argument("--config", type=Path, default=Path("config.toml"))
    moderation.add_argument(
        "--shipped",
        action="store_true",
        help="пересобрать модель, которая поставляется с ботом (без решений редакторов)",
    )
    audit = sub.add_parser("audit", help="журнал действий: проверить цепочку или выгрузить CSV")
    audit.add_argument("action", choices=["verify", "export"])
    audit.add_argument(
        "filter", nargs="*", help="фильтр для export: фамилия, 25.11, «публикация 2»"
    )
    audit.add_argument("--config", type=Path, default=Path("config.toml"))
    doctor = sub.add_parser("doctor", help="проверить ключи доступа и права бота в сетях")
    doctor.add_argument("--config", type=Path, default=Path("config.toml"))
    registry = sub.add_parser("registry", help="реестр аккаунтов")
    registry.add_argument("action", choices=["export"])
    registry.add_argument("--format", choices=["html", "json", "csv"], default="html")
    registry.add_argument("--config", type=Path, default=Path("config.toml"))
    contest = sub.add_parser("contest", help="конкурсы: перепроверить жеребьёвку")
    contest.add_argument("action", choices=["redraw"])
    contest.add_argument("post", type=int, help="номер публикации с конкурсом")
    contest.add_argument("--config", type=Path, default=Path("config.toml"))
    args = parser.parse_args(argv)
    logs.setup(logging.INFO)
    for handler in logging.getLogger().handlers:  # no line, traceback included, shows a token
        handler.setFormatter(TokenHidingFormatter(handler.formatter))
    # aiogram logs every handled update at INFO: a line per message a person sends is noise
    # in the journal (and costs a few per cent of the bot's CPU); failures still show.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    command = args.command or "run"
    if command == "classify":
        from bot.moderation import classify_stream

        classify_stream(sys.stdin, sys.stdout)
        return 0
    config_path = getattr(args, "config", Path("config.toml"))
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if command == "moderation":
        from bot.moderation.examples import local_examples
        from bot.moderation.model import DEFAULT_MODEL_PATH
        from bot.moderation.train import MissingTrainingData, train

        # The shipped data plus this office's decisions; the result goes to model_path,
        # which the running bot picks up by itself. --shipped rebuilds the repo's own model
        # from the data alone (the same bytes for the same data).

        shipped = getattr(args, "shipped", False)
        examples = [] if shipped else local_examples(config.database.url)
        out = DEFAULT_MODEL_PATH if shipped else config.moderation.model_path
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            report = train(examples, out=out)
        except MissingTrainingData as exc:
            print(exc, file=sys.stderr)
            return 2
        print(report)
        print(
            f"Решений редакторов в обучении: {len(examples)}. Модель сохранена: {out}. "
            "Бот начнёт пользоваться ею сам, без перезапуска."
        )
        return 0
    if command == "audit":
        from bot import offline

        if args.action == "verify":
            return asyncio.run(offline.audit_verify(config))
        return asyncio.run(offline.audit_export(config, " ".join(args.filter)))
    if command == "contest":
        from bot import offline

        return asyncio.run(offline.contest_redraw(config, args.post))
    if command == "registry":
        from bot import offline

        return asyncio.run(offline.registry_export(config, args.format))
    if command == "doctor":
        from bot.app_networks import doctor as run_doctor

        secrets = Secrets.from_env()
        if secrets.telegram is None:
            print(HOW_TO_GET_TOKENS.format(missing=TOKEN_ENV["telegram"]), file=sys.stderr)
            return 2
        ok, text = asyncio.run(run_doctor(config, secrets))
        print(text)
        return 0 if ok else 1
    if command == "sandbox":
        return _sandbox(config, args)
    secrets = Secrets.from_env()
    if secrets.telegram is None and secrets.vk_user is None and secrets.vk_group is None:
        # A fresh machine: show the whole product on local emulators instead of an error.
        names = ", ".join(TOKEN_ENV[key] for key in ("telegram", "vk_user", "vk_group"))
        print(f"Ключи доступа не заданы — запускаю песочницу. Для работы задайте {names}.")
        return _sandbox(config, args)
    if missing := secrets.missing(config):
        print(HOW_TO_GET_TOKENS.format(missing=", ".join(missing)), file=sys.stderr)
        return 2
    from bot.app import Application

    try:
        asyncio.run(Application(config, secrets).run_forever())
    except KeyboardInterrupt:
        pass
    except Exception:  # the traceback as Python would print it, with any token masked
        print(hide_tokens(traceback.format_exc()), file=sys.stderr)
        return 1
    return 0


class TokenHidingFormatter(logging.Formatter):
    """The handler's own format, then anything shaped like a token masked (bot.config)."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return hide_tokens(self._inner.format(record))


def _sandbox(config, args) -> int:  # type: ignore[no-untyped-def]
    from sandbox.__main__ import run_sandbox

    return run_sandbox(
        config, data_dir=getattr(args, "data", None), port=getattr(args, "port", None)
    )
