"""``redbridge translate`` and ``redbridge doctor`` against the fake servers and the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest

from redbridge.cli import main
from redbridge.settings import Settings
from tests.translation.fakes import serve
from tests.translations.conftest import chat, libre


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings, engines: str) -> None:
    monkeypatch.setenv("REDBRIDGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("REDBRIDGE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("REDBRIDGE_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("REDBRIDGE_TRANSLATION__ENGINES", engines)


def test_translate_prints_the_translation(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          settings: Settings) -> None:
    with serve("chat") as server:
        _env(monkeypatch, settings, f'[{{"kind": "openai_chat", "base_url": "{server.url}", "model": "qwen-test"}}]')
        assert main(["translate", "我们去成都吃火锅吧！", "--to", "en"]) == 0
        out = capsys.readouterr().out
        assert "good" in out
        assert "openai-chat:qwen-test" in out
        assert len(server.requests) == 1


def test_translate_without_engine_or_with_a_dead_one_exits_non_zero(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings) -> None:
    _env(monkeypatch, settings, "[]")
    assert main(["translate", "火锅", "--to", "en"]) == 1
    assert "status: no_engine" in capsys.readouterr().out
    with serve("chat", "500") as server:
        _env(monkeypatch, settings, f'[{{"kind": "openai_chat", "base_url": "{server.url}", "model": "m"}}]')
        assert main(["translate", "火锅", "--to", "en"]) == 1
        out = capsys.readouterr().out
        assert "status: failed" in out
        assert "openai-chat:m" in out
    assert main(["translate", "hello there", "--to", "en"]) == 0  # already English: no engine needed
    with pytest.raises(SystemExit):
        main(["translate", "火锅", "--to", "fr"])


def test_doctor_reports_backends_and_each_engine(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                 settings: Settings, marian_dir: Path, tmp_path: Path) -> None:
    import json

    with serve("chat") as good, serve("libre", "500") as bad:
        engines = [chat(good.url), libre(bad.url),
                   {"kind": "ctranslate2", "model_dir": str(marian_dir), "pairs": [["zh", "en"]]},
                   {"kind": "ctranslate2", "model_dir": str(tmp_path / "missing"), "pairs": [["zh", "en"]]}]
        _env(monkeypatch, settings, json.dumps(engines))
        assert main(["doctor"]) == 1  # two of the four are broken
        out = capsys.readouterr().out
    lines = {line.split(":", 1)[0]: line for line in out.splitlines()}
    assert ": ok" in lines["database"]
    assert "translation engine 1" in out
    assert "openai-chat:qwen-test@v1: ok" in lines["translation engine 1"]
    assert "unreachable or failing" in lines["translation engine 2"]
    assert "ctranslate2:opus-mt-tiny@" in lines["translation engine 3"]
    assert "ok" in lines["translation engine 3"]
    assert "does not load: no-model" in lines["translation engine 4"]
    assert "\njobs: embedded" in out  # from the environment (the default)


def test_doctor_with_nothing_configured_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                settings: Settings) -> None:
    _env(monkeypatch, settings, "[]")
    assert main(["doctor"]) == 0
    assert "no engine configured" in capsys.readouterr().out
