"""IVR prompts: the catalogue ``prompts/prompts.toml``, synthesised with espeak-ng, installed for Asterisk.

Three steps, each idempotent:

* :func:`load_catalogue` reads and validates the TOML file, and :func:`with_configured_prompts` adds the
  prompts the hotline configuration defines (categories read out to an expert, the rating options);
* :func:`generate` synthesises ``<out_dir>/<lang>/<name>.wav`` (8 kHz mono 16-bit PCM, what format_wav
  plays without transcoding surprises), regenerating only what changed since the last run;
* :func:`install` lays out a sounds directory from the generated files, letting recorded files win.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from callcenter.errors import CallCenterError
from callcenter.hotline import CategoryConfig, HotlineConfig, RatingOption
from callcenter.settings import PROJECT_DIR

log = logging.getLogger(__name__)

DEFAULT_CATALOGUE = PROJECT_DIR / "prompts" / "prompts.toml"
MANIFEST_NAME = "manifest.json"
# The formats a recorded override may come in; Asterisk picks among those by translation cost.
RECORDED_EXTENSIONS = ("wav", "gsm", "sln", "sln16", "ulaw", "alaw", "g722")
GENERATED_EXTENSION = "wav"
# The machine has two cores; espeak-ng and sox are single-threaded each.
WORKERS = 2
SUBPROCESS_TIMEOUT_S = 60.0
# Part of every cache key: bump it when the sox pipeline below changes, so every file is regenerated.
PIPELINE_VERSION = "sox-8k-mono-s16-trim-fade-norm-pad-1"
# What format_wav plays as it is: 8 kHz, mono, 16-bit signed little-endian PCM.
SOX_OUTPUT_FORMAT = ("-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer")
# espeak-ng leaves ~0.1 s of silence before and ~0.2 s after each utterance; Asterisk strings fragments
# together ("您目前排在第" 5 "位"), so trim it, fade the cut ends so the joins do not click, and pad back a
# little, evenly. The end is handled reversed because sox cannot fade out a stream of unknown length.
SOX_EFFECTS = (
    *("silence", "1", "0.02", "0.5%", "fade", "q", "0.01"),
    *("reverse", "silence", "1", "0.02", "0.5%", "fade", "q", "0.03", "reverse"),
    *("norm", "-3", "pad", "0.05", "0.1"),
)

_NAME_RE = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)?")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]+)?")
_VOICE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)?")
_MANIFEST_FORMAT = 1
# Prompts made from the hotline configuration, one per category and one per rating option.
CATEGORY_PROMPT_PREFIX = "cc-category-"
RATING_OPTION_PROMPT_PREFIX = "cc-rating-option-"
RATING_QUESTION_PROMPT = "cc-rating-question"


class PromptError(CallCenterError):
    code = "prompts-invalid"


@dataclass(frozen=True)
class PromptCatalogue:
    voices: Mapping[str, str]
    # name -> language -> wording. Every catalogue prompt has every language; a configured one has the
    # hotline's languages only.
    texts: Mapping[str, Mapping[str, str]]
    # name -> language -> the language whose voice speaks the wording, where that is another language (a
    # configured prompt without a wording of its own, spoken in the default language's words and voice).
    spoken_in: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.voices)

    def voice(self, name: str, language: str) -> str:
        """The espeak-ng voice that speaks prompt ``name`` in ``language``."""
        return self.voices[self.spoken_in.get(name, {}).get(language, language)]


def load_catalogue(path: Path) -> PromptCatalogue:
    """Read the catalogue; any defect is a :class:`PromptError` naming every offending entry."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptError(
            f"cannot read the prompt catalogue {path}: {exc}", details={"path": str(path)}
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(
            f"the prompt catalogue {path} is not valid TOML: {exc}", details={"path": str(path)}
        ) from exc

    voices = _parse_voices(raw.get("voices"), path)
    prompts = raw.get("prompts")
    if not isinstance(prompts, dict) or not prompts:
        raise PromptError(f"{path}: no [prompts] table", details={"path": str(path)})

    problems: list[str] = []
    missing: dict[str, list[str]] = {}
    texts: dict[str, Mapping[str, str]] = {}
    for name, wordings in prompts.items():
        if not _is_safe_name(name):
            problems.append(f"unsafe prompt name {name!r}")
            continue
        if not isinstance(wordings, dict):
            problems.append(f"prompt {name!r} is not a table of language = wording")
            continue
        for language in wordings:
            if language not in voices:
                problems.append(
                    f"prompt {name!r} has wording in {language!r}, which has no voice in [voices]"
                )
        absent = [language for language in voices if language not in wordings]
        if absent:
            missing[name] = absent
        per_language: dict[str, str] = {}
        for language in voices:
            text = wordings.get(language)
            if text is None:
                continue
            if not isinstance(text, str) or not text.strip():
                problems.append(f"prompt {name!r} has empty or non-text wording in {language!r}")
                continue
            per_language[language] = text.strip()
        texts[name] = MappingProxyType(per_language)
    problems.extend(
        f"prompt {name!r} has no wording in {', '.join(langs)}" for name, langs in missing.items()
    )
    if problems:
        raise PromptError(
            f"{path}: {len(problems)} problem(s) in the prompt catalogue: {'; '.join(problems)}",
            details={"path": str(path), "problems": problems, "missing": missing},
        )
    return PromptCatalogue(voices=MappingProxyType(voices), texts=MappingProxyType(texts))


def _parse_voices(table: object, path: Path) -> dict[str, str]:
    if not isinstance(table, dict) or not table:
        raise PromptError(
            f"{path}: no [voices] table (language = espeak-ng voice)", details={"path": str(path)}
        )
    voices: dict[str, str] = {}
    problems: list[str] = []
    for language, voice in table.items():
        if not _LANGUAGE_RE.fullmatch(language):
            problems.append(f"language code {language!r} is not a safe Asterisk language directory name")
        elif not isinstance(voice, str) or not _VOICE_RE.fullmatch(voice):
            problems.append(f"voice {voice!r} for {language!r} is not an espeak-ng voice name")
        else:
            voices[language] = voice
    if problems:
        raise PromptError(f"{path}: {'; '.join(problems)}", details={"path": str(path), "problems": problems})
    return voices


def _is_safe_name(name: str) -> bool:
    # The regex admits no dot at all, so neither "..", nor a hidden file, nor an extension can slip in.
    return _NAME_RE.fullmatch(name) is not None


# ------------------------------------------------------------------------------------------------
# Prompts from the hotline configuration
# ------------------------------------------------------------------------------------------------


def category_prompt(code: str) -> str:
    """The prompt that reads category ``code`` out to an expert."""
    return f"{CATEGORY_PROMPT_PREFIX}{code}"


def rating_option_prompt(code: str) -> str:
    """The prompt that offers rating option ``code`` to the caller ("满意请按1。")."""
    return f"{RATING_OPTION_PROMPT_PREFIX}{code}"


def rating_menu(hotline: HotlineConfig) -> str:
    """The Playback list of the rating question: the question, then each option in scale order."""
    return "&".join(
        [RATING_QUESTION_PROMPT, *(rating_option_prompt(option.code) for option in hotline.rating.scale)]
    )


def configured_prompts(hotline: HotlineConfig) -> dict[str, dict[str, tuple[str, str]]]:
    """The prompts the hotline configuration defines: name -> language -> (voice language, wording).

    One ``cc-category-<code>`` per category and one ``cc-rating-option-<code>`` per rating option, in each
    of the hotline's languages. A language without a wording of its own gets the default language's
    wording, with the default language as its voice language.
    """
    default = hotline.default_language
    sources: list[tuple[str, CategoryConfig | RatingOption]] = [
        *((category_prompt(category.code), category) for category in hotline.categories),
        *((rating_option_prompt(option.code), option) for option in hotline.rating.scale),
    ]
    configured: dict[str, dict[str, tuple[str, str]]] = {}
    for name, source in sources:
        fallback = source.wording(default, default)
        if fallback is None:
            # HotlineConfig refuses this at load; a hand-built configuration could still get here.
            raise PromptError(
                f"prompt {name!r} has no wording in the default language {default!r}",
                details={"prompt": name, "language": default},
            )
        per_language: dict[str, tuple[str, str]] = {}
        for language in hotline.language_codes:
            text = source.wording(language, default)
            per_language[language] = (default, fallback) if text is None else (language, text)
        configured[name] = per_language
    return configured


def with_configured_prompts(catalogue: PromptCatalogue, hotline: HotlineConfig) -> PromptCatalogue:
    """``catalogue`` plus :func:`configured_prompts`; logs one warning naming the borrowed wordings."""
    configured = configured_prompts(hotline)
    problems: list[str] = []
    for name, per_language in configured.items():
        if not _is_safe_name(name):
            problems.append(f"unsafe prompt name {name!r}")
        if name in catalogue.texts:
            problems.append(f"prompt {name!r} is both in the catalogue and made from the configuration")
        problems.extend(
            f"prompt {name!r} is in {language!r}, which has no voice in the catalogue"
            for language, (voice_language, _) in per_language.items()
            if language not in catalogue.voices or voice_language not in catalogue.voices
        )
    if problems:
        raise PromptError(
            f"{len(problems)} problem(s) in the prompts of the hotline configuration: {'; '.join(problems)}",
            details={"problems": problems},
        )

    texts: dict[str, Mapping[str, str]] = dict(catalogue.texts)
    spoken_in: dict[str, Mapping[str, str]] = dict(catalogue.spoken_in)
    borrowed: dict[str, list[str]] = {}
    for name, per_language in configured.items():
        texts[name] = MappingProxyType({language: text for language, (_, text) in per_language.items()})
        others = {
            language: voice_language
            for language, (voice_language, _) in per_language.items()
            if voice_language != language
        }
        if others:
            spoken_in[name] = MappingProxyType(others)
        for language in others:
            borrowed.setdefault(language, []).append(name)
    if borrowed:
        log.warning(
            "No wording in the hotline configuration for %s: the %s wording is spoken instead, in its "
            'voice (give them prompts = { <language> = "..." })',
            "; ".join(f"{language}: {', '.join(names)}" for language, names in borrowed.items()),
            hotline.default_language,
        )
    return PromptCatalogue(
        voices=catalogue.voices, texts=MappingProxyType(texts), spoken_in=MappingProxyType(spoken_in)
    )


# ------------------------------------------------------------------------------------------------
# Generation
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    key: str
    language: str
    name: str
    voice: str
    text: str
    digest: str


def generate(catalogue: PromptCatalogue, out_dir: Path) -> int:
    """Synthesise every prompt that changed into ``out_dir``; returns how many files were (re)generated."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST_NAME
    previous = _read_manifest(manifest_path)
    engine = _espeak_version()
    _check_voices(catalogue.voices)

    wanted: dict[str, str] = {}
    jobs: list[_Job] = []
    for language in catalogue.voices:
        for name, wordings in catalogue.texts.items():
            text = wordings.get(language)
            if text is None:
                continue
            key = f"{language}/{name}"
            voice = catalogue.voice(name, language)
            digest = _digest(voice, text, engine)
            wanted[key] = digest
            if previous.get(key) == digest and _generated_path(out_dir, language, name).is_file():
                continue
            jobs.append(_Job(key, language, name, voice, text, digest))

    for key in sorted(set(previous) - set(wanted)):
        language, _, name = key.partition("/")
        if _LANGUAGE_RE.fullmatch(language) and _is_safe_name(name):
            _remove_with_empty_parents(_generated_path(out_dir, language, name), stop=out_dir)
            log.info("Removed prompt %s: no longer in the catalogue", key)

    done: dict[str, str] = {key: digest for key, digest in previous.items() if key in wanted}
    errors: list[PromptError] = []
    if jobs:
        with (
            tempfile.TemporaryDirectory(prefix=".work-", dir=out_dir) as work,
            ThreadPoolExecutor(WORKERS) as pool,
        ):
            futures = {pool.submit(_synthesise, job, out_dir, Path(work)): job for job in jobs}
            for future, job in futures.items():
                try:
                    future.result()
                except PromptError as exc:
                    errors.append(exc)
                    done.pop(job.key, None)
                else:
                    done[job.key] = job.digest
    # Written even after a failure, so that the files that did succeed are not synthesised again.
    _write_manifest(manifest_path, done)
    if errors:
        first = errors[0]
        raise PromptError(
            f"{len(errors)} prompt(s) failed to generate; first: {first.message}",
            details={"failures": [{"message": e.message, **e.details} for e in errors]},
        )
    log.info("Prompts in %s: %s generated, %s up to date", out_dir, len(jobs), len(wanted) - len(jobs))
    return len(jobs)


def _synthesise(job: _Job, out_dir: Path, work: Path) -> None:
    # "~" occurs in no language code or prompt name, so no two jobs share a work file.
    stem = job.key.replace("/", "~")
    raw = work / f"{stem}.espeak.wav"
    converted = work / f"{stem}.wav"
    # "--" ends espeak-ng's options, so a wording can never be taken for one.
    _run(["espeak-ng", "-v", job.voice, "-w", str(raw), "--", job.text], job)
    _run(["sox", str(raw), *SOX_OUTPUT_FORMAT, str(converted), *SOX_EFFECTS], job)
    target = _generated_path(out_dir, job.language, job.name)
    try:
        raw.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        # Same filesystem as out_dir: the prompt appears whole or not at all, and a hard link made earlier
        # by install() keeps pointing at the old file instead of seeing a half-written one.
        os.replace(converted, target)
    except OSError as exc:
        raise PromptError(f"cannot store prompt {job.key}: {exc}", details={"prompt": job.key}) from exc
    log.debug("Generated %s with voice %s", job.key, job.voice)


def _run(args: list[str], job: _Job) -> None:
    try:
        completed = subprocess.run(
            args,
            check=False,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=SUBPROCESS_TIMEOUT_S,
        )
    except FileNotFoundError as exc:
        raise PromptError(
            f"{args[0]} is not installed", details={"prompt": job.key, "command": args[0]}
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise PromptError(
            f"{args[0]} timed out on prompt {job.key}", details={"prompt": job.key, "command": args[0]}
        ) from exc
    stderr = completed.stderr.decode("utf-8", errors="replace").strip()
    if completed.returncode != 0:
        raise PromptError(
            f"{args[0]} failed on prompt {job.key} (exit {completed.returncode}): {stderr}",
            details={
                "prompt": job.key,
                "command": args[0],
                "returncode": completed.returncode,
                "stderr": stderr,
            },
        )


def _espeak_version() -> str:
    try:
        completed = subprocess.run(
            ["espeak-ng", "--version"], check=False, capture_output=True, stdin=subprocess.DEVNULL, timeout=10
        )
    except FileNotFoundError as exc:
        raise PromptError("espeak-ng is not installed", details={"command": "espeak-ng"}) from exc
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", errors="replace").strip()
        raise PromptError("espeak-ng --version failed", details={"command": "espeak-ng", "stderr": stderr})
    return completed.stdout.decode("utf-8", errors="replace").strip()


def _check_voices(voices: Mapping[str, str]) -> None:
    # espeak-ng falls back silently for a misspelt voice that looks like "<language>-<variant>"
    # ("no-such-voice" speaks Norwegian), so a typo would otherwise produce fluent nonsense.
    completed = subprocess.run(
        ["espeak-ng", "--voices"], check=False, capture_output=True, stdin=subprocess.DEVNULL, timeout=10
    )
    known: set[str] = set()
    for line in completed.stdout.decode("utf-8", errors="replace").splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5:
            known.update(column.lower() for column in (columns[1], columns[3], columns[4]))
    unknown = {
        language: voice for language, voice in voices.items() if voice.split("+")[0].lower() not in known
    }
    if unknown:
        raise PromptError(
            f"espeak-ng has no voice {', '.join(sorted(set(unknown.values())))}",
            details={"unknown_voices": unknown},
        )


def _digest(voice: str, text: str, engine: str) -> str:
    material = json.dumps([voice, text, engine, PIPELINE_VERSION], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _generated_path(out_dir: Path, language: str, name: str) -> Path:
    return out_dir / language / f"{name}.{GENERATED_EXTENSION}"


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # Only a cache: losing it costs one full regeneration, never a wrong prompt.
        log.warning("Ignoring unreadable prompt manifest %s: %s", path, exc)
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        log.warning("Ignoring prompt manifest %s: unexpected layout", path)
        return {}
    return {str(key): str(value) for key, value in entries.items()}


def _write_manifest(path: Path, entries: Mapping[str, str]) -> None:
    payload = {"format": _MANIFEST_FORMAT, "entries": dict(sorted(entries.items()))}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _remove_with_empty_parents(path: Path, *, stop: Path) -> None:
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != stop and stop in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


# ------------------------------------------------------------------------------------------------
# Installation
# ------------------------------------------------------------------------------------------------


def install(generated_dir: Path, override_dir: Path | None, target_dir: Path) -> None:
    """Make ``target_dir/<lang>/...`` hold the generated prompts, with recorded overrides taking their place.

    ``target_dir`` belongs to this function: any file in it that is neither a generated prompt nor an
    override is removed.
    """
    _refuse_overlap(generated_dir, override_dir, target_dir)
    manifest = generated_dir / MANIFEST_NAME
    if not manifest.is_file():
        raise PromptError(
            f"no generated prompts in {generated_dir} (missing {MANIFEST_NAME}); run generate first",
            details={"generated_dir": str(generated_dir)},
        )

    wanted: dict[Path, Path] = {}
    for key in _read_manifest(manifest):
        language, _, name = key.partition("/")
        if not (_LANGUAGE_RE.fullmatch(language) and _is_safe_name(name)):
            log.warning("Skipping unsafe prompt %r listed in %s", key, manifest)
            continue
        source = _generated_path(generated_dir, language, name)
        if source.is_file():
            wanted[Path(language) / f"{name}.{GENERATED_EXTENSION}"] = source
        else:
            log.warning("Generated prompt %s is missing from %s", key, generated_dir)

    overrides = _recorded_overrides(override_dir) if override_dir is not None else {}
    for relative in overrides:
        # Asterisk chooses among formats of one name by translation cost, not by who recorded it: the
        # synthetic wav must go for the recording to be heard at all.
        wanted.pop(relative.with_suffix(f".{GENERATED_EXTENSION}"), None)
    wanted.update(overrides)

    target_dir.mkdir(parents=True, exist_ok=True)
    copied = 0
    for relative, source in sorted(wanted.items()):
        if _place(source, target_dir / relative):
            copied += 1
    removed = _remove_unwanted(target_dir, set(wanted))
    log.info(
        "Installed prompts into %s: %s files (%s recorded), %s updated, %s removed",
        target_dir,
        len(wanted),
        len(overrides),
        copied,
        removed,
    )


def _recorded_overrides(override_dir: Path) -> dict[Path, Path]:
    found: dict[Path, Path] = {}
    if not override_dir.is_dir():
        return found
    for path in sorted(override_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(override_dir)
        language, *rest = relative.parts
        extension = path.suffix.removeprefix(".")
        name = "/".join((*rest[:-1], path.stem)) if rest else ""
        if (
            not rest
            or extension not in RECORDED_EXTENSIONS
            or not _LANGUAGE_RE.fullmatch(language)
            or not _is_safe_name(name)
        ):
            log.warning("Ignoring %s: not <lang>/<name>.<%s>", path, "|".join(RECORDED_EXTENSIONS))
            continue
        found[relative] = path
    return found


def _place(source: Path, target: Path) -> bool:
    """Put ``source``'s content at ``target``; returns whether anything changed."""
    if target.is_file() and (os.path.samefile(source, target) or filecmp.cmp(source, target, shallow=False)):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        # Another filesystem, or one without hard links: a copy is as good, only bigger.
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return True


def _remove_unwanted(target_dir: Path, wanted: set[Path]) -> int:
    removed = 0
    for path in sorted(target_dir.rglob("*"), reverse=True):
        relative = path.relative_to(target_dir)
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif relative not in wanted:
            path.unlink()
            removed += 1
    return removed


def _refuse_overlap(generated_dir: Path, override_dir: Path | None, target_dir: Path) -> None:
    # install() deletes whatever it does not want in target_dir: it must never hold the sources.
    target = target_dir.resolve()
    for source in (generated_dir, override_dir):
        if source is None:
            continue
        resolved = source.resolve()
        if resolved == target or target in resolved.parents or resolved in target.parents:
            raise PromptError(
                f"the prompt target {target_dir} overlaps the source directory {source}",
                details={"target_dir": str(target_dir), "source_dir": str(source)},
            )
