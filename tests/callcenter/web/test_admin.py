from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from callcenter.settings import Settings
from callcenter.web.admin import AdminRequiredError, admin_guard


def test_the_admin_token_is_generated_once_per_data_dir_unless_configured(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).admin_token_value()
    assert len(first) >= 24
    assert Settings(data_dir=tmp_path).admin_token_value() == first
    assert (tmp_path / "secrets" / "admin-token").stat().st_mode & 0o777 == 0o600
    configured = Settings(data_dir=tmp_path / "other", admin_token=SecretStr("from-the-environment"))
    assert configured.admin_token_value() == "from-the-environment"
    assert not (tmp_path / "other" / "secrets").exists()


def test_an_empty_token_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="empty"):
        admin_guard("")


def test_the_error_renders_as_401() -> None:
    error = AdminRequiredError("no")
    assert (error.code, error.http_status) == ("admin-required", 401)
