"""The settings: defaults for `make run`, for an installed package, and clear messages for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.operations.processes import cli, environment
from workflows import settings
from workflows.settings import SettingInvalid, Settings


def test_defaults_serve_make_run_in_a_checkout() -> None:
    current = Settings.from_environment({"HOME": "/home/x"})
    assert settings.in_source_checkout()
    assert current.demo_mode is False  # opt-in: `make run` sets GRANTFLOW_DEMO_MODE=1
    assert current.instance_dir == settings.PROJECT_ROOT / "instance"
    assert (current.definitions_dir / "bpmn").is_dir() and (current.definitions_dir / "forms").is_dir()
    assert (current.log_format, current.log_level, current.proxy_count) == ("text", "INFO", 0)
    assert current.secure_cookies is None and current.secret_key is None and current.metrics_token is None
    assert current.metrics_dir == current.instance_dir / "metrics"


def test_installed_package_keeps_its_data_outside_site_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "in_source_checkout", lambda: False)
    assert Settings.from_environment({"HOME": "/home/x"}).instance_dir == Path("/home/x/.local/share/grantflow")
    current = Settings.from_environment({"HOME": "/home/x", "XDG_DATA_HOME": "/srv/data"})
    assert current.instance_dir == Path("/srv/data/grantflow")
    assert current.definitions_dir == settings.SHIPPED_DEFINITIONS


def test_every_setting_is_read() -> None:
    current = Settings.from_environment({
        "GRANTFLOW_INSTANCE_DIR": "/srv/gf", "DATABASE_URL": "postgresql+psycopg://db/gf", "GRANTFLOW_SECRET_KEY": "k",
        "GRANTFLOW_DEMO_MODE": "ja", "GRANTFLOW_DEFINITIONS_DIR": "/srv/defs", "GRANTFLOW_PROXY_COUNT": "2",
        "GRANTFLOW_SECURE_COOKIES": "0", "GRANTFLOW_SESSION_HOURS": "8", "GRANTFLOW_LOG_FORMAT": "JSON",
        "GRANTFLOW_LOG_LEVEL": "debug", "GRANTFLOW_METRICS_TOKEN": "t", "GRANTFLOW_METRICS_DIR": "/run/gf"})
    assert current == Settings(Path("/srv/gf"), "postgresql+psycopg://db/gf", "k", True, Path("/srv/defs"), 2, False,
                               8, "json", "DEBUG", "t", Path("/run/gf"))
    assert current.database_url == "postgresql+psycopg://db/gf"


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("GRANTFLOW_DEMO_MODE", "vielleicht", "Ja/Nein"),
    ("GRANTFLOW_PROXY_COUNT", "-1", "ganze Zahl ab 0"),
    ("GRANTFLOW_SESSION_HOURS", "0", "ganze Zahl ab 1"),
    ("GRANTFLOW_LOG_FORMAT", "xml", "text, json"),
    ("GRANTFLOW_LOG_LEVEL", "laut", "DEBUG"),
])
def test_bad_values_are_named(name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingInvalid) as caught:
        Settings.from_environment({name: value})
    assert name in caught.value.message and fragment in caught.value.message


def test_the_cli_reports_a_bad_setting_without_traceback(tmp_path: Path) -> None:
    err = cli(environment(GRANTFLOW_INSTANCE_DIR=str(tmp_path), GRANTFLOW_LOG_FORMAT="xml"), "tasks", "--user", "x",
              ok=False).stderr
    assert "GRANTFLOW_LOG_FORMAT" in err and "Fehler:" in err
