from __future__ import annotations

from pathlib import Path

import pytest

from callcenter import cli
from callcenter.domain.experts import parse_experts_csv, parse_roster_csv
from callcenter.settings import PROJECT_DIR, Settings

DEMO_EXPERTS = PROJECT_DIR / "config" / "demo-experts.csv"
DEMO_ROSTER = PROJECT_DIR / "config" / "demo-roster.csv"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    current = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setattr(cli, "settings", current)
    # The command's own logging set-up would replace pytest's handlers.
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = cli.main(["experts", *argv])
        return code, capsys.readouterr().out

    return run


def test_import_and_export_through_the_command(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("export-experts") == (
        0,
        "id,name,kind,organisation,phones,categories,prefectures,max_concurrent_calls\n",
    )
    assert run("import-experts", str(DEMO_EXPERTS)) == (0, "")
    assert run("import-roster", str(DEMO_ROSTER)) == (0, "")
    code, experts = run("export-experts")
    assert code == 0
    by_id = {expert.id: expert for expert in parse_experts_csv(experts)}
    assert by_id == {
        expert.id: expert for expert in parse_experts_csv(DEMO_EXPERTS.read_text(encoding="utf-8"))
    }
    code, roster = run("export-roster")
    assert code == 0
    assert parse_roster_csv(roster) == parse_roster_csv(DEMO_ROSTER.read_text(encoding="utf-8"))

    bad = tmp_path / "bad.csv"
    bad.write_text("expert_id,when,start,end\nnobody,mon,08:00,20:00\n", encoding="utf-8")
    assert run("import-roster", str(bad)) == (1, "")
    assert run("import-roster", str(tmp_path / "missing.csv")) == (1, "")
    assert run("export-roster")[1] == roster


def test_the_subcommands_are_required() -> None:
    with pytest.raises(SystemExit):
        cli.main(["experts"])
    with pytest.raises(SystemExit):
        cli.main(["experts", "import-experts"])
