from pathlib import Path

import pytest

from bot.config import ConfigError, Secrets, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_is_valid() -> None:
    config = load_config(ROOT / "config.toml")
    assert config.desk.timezone == "Asia/Tomsk"
    assert config.telegram.api_base_url.startswith("https://")


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"vk\.grup_id: неизвестный ключ"):
        parse_config({"vk": {"grup_id": 1}})


def test_wrong_type_is_named() -> None:
    with pytest.raises(ConfigError, match=r"vk\.group_id"):
        parse_config({"vk": {"group_id": "много"}})


def test_bad_timezone_is_named() -> None:
    with pytest.raises(ConfigError, match=r"desk\.timezone"):
        parse_config({"desk": {"timezone": "Mars/Olympus"}})


def test_missing_tokens_are_named_and_secret_values_are_hidden() -> None:
    config = parse_config({})
    secrets = Secrets.from_env({"PRESSDESK_TELEGRAM_TOKEN": "123:SECRET"})
    assert secrets.missing(config) == ["PRESSDESK_VK_USER_TOKEN", "PRESSDESK_VK_GROUP_TOKEN"]
    assert "SECRET" not in repr(secrets) and "SECRET" not in str(secrets)


def test_cli_names_the_tokens_still_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setenv("PRESSDESK_TELEGRAM_TOKEN", "1:x")
    for name in ("PRESSDESK_VK_USER_TOKEN", "PRESSDESK_VK_GROUP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "--config", str(ROOT / "config.toml")]) == 2
    err = capsys.readouterr().err
    assert "PRESSDESK_VK_USER_TOKEN" in err and "PRESSDESK_VK_GROUP_TOKEN" in err
    assert "PRESSDESK_TELEGRAM_TOKEN" not in err.split("\n")[0] and "pressdesk sandbox" in err


def test_cli_stops_on_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    bad = tmp_path / "config.toml"
    bad.write_text('[desk]\ntimezone = "Nowhere/Land"\n', encoding="utf-8")
    assert main(["run", "--config", str(bad)]) == 2
    assert "desk.timezone" in capsys.readouterr().err


def test_training_without_the_labelled_data_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESSDESK_MODERATION_DATA", str(tmp_path / "nowhere"))
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    assert main(["moderation", "train", "--config", "config.toml"]) == 2
    assert "PRESSDESK_MODERATION_DATA" in capsys.readouterr().err
    assert not (tmp_path / "data" / "moderation-model.npz").exists()


def test_facebook_and_instagram_are_off_by_default_and_need_their_ids() -> None:
    config = load_config(ROOT / "config.toml")
    assert not config.facebook.enabled and not config.instagram.enabled
    with pytest.raises(ConfigError, match=r"facebook: .*page_id"):
        parse_config({"facebook": {"enabled": True}})
    with pytest.raises(ConfigError, match=r"instagram: .*user_id"):
        parse_config({"instagram": {"enabled": True}})
    secrets = Secrets.from_env({"PRESSDESK_TELEGRAM_TOKEN": "1:x"})
    on = parse_config({"vk": {"enabled": False}, "instagram": {"enabled": True, "user_id": "1784"}})
    assert secrets.missing(on) == ["PRESSDESK_FACEBOOK_PAGE_TOKEN"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("telegram.api_base_url", "htps://api.telegram.org"),
        ("telegram.api_base_url", "api.telegram.org"),
        ("telegram.api_base_url", "https://api.telegram.org:99999"),
        ("vk.api_base_url", "https://api.vk.com:port/method/"),
        ("vk.api_base_url", "https:///method/"),
    ],
)
def test_a_malformed_base_url_is_named_and_stops_the_start(key: str, value: str) -> None:
    section, name = key.split(".")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_config({section: {name: value}})


def test_a_token_pasted_into_a_url_is_never_shown() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"telegram": {"api_base_url": "htps://api.telegram.org/bot123456:SECRET-x"}})
    assert "SECRET" not in str(caught.value) and "telegram.api_base_url" in str(caught.value)


def test_log_lines_and_tracebacks_never_show_a_token() -> None:
    import logging
    import sys

    from bot.cli import TokenHidingFormatter

    formatter = TokenHidingFormatter(logging.Formatter("%(message)s"))
    try:
        raise ValueError("https://api.telegram.org/bot123456:SECRET/getMe failed")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, "f", 1, "call %s", ("x?access_token=SECRET2&v=5",), sys.exc_info()
        )
    shown = formatter.format(record)
    assert "SECRET" not in shown and "bot123456:***" in shown and "access_token=***" in shown
