"""The prompt catalogue, synthesised with the real espeak-ng and sox, and installed into a sounds tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from callcenter.asterisk import prompts
from callcenter.asterisk.prompts import PromptCatalogue, PromptError

SMALL_CATALOGUE = """
[voices]
zh = "cmn-latn-pinyin"
ug = "ug"

[prompts.cc-goodbye]
zh = "感谢您的来电，再见。"
ug = "تېلېفون قىلغىنىڭىزغا رەھمەت، خەير-خوش."

[prompts.cc-sorry]
zh = "对不起，系统暂时无法为您服务。"
ug = "كەچۈرۈڭ، سىستېما ۋاقتىنچە سىزگە مۇلازىمەت قىلالمايدۇ."

[prompts."digits/5"]
zh = "五"
ug = "بەش"
"""


def soxi(option: str, path: Path) -> str:
    completed = subprocess.run(["soxi", option, str(path)], check=True, capture_output=True, text=True)
    return completed.stdout.strip()


def write_catalogue(tmp_path: Path, text: str, name: str = "prompts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def wav_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.wav"))


def mtimes(directory: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in wav_files(directory)}


@pytest.fixture
def small(tmp_path: Path) -> PromptCatalogue:
    return prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE))


# --- the shipped catalogue -----------------------------------------------------------------------


def test_shipped_catalogue_has_every_prompt_in_zh_and_ug() -> None:
    catalogue = prompts.load_catalogue(prompts.DEFAULT_CATALOGUE)
    assert set(catalogue.languages) == {"zh", "ug"}
    for name, wordings in catalogue.texts.items():
        assert set(wordings) == {"zh", "ug"}, name
        assert all(text.strip() for text in wordings.values()), name
    press = catalogue.texts["cc-press-for-language"]
    assert "1" in press["zh"]
    assert "2" in press["ug"]


def test_shipped_catalogue_has_what_asterisk_plays() -> None:
    names = set(prompts.load_catalogue(prompts.DEFAULT_CATALOGUE).texts)
    for queue_sound in (
        "queue-youarenext",
        "queue-thereare",
        "queue-callswaiting",
        "queue-quantity1",
        "queue-quantity2",
        "queue-holdtime",
        "queue-minute",
        "queue-minutes",
        "queue-seconds",
        "queue-thankyou",
        "queue-periodic-announce",
    ):
        assert queue_sound in names
    numbers = {f"digits/{n}" for n in (*range(20), *range(20, 100, 10))} | {"digits/hundred"}
    assert numbers <= names


# --- load errors ---------------------------------------------------------------------------------


def test_missing_language_wording_is_named(tmp_path: Path) -> None:
    text = '[voices]\nzh = "cmn-latn-pinyin"\nug = "ug"\n\n[prompts.cc-goodbye]\nzh = "再见。"\n'
    with pytest.raises(PromptError) as caught:
        prompts.load_catalogue(write_catalogue(tmp_path, text))
    assert caught.value.code == "prompts-invalid"
    assert "cc-goodbye" in caught.value.message
    assert "ug" in caught.value.message
    assert caught.value.details["missing"] == {"cc-goodbye": ["ug"]}


@pytest.mark.parametrize("name", ["../x", "a/b/c", "x.wav", "/abs", ".hidden", "a b"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    text = f'[voices]\nzh = "cmn-latn-pinyin"\n\n[prompts."{name}"]\nzh = "再见。"\n'
    with pytest.raises(PromptError, match="unsafe prompt name"):
        prompts.load_catalogue(write_catalogue(tmp_path, text))


def test_language_without_a_voice_is_refused(tmp_path: Path) -> None:
    text = '[voices]\nzh = "cmn-latn-pinyin"\n\n[prompts.cc-goodbye]\nzh = "再见。"\nfr = "Au revoir."\n'
    with pytest.raises(PromptError, match="'fr', which has no voice"):
        prompts.load_catalogue(write_catalogue(tmp_path, text))


def test_catalogue_without_voices_or_broken_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"no \[voices\]"):
        prompts.load_catalogue(write_catalogue(tmp_path, '[prompts.x]\nzh = "x"\n'))
    with pytest.raises(PromptError, match="not valid TOML"):
        prompts.load_catalogue(write_catalogue(tmp_path, "[voices\n"))
    with pytest.raises(PromptError, match="cannot read"):
        prompts.load_catalogue(tmp_path / "absent.toml")


# --- generation ----------------------------------------------------------------------------------


def test_generate_writes_8khz_mono_wavs_and_caches(small: PromptCatalogue, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    assert prompts.generate(small, out) == 6
    expected = [
        out / lang / f"{name}.wav" for lang in ("ug", "zh") for name in ("cc-goodbye", "cc-sorry", "digits/5")
    ]
    assert wav_files(out) == sorted(expected)
    for path in expected:
        assert soxi("-r", path) == "8000"
        assert soxi("-c", path) == "1"
        assert soxi("-b", path) == "16"
        assert soxi("-e", path) == "Signed Integer PCM"
        assert float(soxi("-D", path)) > 0.3, path
    assert (out / "manifest.json").is_file()

    before = mtimes(out)
    assert prompts.generate(small, out) == 0
    assert mtimes(out) == before


def test_changing_one_text_regenerates_only_that_one(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), out)
    before = mtimes(out)

    changed = SMALL_CATALOGUE.replace("对不起，系统暂时无法为您服务。", "对不起，请稍后再拨。")
    assert prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, changed)), out) == 1
    after = mtimes(out)
    assert {path for path in before if after[path] != before[path]} == {out / "zh" / "cc-sorry.wav"}


def test_removing_a_prompt_deletes_its_files(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), out)

    without_digit = SMALL_CATALOGUE.split('[prompts."digits/5"]')[0]
    assert prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, without_digit)), out) == 0
    assert not (out / "zh" / "digits").exists()
    assert not (out / "ug" / "digits").exists()
    assert (out / "zh" / "cc-sorry.wav").is_file()


def test_a_lost_file_is_regenerated(small: PromptCatalogue, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    prompts.generate(small, out)
    (out / "ug" / "cc-goodbye.wav").unlink()
    assert prompts.generate(small, out) == 1
    assert (out / "ug" / "cc-goodbye.wav").is_file()


def test_unknown_voice_is_refused_before_synthesis(tmp_path: Path) -> None:
    # espeak-ng itself would speak "no-such-voice" as Norwegian ("no") without complaint.
    text = '[voices]\nzh = "no-such-voice"\n\n[prompts.cc-goodbye]\nzh = "再见。"\n'
    catalogue = prompts.load_catalogue(write_catalogue(tmp_path, text))
    with pytest.raises(PromptError, match="no voice no-such-voice") as caught:
        prompts.generate(catalogue, tmp_path / "generated")
    assert caught.value.details["unknown_voices"] == {"zh": "no-such-voice"}
    assert not wav_files(tmp_path / "generated")


def test_a_failed_prompt_is_reported_and_the_others_stay_cached(
    small: PromptCatalogue, tmp_path: Path
) -> None:
    out = tmp_path / "generated"
    prompts.generate(small, out)
    # A directory in the way of one wav: its synthesis succeeds but storing it cannot.
    (out / "zh" / "cc-goodbye.wav").unlink()
    (out / "zh" / "cc-goodbye.wav").mkdir()
    with pytest.raises(PromptError, match="cannot store prompt zh/cc-goodbye") as caught:
        prompts.generate(small, out)
    assert caught.value.details["failures"][0]["prompt"] == "zh/cc-goodbye"
    # The manifest still records the prompts that are fine, so they are not synthesised again.
    (out / "zh" / "cc-goodbye.wav").rmdir()
    assert prompts.generate(small, out) == 1


def test_full_shipped_catalogue_generates(tmp_path: Path) -> None:
    catalogue = prompts.load_catalogue(prompts.DEFAULT_CATALOGUE)
    out = tmp_path / "generated"
    count = prompts.generate(catalogue, out)
    assert count == len(catalogue.texts) * len(catalogue.languages)
    files = wav_files(out)
    assert len(files) == count
    for path in files:
        assert path.stat().st_size > 44, path
        assert soxi("-r", path) == "8000", path
        assert soxi("-c", path) == "1", path


# --- installation --------------------------------------------------------------------------------


def test_recorded_override_replaces_the_generated_wav(small: PromptCatalogue, tmp_path: Path) -> None:
    generated, overrides, target = tmp_path / "generated", tmp_path / "recorded", tmp_path / "sounds"
    prompts.generate(small, generated)

    prompts.install(generated, overrides, target)
    installed = sorted(path.relative_to(target) for path in target.rglob("*") if path.is_file())
    assert installed == sorted(path.relative_to(generated) for path in wav_files(generated))

    recording = overrides / "zh" / "cc-goodbye.gsm"
    recording.parent.mkdir(parents=True)
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", str(recording), "synth", "0.5", "sine", "440"],
        check=True,
        capture_output=True,
    )
    prompts.install(generated, overrides, target)
    assert (target / "zh" / "cc-goodbye.gsm").read_bytes() == recording.read_bytes()
    assert not (target / "zh" / "cc-goodbye.wav").exists()
    assert (target / "ug" / "cc-goodbye.wav").is_file()
    assert (target / "zh" / "cc-sorry.wav").is_file()

    before = {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()}
    prompts.install(generated, overrides, target)
    assert {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()} == before

    recording.unlink()
    prompts.install(generated, overrides, target)
    assert not (target / "zh" / "cc-goodbye.gsm").exists()
    assert (target / "zh" / "cc-goodbye.wav").read_bytes() == (
        generated / "zh" / "cc-goodbye.wav"
    ).read_bytes()


def test_install_removes_what_is_no_longer_generated(tmp_path: Path) -> None:
    generated, target = tmp_path / "generated", tmp_path / "sounds"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), generated)
    prompts.install(generated, None, target)
    (target / "zh" / "stray.wav").write_bytes(b"left over")

    without_digit = SMALL_CATALOGUE.split('[prompts."digits/5"]')[0]
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, without_digit)), generated)
    prompts.install(generated, None, target)
    assert not (target / "zh" / "stray.wav").exists()
    assert not (target / "zh" / "digits").exists()
    assert (target / "ug" / "cc-sorry.wav").is_file()


def test_install_follows_a_regenerated_prompt(tmp_path: Path) -> None:
    generated, target = tmp_path / "generated", tmp_path / "sounds"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), generated)
    prompts.install(generated, None, target)

    changed = SMALL_CATALOGUE.replace("五", "六")
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, changed)), generated)
    prompts.install(generated, None, target)
    assert (target / "zh" / "digits" / "5.wav").read_bytes() == (
        generated / "zh" / "digits" / "5.wav"
    ).read_bytes()


def test_install_refuses_a_target_that_holds_the_sources(small: PromptCatalogue, tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    prompts.generate(small, generated)
    with pytest.raises(PromptError, match="overlaps"):
        prompts.install(generated, None, tmp_path)
    with pytest.raises(PromptError, match="run generate first"):
        prompts.install(tmp_path / "nothing", None, tmp_path / "sounds")
