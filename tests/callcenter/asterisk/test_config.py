"""The rendered Asterisk configuration, read back with pyst2's Asterisk config parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from asterisk.config import Config

from callcenter.asterisk import config, root
from callcenter.settings import Settings


def fake_root(tmp_path: Path) -> Path:
    asterisk_root = tmp_path / "root"
    (asterisk_root / "usr/lib/x86_64-linux-gnu/asterisk/modules").mkdir(parents=True)
    return asterisk_root


def sections(path: Path) -> dict[str, dict[str, str]]:
    parsed: dict[str, dict[str, str]] = {}
    for category in Config(str(path)).categories:
        parsed.setdefault(category.name, {}).update(
            {item.name.strip(): item.value.strip() for item in category.items}
        )
    return parsed


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Settings, Path]:
    settings = Settings(
        asterisk_root=fake_root(tmp_path),
        asterisk_instance="unit",
        data_dir=tmp_path / "data",
        demo=True,
        sip_port=15060,
        ami_port=15038,
    )
    conf_in_root = config.render(settings)
    assert conf_in_root == Path("/srv/cc12348/unit/etc/asterisk.conf")
    return settings, settings.asterisk_instance_dir / "etc"


def test_directories_section_is_real_not_a_template(rendered: tuple[Settings, Path]) -> None:
    _, etc = rendered
    lines = [line.strip() for line in (etc / "asterisk.conf").read_text().splitlines()]
    assert "[directories]" in lines
    assert not any(line.startswith("[directories](") for line in lines)
    directories = sections(etc / "asterisk.conf")["directories"]
    assert directories["astetcdir"] == "/srv/cc12348/unit/etc"
    assert directories["astmoddir"] == "/usr/lib/x86_64-linux-gnu/asterisk/modules"


def test_ami_has_a_generated_secret_and_loopback_only(rendered: tuple[Settings, Path]) -> None:
    settings, etc = rendered
    manager = sections(etc / "manager.conf")
    assert manager["general"]["port"] == "15038"
    account = manager[settings.ami_username]
    assert account["secret"] == settings.ami_secret_value()
    assert len(account["secret"]) >= 24
    assert account["permit"] == "127.0.0.1/255.255.255.255"


def test_demo_caller_identified_by_auth_username(rendered: tuple[Settings, Path]) -> None:
    _, etc = rendered
    pjsip = sections(etc / "pjsip.conf")
    assert pjsip["global"]["endpoint_identifier_order"].startswith("auth_username,")
    assert pjsip["transport-udp"]["bind"] == "127.0.0.1:15060"
    assert pjsip["demo-caller"]["identify_by"] == "auth_username"
    assert pjsip["demo-caller"]["context"] == "from-public"


def test_without_demo_there_is_no_demo_account(tmp_path: Path) -> None:
    settings = Settings(asterisk_root=fake_root(tmp_path), asterisk_instance="prod", data_dir=tmp_path / "d")
    config.render(settings)
    assert "demo-caller" not in (settings.asterisk_instance_dir / "etc" / "pjsip.conf").read_text()


def test_modules_are_listed_not_autoloaded(rendered: tuple[Settings, Path]) -> None:
    _, etc = rendered
    text = (etc / "modules.conf").read_text()
    assert "autoload = no" in text
    for unwanted in ("pbx_dundi", "chan_iax2", "res_calendar", "res_xmpp", "res_stun_monitor"):
        assert unwanted not in text


def test_dialplan_and_classic_agi_are_installed(rendered: tuple[Settings, Path]) -> None:
    settings, etc = rendered
    assert {p.name for p in (etc / "dialplan").glob("*.conf")} == {
        p.name for p in config.DIALPLAN_DIR.glob("*.conf")
    }
    script = settings.asterisk_instance_dir / "agi-bin" / "entry_fallback.py"
    assert script.stat().st_mode & 0o111
    assert (settings.asterisk_instance_dir / "pylib" / "asterisk" / "agi.py").exists()
    assert "CC_AGI_BASE = agi://127.0.0.1:4573" in (etc / "extensions.conf").read_text()


def test_prompts_of_the_configuration_are_installed_next_to_the_catalogue(
    rendered: tuple[Settings, Path],
) -> None:
    settings, _ = rendered
    installed = settings.asterisk_instance_dir / "prompts"
    for language in ("zh", "ug"):
        for name in ("cc-transferring", "cc-expert-press-1", "cc-category-labour", "cc-category-other"):
            assert (installed / language / f"{name}.wav").is_file(), (language, name)
        for option in ("satisfied", "basically-satisfied", "dissatisfied"):
            assert (installed / language / f"cc-rating-option-{option}.wav").is_file(), (language, option)


def test_render_removes_dialplan_files_that_no_longer_exist(rendered: tuple[Settings, Path]) -> None:
    settings, etc = rendered
    (etc / "dialplan" / "retired.conf").write_text("[old]\n")
    config.render(settings)
    assert not (etc / "dialplan" / "retired.conf").exists()


def test_mirror_from_deb822_and_one_line_sources(tmp_path: Path) -> None:
    deb822 = tmp_path / "debian.sources"
    deb822.write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    )
    assert root.debian_mirror_from_apt_sources((deb822,)) == "http://mirror.example/debian"
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb [arch=amd64] http://other.example/debian bookworm main\n")
    assert (
        root.debian_mirror_from_apt_sources((tmp_path / "absent", one_line)) == "http://other.example/debian"
    )
    with pytest.raises(root.AsteriskInstallError):
        root.debian_mirror_from_apt_sources((tmp_path / "absent",))
