"""The settings object: defaults, paths, and the refusal to run production without a real key."""

import datetime as dt
import re
from pathlib import Path

import pytest

from pipelines.settings import DEMO_PSEUDONYM_KEY, PROJECT_ROOT, SettingsError, load_settings

REAL_KEY = "3f9c2a7e81d04b6f95e2c7a1d8b34f60"  # as `openssl rand -hex 16` gives one


def test_defaults_are_the_embedded_demo_set_up():
    settings = load_settings({})
    assert settings.mode == "demo" and settings.gemeentecode == "GM0301"
    assert settings.landing == PROJECT_ROOT / "landing" and settings.gold_db == PROJECT_ROOT / "gold" / "gold.duckdb"
    assert settings.pseudonym_key == DEMO_PSEUDONYM_KEY.encode()
    assert settings.peildatum <= dt.date.today() + dt.timedelta(days=1)


def test_every_zone_follows_the_data_root_unless_set_itself(tmp_path):
    settings = load_settings({"LAKEHOUSE_DATA_ROOT": str(tmp_path), "LAKEHOUSE_LANDING": "/exports/gemeente"})
    assert settings.landing == Path("/exports/gemeente")
    assert settings.bronze == tmp_path / "bronze" and settings.build_db == tmp_path / "silver" / "lakehouse.duckdb"
    assert settings.dbt_env()["LAKEHOUSE_BRONZE"] == str(tmp_path / "bronze")


def test_dbt_gets_the_memory_limit():
    assert load_settings({}).dbt_env()["LAKEHOUSE_MEMORY_LIMIT"] == "4GB"
    assert load_settings({"LAKEHOUSE_MEMORY_LIMIT": " 512MiB "}).dbt_env()["LAKEHOUSE_MEMORY_LIMIT"] == "512MiB"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LAKEHOUSE_MODE": "productie"}, "needs a secret pseudonymisation key"),
        ({"LAKEHOUSE_MODE": "productie", "LAKEHOUSE_PSEUDONYM_KEY": DEMO_PSEUDONYM_KEY}, "needs a secret"),
        ({"LAKEHOUSE_MODE": "productie", "LAKEHOUSE_PSEUDONYM_KEY": "kort"}, "too short"),
        ({"LAKEHOUSE_MODE": "test"}, "LAKEHOUSE_MODE must be one of"),
        ({"LAKEHOUSE_GEMEENTECODE": "0301"}, "must look like GM0301"),
        ({"LAKEHOUSE_PEILDATUM": "23-11-2026"}, "must be a date like"),
        ({"LAKEHOUSE_MEMORY_LIMIT": "4 gigabytes"}, "must be an amount like 4GB"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


@pytest.mark.parametrize(("key", "weakness"), [
    (" " * 32, "is blank"),
    ("a" * 32, "repeats one character"),
    ("k" * 40, "repeats one character"),
    ("geheim12" * 5, "repeats one character or sequence"),
    ("abababababababababababababababcd", "fewer than 8 distinct characters"),
    ("abcdefghijklmnopqrstuvwxyz012345", "a run of consecutive characters"),
    ("abacadaeafagahaiaj" + "ajaiahagafaeadacab", "too little entropy"),
    (DEMO_PSEUDONYM_KEY + " ", "variant of) the public demo key"),
    (" " + DEMO_PSEUDONYM_KEY.upper(), "variant of) the public demo key"),
    (DEMO_PSEUDONYM_KEY.replace("-", " - ") + "2026", "variant of) the public demo key"),
    ("3f9c2a7e81d04b6f 95e2c7", "too short"),
])
def test_weak_production_keys_are_refused(key, weakness):
    with pytest.raises(SettingsError, match=re.escape(weakness)):
        load_settings({"LAKEHOUSE_MODE": "productie", "LAKEHOUSE_PSEUDONYM_KEY": key})
    assert load_settings({"LAKEHOUSE_PSEUDONYM_KEY": key}).pseudonym_key == key.encode()  # demo mode takes any


def test_production_runs_with_a_real_key():
    settings = load_settings({"LAKEHOUSE_MODE": "productie", "LAKEHOUSE_PSEUDONYM_KEY": REAL_KEY,
                              "LAKEHOUSE_GEMEENTECODE": "gm0363"})
    assert settings.pseudonym_key == REAL_KEY.encode() and settings.gemeentecode == "GM0363"


def test_handling_terms_come_from_the_seed():
    terms = load_settings({}).afhandeltermijnen
    assert terms["Afval en zwerfafval"] == 3 and terms["Openbare verlichting"] == 5 and len(terms) == 9


def test_make_run_refuses_production_without_a_key(monkeypatch, capsys):
    from pipelines.run import main

    monkeypatch.setenv("LAKEHOUSE_MODE", "productie")
    monkeypatch.delenv("LAKEHOUSE_PSEUDONYM_KEY", raising=False)
    assert main([]) == 2
    assert "needs a secret pseudonymisation key" in capsys.readouterr().err
