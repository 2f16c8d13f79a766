from pathlib import Path

from pydantic import SecretStr

from callcenter.settings import Settings


def test_ami_secret_is_generated_once_per_data_dir_and_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).ami_secret_value()
    again = Settings(data_dir=tmp_path).ami_secret_value()
    other = Settings(data_dir=tmp_path / "other").ami_secret_value()
    assert first == again
    assert first != other
    assert (tmp_path / "secrets" / "ami-secret").stat().st_mode & 0o777 == 0o600


def test_configured_secret_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ami_secret=SecretStr("from-the-environment"))
    assert settings.ami_secret_value() == "from-the-environment"
    assert not (tmp_path / "secrets" / "ami-secret").exists()


def test_embedded_sqlite_by_default_and_env_prefix(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CC_SIP_PORT", "5999")
    settings = Settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'callcenter.sqlite3'}"
    assert settings.sip_port == 5999
