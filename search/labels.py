"""Names for metadata codes: what a facet shows for ``acq`` or ``ico-coffee``.

URLs, the API's filters and the index keep the codes; readers see names. Names come
from the sources themselves, read when an index is built or updated and kept in its
summary, so serving needs nothing but the index:

* a ``labels.tsv`` in a source folder: one ``kind<TAB>code<TAB>name`` per line (``kind``
  one of topic, place, person, org, exchange; ``#`` starts a comment) — any archive can
  declare its own;
* Reuters-21578's ``cat-descriptions_120396.txt`` beside its ``.sgm`` files: the names
  its authors gave the categories ("Mergers/Acquisitions (ACQ)", "International Coffee
  Organisation (ICO-COFFEE)@*", "Finance Minister Palle Simonsen (SIMONSEN)").

A code with no declared name is shown as itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from search.records import TAG_FIELDS

__all__ = [
    "LABELS_FILE",
    "REUTERS_DESCRIPTIONS",
    "Labels",
    "labels_in",
    "merged",
    "read_labels",
    "reuters_labels",
]

#: kind -> code -> name.
Labels = dict[str, dict[str, str]]

LABELS_FILE = "labels.tsv"
REUTERS_DESCRIPTIONS = "cat-descriptions_120396.txt"
#: Files larger than this are not label files; names longer than this are cut.
MAX_LABELS_BYTES = 4 * 1024 * 1024
MAX_NAME_CHARS = 120
#: At most this many names in one index (a label file is not an archive).
MAX_LABELS = 50_000

_KINDS = {kind for kind, _ in TAG_FIELDS}
# "Name (CODE)" with an optional "@*" (Scribe markup), the code in capitals.
_NAMED = re.compile(r"^(?P<name>.*?\S)\s*\((?P<code>[A-Z0-9][A-Z0-9&./-]*)\)\s*(?:@\*)?\s*$")
_SECTION = re.compile(r"^\*{2,}\s*(?P<title>[A-Za-z ()/]+?)\s*\(\d+\)\s*$")
# A code alone ("COCOA", "WEST-GERMANY@*"): a commodity or a country, named by itself.
_BARE = re.compile(r"^(?P<code>[A-Z][A-Z-]*[A-Z])\s*(?:@\*)?$")
_HEADING = re.compile(r"^@heading\[(?P<title>[^\]]+)\]")
# Words that title a person rather than name them ("Finance Minister Palle Simonsen").
_TITLES = (
    "Minister President Governor Chairman Chancellor Secretary Prime Deputy State Head "
    "Bank Central Finance Economy Economic Agriculture Trade Energy Oil Foreign Treasury "
    "King Queen Prince Crown Sheikh Emir Sultan Mr Mrs Ms Dr Sir Vice General Party "
    "Affairs Industry Commerce Planning Budget Chief Executive Director Managing Board "
    "Federal Reserve Council Commission Commissioner Leader Premier Elder Statesman "
    "Senator Representative Speaker Ambassador Former Acting Interim Treasurer Food "
    "Privatisation Agency Exchequer Staff Negotiations Office Forestry Development UNCTAD "
    "Pemex Policy"
)
_TITLE_WORDS = set(_TITLES.split())


def labels_in(paths: Iterable[Path]) -> Labels:
    """The names declared by the folders of ``paths`` (a file's folder for a file)."""
    out: Labels = {}
    seen: set[Path] = set()
    for path in paths:
        folder = path if path.is_dir() else path.parent
        if folder in seen:
            continue
        seen.add(folder)
        for name, parse in ((REUTERS_DESCRIPTIONS, reuters_labels), (LABELS_FILE, _tsv_labels)):
            text = _read(folder / name)
            if text is not None:
                _merge(out, parse(text))
    return out


def read_labels(value: object) -> Labels:
    """The names kept in an index's summary, as far as they have the right shape (the
    summary is a file in the index folder: anything may be in it)."""
    out: Labels = {}
    if not isinstance(value, dict):
        return out
    for kind, names in value.items():
        if kind in _KINDS and isinstance(names, dict):
            out[kind] = {
                c: _clean(n) for c, n in names.items() if isinstance(c, str) and isinstance(n, str)
            }
    return out


def merged(old: Labels, new: Labels) -> Labels:
    """``old`` with ``new``'s names added (a newer name of a code wins)."""
    out = {kind: dict(names) for kind, names in old.items()}
    _merge(out, new)
    return out


def _merge(into: Labels, new: Labels) -> None:
    count = sum(map(len, into.values()))
    for kind, names in new.items():
        for code, name in names.items():
            if count >= MAX_LABELS:
                return
            if code not in into.setdefault(kind, {}):
                count += 1
            into[kind][code] = name


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_LABELS_BYTES:
            return None
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def _clean(name: str) -> str:
    name = " ".join(name.split())
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:MAX_NAME_CHARS]


def _tsv_labels(text: str) -> Labels:
    out: Labels = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        kind, code, name = (p.strip() for p in parts)
        if kind in _KINDS and code and _clean(name):
            out.setdefault(kind, {})[code] = _clean(name)
    return out


def _kind_of_section(title: str) -> str:
    """Which facet a heading of cat-descriptions lists."""
    title = title.lower()
    if "orgs" in title or "organi" in title:
        return "org"
    if "exchange" in title:
        return "exchange"
    if "people" in title:
        return "person"
    if "place" in title or "countr" in title:
        return "place"
    return "topic"  # subject, economic indicator, currency, corporate, commodity, energy


def reuters_labels(text: str) -> Labels:
    """The names in Reuters-21578's ``cat-descriptions_120396.txt``.

    Entries are ``Name (CODE)``, some over several lines (a paragraph), under headings
    that say which list they belong to; a code given without a name (``COCOA``) has
    none. People are named by their name without their titles.
    """
    out: Labels = {}
    kind = "topic"
    paragraph: list[str] = []

    def flush() -> None:
        text = " ".join(paragraph)
        paragraph.clear()
        m = _NAMED.match(text)
        if not m:
            return
        code, name = m.group("code").lower(), m.group("name")
        if kind == "person":
            name = _person(name, code)
        name = _clean(name)
        if name:
            out.setdefault(kind, {})[code] = name

    for raw in text.splitlines():
        line = raw.strip()
        heading = _SECTION.match(line) or _HEADING.match(line)
        if heading:
            flush()
            kind = _kind_of_section(heading.group("title"))
            continue
        if not line or line.startswith("@"):
            flush()
            continue
        bare = _BARE.match(line)
        if bare and not paragraph:
            if kind in ("topic", "place"):
                code = bare.group("code").lower()
                out.setdefault(kind, {})[code] = _spelled_out(code, kind)
            continue
        paragraph.append(line)
        if _NAMED.match(" ".join(paragraph)):
            flush()
    flush()
    return out


def _spelled_out(code: str, kind: str) -> str:
    """A bare code as words: "castor-oil" -> "Castor oil", "west-germany" -> "West
    Germany", "usa" -> "USA" (a country's code of three letters, and the USSR's, are
    initials)."""
    words = code.split("-")
    if kind == "place":
        if len(words) == 1 and (len(code) <= 3 or code == "ussr"):  # not "Ussr"
            return code.upper()
        return " ".join(w.capitalize() for w in words)
    return " ".join(words).capitalize()


def _person(description: str, code: str) -> str:
    """ "Finance Minister Palle Simonsen" -> "Palle Simonsen": the words the code names
    ("de-larosiere": "de Larosiere"), and the capitalised ones before them that are not
    titles ("Jacques"), at most four words in all."""
    description = re.sub(r"\([^)]*\)", " ", description)  # "(former)", asides
    words = [w.strip(",") for w in description.split() if w.strip(",")]
    parts = code.split("-")
    for i in range(len(words) - 1, -1, -1):
        if not words[i].lower().rstrip(".").endswith(parts[-1]):
            continue
        # The code's other parts, just before (as written: "de", "la", "al-Razaz").
        j = i
        written = words[i].lower().split("-")  # "al-Razaz" holds two of the parts
        for part in reversed(parts[: max(0, len(parts) - len(written))]):
            if j > 0 and words[j - 1].lower().strip(".").endswith(part):
                j -= 1
        while j > 0 and i - j < 3:
            before = words[j - 1]
            if not before[:1].isupper() or before in _TITLE_WORDS or "-General" in before:
                break
            j -= 1
        return " ".join(words[j : i + 1])
    return description.split(",")[0]
