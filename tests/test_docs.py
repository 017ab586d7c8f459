"""The README documents what the code does: every command, every JSON Lines key."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from search.articles import read_path
from search.cli import main
from search.readers.jsonl import KNOWN_KEYS, REQUIRED_KEYS
from search.records import Article
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(heading: str) -> str:
    start = README.index(f"\n## {heading}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    out = set()
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out |= _commands(cmd, f"{prefix}{name} ")
        else:
            out.add(f"{prefix}{name}")
    return out


def test_readme_documents_every_command() -> None:
    documented = set(re.findall(r"^### `news-search ([a-z]+(?: [a-z]+)?)", README, re.MULTILINE))
    assert isinstance(main, click.Group)
    assert _commands(main) == documented


def test_readme_documents_every_json_lines_key_and_which_are_required() -> None:
    rows = re.findall(r"^\| (`.+?`) \| .+? \| (yes|no) \|", _section("The JSON Lines format"), re.M)
    table: dict[str, str] = {}
    for keys, required in rows:
        for key in re.findall(r"`([a-z_]+)`", keys):
            table[key] = required
    assert set(table) == set(KNOWN_KEYS)
    assert {k for k, r in table.items() if r == "yes"} == set(REQUIRED_KEYS)


def test_the_readme_example_line_reads_with_every_key_and_no_note(tmp_path: Path) -> None:
    line = next(x for x in _section("The JSON Lines format").splitlines() if x.startswith('{"id"'))
    example: dict[str, Any] = json.loads(line)
    assert set(example) == set(KNOWN_KEYS) - {"people", "orgs", "exchanges"}
    (tmp_path / "example.jsonl").write_text(line + "\n", encoding="utf-8")
    (article,) = read_path(tmp_path / "example.jsonl", notes=True)
    assert isinstance(article, Article)
    assert article.to_dict()["body"] == example["body"]
    assert article.url == example["url"] and article.reading_minutes == 2
