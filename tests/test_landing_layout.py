"""Landing mistakes each get their own message naming the folder and the layout expected, and demo data is never
generated into a folder the user named unless it is empty and DEMO=1 asks for it."""

from __future__ import annotations

import dataclasses

import pytest

import pipelines.run as run
from pipelines.bronze.landing import SOURCE_FOLDERS, landing_problem, system_folders, unread_in_landing
from pipelines.bronze.sources import SOURCES
from pipelines.settings import load_settings
from tests.conftest import PEILDATUM

REAL_KEY = "Zq8#vT2!mL5pW9xR4cN7bH1sK6dF3gJ0yU"
LAYOUT = "fixi/, iwmo/, ijw/, zorgned/, brp/, burgerzaken/, referentie/"


def test_the_layout_names_every_source_folder():
    assert set(SOURCE_FOLDERS) == {folder for source in SOURCES for folder in system_folders(source.system)}
    assert set(system_folders("iwmo")) == {"iwmo", "ijw"}  # iWmo and iJw berichten: one reader


@pytest.mark.parametrize(("lay_out", "message"), [
    (lambda landing: None, "does not exist"),
    (lambda landing: landing.mkdir(), "is empty"),
    (lambda landing: (landing.mkdir(), (landing / "meldingen.csv").write_text("a;b\n")),
     "holds exports directly (meldingen.csv) instead of in a source folder"),
    (lambda landing: (landing.mkdir(parents=True), (landing / "Jeugd").mkdir(), (landing / "Jeugd" / "x.xml").write_text("<a/>")),
     "holds no source folder, only folders this product does not read (Jeugd)"),
    (lambda landing: (landing.mkdir(parents=True), (landing / "fixi").mkdir(), (landing / "GM0363" / "brp").mkdir(parents=True)),
     "its source folders (GM0363, fixi) hold no files"),
])
def test_each_landing_mistake_has_its_own_message(tmp_path, lay_out, message):
    landing = tmp_path / "exports"
    lay_out(landing)
    problem = landing_problem(landing)
    assert problem.startswith(f"landing folder {landing}") and message in problem and LAYOUT in problem


def test_a_folder_holding_only_a_link_says_so(tmp_path):
    (tmp_path / "elders" / "fixi").mkdir(parents=True)
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "fixi").symlink_to(tmp_path / "elders" / "fixi")
    problem = landing_problem(tmp_path / "exports")
    assert "holds only entries that are not read (fixi: symbolic link: not followed" in problem and LAYOUT in problem


def test_a_folder_with_exports_has_no_problem_but_reports_what_it_does_not_read(tmp_path):
    (tmp_path / "fixi").mkdir()
    (tmp_path / "fixi" / "issues.json").write_text("{\"results\": []}")
    (tmp_path / "losse_export.csv").write_text("x")
    (tmp_path / "Jeugd").mkdir()
    (tmp_path / "README.md").write_text("about this folder")
    assert landing_problem(tmp_path) is None
    unread = unread_in_landing(tmp_path)
    assert len(unread) == 2 and "losse_export.csv: a file directly in the landing folder" in unread[0]
    assert unread[1].startswith(f"{tmp_path / 'Jeugd'}: not a source folder")


def test_a_municipality_drop_folder_with_exports_counts(tmp_path):
    (tmp_path / "GM0363" / "brp").mkdir(parents=True)
    (tmp_path / "GM0363" / "brp" / "extract.csv").write_text("x")
    assert landing_problem(tmp_path) is None


@pytest.fixture
def calls(monkeypatch):
    """What `make run` would generate and build, recorded instead of done."""
    made = {"demo": [], "runs": 0}
    monkeypatch.setattr(run, "generate_gemeenten", lambda landing, *args: made["demo"].append(landing))

    def materialise(run_id, log_file):
        made["runs"] += 1
        raise SystemExit("stop before building")

    monkeypatch.setattr(run, "materialise_everything", materialise)
    for name in ("LAKEHOUSE_LANDING", "LAKEHOUSE_DATA_ROOT", "LAKEHOUSE_MODE", "LAKEHOUSE_PSEUDONYM_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAKEHOUSE_PEILDATUM", PEILDATUM)
    return made


def test_a_mistyped_landing_folder_is_never_created_or_filled(tmp_path, monkeypatch, capsys, calls):
    typo = tmp_path / "exprots"
    monkeypatch.setenv("LAKEHOUSE_LANDING", str(typo))
    for argv in ([], ["--demo"]):
        assert run.main(argv) == 2
        assert f"landing folder {typo} does not exist" in capsys.readouterr().err
    assert not typo.exists() and calls == {"demo": [], "runs": 0}


def test_production_names_the_landing_mistake_and_never_generates(tmp_path, monkeypatch, capsys, calls):
    (tmp_path / "exports" / "Jeugd").mkdir(parents=True)
    monkeypatch.setenv("LAKEHOUSE_LANDING", str(tmp_path / "exports"))
    monkeypatch.setenv("LAKEHOUSE_MODE", "productie")
    monkeypatch.setenv("LAKEHOUSE_PSEUDONYM_KEY", REAL_KEY)
    assert run.main(["--demo"]) == 2
    error = capsys.readouterr().err
    assert "holds no source folder" in error and "(Jeugd)" in error and "production mode never generates demo" in error
    assert calls == {"demo": [], "runs": 0}


def test_a_named_folder_gets_demo_data_only_when_asked_and_empty(tmp_path, monkeypatch, capsys, calls):
    exports = tmp_path / "exports"
    exports.mkdir()
    monkeypatch.setenv("LAKEHOUSE_LANDING", str(exports))
    assert run.main([]) == 2
    assert "is empty" in capsys.readouterr().err and calls["demo"] == []
    with pytest.raises(SystemExit):
        run.main(["--demo"])
    assert calls == {"demo": [exports], "runs": 1}
    (exports / "fixi").mkdir()
    (exports / "fixi" / "page.json").write_text("{}")
    assert run.main(["--demo"]) == 2
    assert "is not empty" in capsys.readouterr().err and calls["demo"] == [exports]


def test_the_default_landing_gets_the_demo_when_it_holds_no_exports(tmp_path, monkeypatch, calls):
    """The project's own landing/ (nothing named): missing or without exports, `make run` generates the demo."""
    own = dataclasses.replace(load_settings({"LAKEHOUSE_PEILDATUM": PEILDATUM}), data_root=tmp_path,
                              landing=tmp_path / "landing")
    assert not own.landing_named
    monkeypatch.setattr(run, "load_settings", lambda: own)
    with pytest.raises(SystemExit):
        run.main([])
    assert calls == {"demo": [own.landing], "runs": 1} and own.landing.is_dir()
