"""The ``news-search`` command line: a thin layer over one engine call per command."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from markupsafe import Markup

from search.articles import (
    DATE_ORDERS,
    FORMATS,
    TAG_FIELDS,
    Article,
    DateOrder,
    Skip,
    iter_files,
    read_path,
)
from search.check import check_index
from search.errors import IndexCorrupt, NewsSearchError, SourceMissing
from search.export import EXPORT_FORMATS, export, export_lines
from search.indexing import RunReport, StrictFailure, build, check_sources, list_files, update
from search.layout import current_generation, read_summary
from search.parse_report import report_lines, report_paths
from search.querying import search
from search.request import MATCH_MODES, MAX_PER_PAGE, SORTS, TAG_KIND_OF, TAG_NAMES, SearchRequest
from search.results import SearchPage
from search.stats import index_stats

F = TypeVar("F", bound=Callable[..., Any])

#: The exit code of a build or update that ran but could not read some paths (a folder
#: it could not list, a file it could not open): what the index held from them is kept.
EXIT_UNREAD = 3


def _quiet_broken_pipe() -> None:
    """The reader of our output has gone (``… | head``): send what is left to
    /dev/null, so that the interpreter's last flush does not fail too (the way the
    Python documentation recommends for SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class _Main(click.Group):
    """The top command: a reader that stops reading (a closed pipe) ends us quietly."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        code: Any = 0
        try:
            try:
                return super().main(*args, **kwargs)
            except SystemExit as e:
                code = e.code
                raise
            finally:
                sys.stdout.flush()  # what is buffered goes now, where a broken pipe is seen
        except BrokenPipeError:
            _quiet_broken_pipe()
            sys.exit(code)


def index_option(fn: F) -> F:
    """``--index DIR``, shared by every command."""
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="NEWS_SEARCH_INDEX",
        default="index",
        show_default=True,
        show_envvar=True,
        help="Directory of the index.",
    )(fn)


def source_options(fn: F) -> F:
    """The options of the commands that read articles."""
    for option in reversed(
        [
            click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path)),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(FORMATS),
                default="auto",
                show_default=True,
                help="How to read the files: article pages, JSON Lines, Reuters-21578 SGML, "
                "or chosen per file from its name and content.",
            ),
            click.option(
                "--strict",
                is_flag=True,
                help="Fail (exit 1, index left as it was) if any file or article is skipped.",
            ),
            click.option("--quiet", "-q", is_flag=True, help="No progress bar; only the summary."),
            click.option(
                "--allow-empty",
                is_flag=True,
                help="Go on even if the run reads no article (by default it fails and changes "
                "nothing: a source folder that is not mounted must not empty the archive).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def date_order_option(default: str | None, shown: str) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        return click.option(
            "--date-order",
            type=click.Choice(DATE_ORDERS),
            default=default,
            help="How ambiguous numeric dates like 05/04/2023 in pages are read: day first "
            f"(dmy) or month first (mdy) [default: {shown}].",
        )(fn)

    return decorate


class MissingPath(click.ClickException):
    """A path given on the command line that does not exist: a usage error (exit 2),
    in one line."""

    exit_code = 2


def _check_paths(paths: tuple[Path, ...]) -> None:
    """The engine's check of the paths, as the usage error a path argument gets."""
    try:
        check_sources(paths)
    except SourceMissing as e:
        raise MissingPath(f"Invalid value for 'PATHS...': Path {e.path!r} does not exist.") from e


def report_option(fn: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the run's report (and every skip) as JSON."
    )(fn)


def _tag(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for value in values:
        kind, sep, tag = value.partition("=")
        kind = TAG_KIND_OF.get(kind, "")  # --tag places=iran or place=iran
        if not sep or not kind or not tag:
            raise click.BadParameter(
                f"{value!r} is not KIND=VALUE, KIND one of {', '.join(TAG_NAMES.values())}"
            )
        tags.setdefault(kind, []).append(tag)
    return tags


def filter_options(fn: F) -> F:
    """The options that choose and order matches (query and export)."""
    for option in reversed(
        [
            click.option(
                "--match", type=click.Choice(MATCH_MODES), default="all", show_default=True,
                help="Whether every word of TEXT is required, or any of them (ranked by "
                "how many and how rare).",
            ),
            click.option(
                "--from", "date_from", metavar="DATE",
                help="Earliest date: 1987, 'March 1987', '3 March 1987', 1987-03-03 (a year or "
                "a month from its first day).",
            ),
            click.option(
                "--to", "date_to", metavar="DATE",
                help="Latest date, as --from (a year or a month to its last day).",
            ),
            click.option(
                "--section", "sections", multiple=True,
                help="Only articles of this section; repeat for any of several.",
            ),
            click.option(
                "--tag", "tags", multiple=True, metavar="KIND=VALUE", callback=_tag,
                help=f"Only articles with this metadata ({', '.join(TAG_NAMES.values())}), "
                "e.g. topics=coffee; repeat it: values of one kind are alternatives "
                "(places=iran --tag places=iraq), kinds all apply.",
            ),
            click.option(
                "--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
                help="Order of the results (recent: relevance decayed with age).",
            ),
            click.option(
                "--half-life", type=float, default=None, metavar="DAYS",
                help="For --sort recent: days after which relevance counts half [default: 365].",
            ),
            click.option(
                "--story", metavar="ID",
                help="Only the versions of this story (the id shown with \"more versions\"), "
                "each its own result.",
            ),
        ]
    ):  # fmt: skip
        fn = option(fn)
    return fn


def json_option(fn: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (the API's shape) instead of text."
    )(fn)


def engine_errors(fn: F) -> F:
    """Turn the engine's errors into one-line messages and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NewsSearchError as e:
            raise click.ClickException(str(e)) from e
        except BrokenPipeError:
            # Not our failure: the reader (`| head`) has what it wanted.
            _quiet_broken_pipe()
            raise click.exceptions.Exit(0) from None
        except OSError as e:
            raise click.ClickException(f"{e.filename or ''}: {e.strerror or e}".lstrip(": ")) from e

    return wrapper  # type: ignore[return-value]


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(cls=_Main)
@click.version_option(package_name="news-search")
def main() -> None:
    """Full-text search for an archive of news articles.

    Build an index from article pages, JSON Lines or Reuters-21578 files, then query
    it here, in the web page or through the JSON API.
    """


# ---------------------------------------------------------------------- index


@main.group()
def index() -> None:
    """Build, update, rebuild and inspect the index."""


def _run(
    kind: str,
    paths: tuple[Path, ...],
    index_dir: Path,
    fmt: str,
    strict: bool,
    quiet: bool,
    procs: int | None = None,
    as_json: bool = False,
    allow_empty: bool = False,
    date_order: str | None = None,
) -> None:
    files, _ = list_files(paths, fmt)
    started = time.perf_counter()
    show = not quiet and sys.stderr.isatty()
    with click.progressbar(
        length=max(len(files), 1),
        label=f"{kind.capitalize()}ing {index_dir}",
        file=sys.stderr,
        show_pos=True,
        item_show_func=lambda s: s,
        hidden=not show,
    ) as bar:
        done = [0]

        def progress(files_done: int, articles: int) -> None:
            rate = articles / max(time.perf_counter() - started, 1e-6)
            bar.update(files_done - done[0], f"{articles:,} articles, {rate:,.0f}/s")
            done[0] = files_done

        try:
            if kind == "build":
                report = build(
                    paths,
                    index_dir,
                    fmt,
                    procs=procs or 1,
                    progress=progress,
                    strict=strict,
                    allow_empty=allow_empty,
                    date_order=date_order or "dmy",  # type: ignore[arg-type]
                )
            else:
                report = update(
                    paths,
                    index_dir,
                    fmt,
                    progress=progress,
                    strict=strict,
                    allow_empty=allow_empty,
                    date_order=date_order,  # type: ignore[arg-type]
                )
        except StrictFailure as e:
            _print_report(e.report, index_dir, as_json)
            raise click.ClickException(str(e)) from e
    _print_report(report, index_dir, as_json)
    if report.unreadable:
        # The run is done and the index changed, but it did not see everything: a cron
        # job must hear it (exit 1 would say nothing changed; 2 is a usage error).
        n = len(report.unreadable)
        click.echo(
            f"Error: {_n(n, 'path')} could not be read; what the index held from "
            f"{'them' if n > 1 else 'it'} was kept",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_UNREAD)


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _print_report(r: RunReport, index_dir: Path, as_json: bool = False) -> None:
    if as_json:
        _echo_json(r.to_dict())
        return
    done = r.read
    click.echo(
        f"{r.kind.capitalize()} of {index_dir}: {_n(done, 'article')} read in {r.seconds:.1f} s "
        f"({r.articles_per_second:,.0f} articles/s); the index now holds {r.articles:,}."
    )
    click.echo(
        f"indexed {r.indexed:,}, updated {r.updated:,}, unchanged {r.unchanged:,}, "
        f"removed {r.removed:,}, skipped {len(r.skipped):,}"
        + (f" ({len(r.unreadable):,} could not be read)" if r.unreadable else "")
    )
    if r.notes:
        click.echo("Notes:")
        for note in r.notes[:200]:
            click.echo(f"  {note}")
    if r.skipped:
        click.echo("Skipped:")
        for s in r.skipped[:200]:
            click.echo(f"  {s}")
        if len(r.skipped) > 200:
            click.echo(
                f"  … and {len(r.skipped) - 200:,} more (see `news-search index stats --json`)"
            )


@index.command("build")
@source_options
@click.option(
    "--procs",
    type=click.IntRange(1, 64),
    default=None,
    help="Indexing processes [default: 2 when there are 2+ cores and 2,000+ articles' worth "
    "of input, else 1].",
)
@date_order_option("dmy", "dmy")
@report_option
@index_option
@engine_errors
def index_build(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    quiet: bool,
    procs: int | None,
    allow_empty: bool,
    date_order: str,
    as_json: bool,
    index_dir: Path,
) -> None:
    """Index everything under PATHS into a new index, switched in when complete.

    The previous index keeps answering until the switch; if the build fails or is
    killed, it is left exactly as it was.
    """
    _check_paths(paths)
    if procs is None:
        procs = _default_procs(paths)
    _run("build", paths, index_dir, fmt, strict, quiet, procs, as_json, allow_empty, date_order)


def _default_procs(paths: tuple[Path, ...]) -> int:
    """Two indexing processes when there are two cores and enough input to pay for them
    (~4 MB, a few thousand articles; measured in DESIGN.md), else one."""
    if (os.cpu_count() or 1) < 2:
        return 1
    size = 0
    for p in paths:
        for root, _, names in os.walk(p) if p.is_dir() else [("", [], [str(p)])]:
            for name in names:
                with contextlib.suppress(OSError):  # vanished or unreadable: the build says so
                    size += os.path.getsize(os.path.join(root, name))
                if size > 4_000_000:
                    return 2
    return 1


@index.command("update")
@source_options
@date_order_option(None, "the one the index was built with")
@report_option
@index_option
@engine_errors
def index_update(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    quiet: bool,
    allow_empty: bool,
    date_order: str | None,
    as_json: bool,
    index_dir: Path,
) -> None:
    """Add new and changed articles under PATHS and drop those whose files are gone.

    Articles are compared by content hash: unchanged ones are not rewritten. Articles
    indexed from outside PATHS are left alone.
    """
    _check_paths(paths)
    _run(
        "update",
        paths,
        index_dir,
        fmt,
        strict,
        quiet,
        as_json=as_json,
        allow_empty=allow_empty,
        date_order=date_order,
    )


@index.command("rebuild")
@click.option("--strict", is_flag=True, help="Fail if any file or article is skipped.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; only the summary.")
@report_option
@index_option
@engine_errors
def index_rebuild(strict: bool, quiet: bool, as_json: bool, index_dir: Path) -> None:
    """Build the index again from the sources and format of its last build.

    Works on a damaged index too: the sources are read from the build's summary file.
    """
    info = read_summary(current_generation(index_dir))
    sources = info.get("sources") or []
    if not sources:
        raise click.ClickException(
            f"the index at {index_dir} does not record its sources: "
            "use `news-search index build PATH`"
        )
    paths = tuple(Path(s) for s in sources)
    _run(
        "build",
        paths,
        index_dir,
        info.get("format") or "auto",
        strict,
        quiet,
        _default_procs(paths),
        as_json,
        date_order=info.get("date_order") or "dmy",
    )


@index.command("stats")
@json_option
@index_option
@engine_errors
def index_stats_cmd(as_json: bool, index_dir: Path) -> None:
    """Show what the index holds and what its last run did."""
    info = index_stats(index_dir)
    if as_json:
        _echo_json(info)
        return
    last = info.get("last_run") or {}
    click.echo(f"Index:      {info['location']} ({info['generation']})")
    click.echo(f"Articles:   {info['articles']:,}")
    if info.get("date_from"):
        click.echo(f"Published:  {info['date_from']} to {info['date_to']}")
    click.echo(f"Built:      {info.get('built_at') or 'unknown'}")
    click.echo(f"Updated:    {info.get('updated_at') or 'never'}")
    click.echo(f"Size:       {info['size_bytes'] / 1e6:,.1f} MB in {info['segments']} segment(s)")
    if info.get("sections"):
        top = ", ".join(f"{s['value']} ({s['count']:,})" for s in info["sections"][:8])
        click.echo(f"Sections:   {top}")
    if info.get("sources"):
        click.echo(f"Sources:    {', '.join(info['sources'])} (format: {info.get('format')})")
    click.echo(f"Dates:      {info.get('date_order') or 'dmy'} (how 05/04/2023 in pages is read)")
    if last:
        click.echo(
            f"Last run:   {last.get('kind')}: indexed {last.get('indexed', 0):,}, "
            f"updated {last.get('updated', 0):,}, unchanged {last.get('unchanged', 0):,}, "
            f"removed {last.get('removed', 0):,}, skipped {len(info['skipped']):,}"
        )
    for n in (last.get("notes") or [])[:50]:
        click.echo(f"  note {n['path']}: {n['message']}")
    for s in info["skipped"][:50]:
        click.echo(f"  skipped {s['path']}: {s['reason']}")


@index.command("check")
@json_option
@index_option
@engine_errors
def index_check(as_json: bool, index_dir: Path) -> None:
    """Check that the index opens, agrees with its summary, and answers a canary query.

    Exit code 0 when every check passes, 1 otherwise (for scripts and monitoring).
    """
    report = check_index(index_dir)
    if as_json:
        _echo_json(report.to_dict())
    else:
        for c in report.checks:
            click.echo(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<8} {c.detail}")
        click.echo(
            f"{index_dir}: {'healthy' if report.ok else 'NOT healthy'} "
            f"(checked in {report.seconds:.1f} s)"
        )
    if not report.ok:
        sys.exit(1)


# ---------------------------------------------------------------------- parse


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="How to read the files.",
)
@date_order_option("dmy", "dmy")
@click.option(
    "--report",
    is_flag=True,
    help="Instead of every field of every article, a report on them all: read and skipped "
    "(by reason), the fill rate of each field, dates, sections, sources, and the pages that "
    "look misread, with their paths.",
)
@json_option
@engine_errors
def parse(
    paths: tuple[Path, ...], fmt: str, date_order: DateOrder, report: bool, as_json: bool
) -> None:
    """Show how the files under PATHS are read, before they are indexed: every field of
    every article, or why it is skipped; with --report, a summary of them all.

    Exit 2 if a path does not exist, 3 if one could not be read, 1 if no article was read.
    """
    _check_paths(paths)
    if report:
        r = report_paths(paths, fmt, date_order)
        data = r.to_dict()
        if as_json:
            _echo_json(data)
        else:
            for line in report_lines(data):
                click.echo(line)
        _parse_exit(r.read, r.unreadable)
        return
    articles: list[Article] = []
    skips: list[Skip] = []
    for item in iter_files(paths, fmt):
        for record in [item] if isinstance(item, Skip) else read_path(item, fmt, date_order):
            if isinstance(record, Article):
                if not as_json:
                    if articles or skips:
                        click.echo("")
                    _print_article(record)
                articles.append(record)
            else:
                skips.append(record)
                if not as_json:
                    click.echo(f"skipped {record}")
    if as_json:
        out: Any
        if len(articles) == 1 and not skips:
            out = articles[0].to_dict()
        else:
            out = {
                "articles": [a.to_dict() for a in articles],
                "skipped": [{"path": s.path, "reason": s.reason} for s in skips],
            }
        _echo_json(out)
    _parse_exit(len(articles), sum(s.unreadable for s in skips))


def _parse_exit(read: int, unreadable: int) -> None:
    if unreadable:
        click.echo(f"Error: {_n(unreadable, 'path')} could not be read", err=True)
        raise click.exceptions.Exit(EXIT_UNREAD)
    if not read:
        raise click.exceptions.Exit(1)


def _print_article(a: Article) -> None:
    d = a.to_dict()
    for key in (
        "id",
        "path",
        "title",
        "published",
        "crawled",
        "reading_minutes",
        "section",
        "source",
        "standfirst",
    ):
        click.echo(f"{key + ':':17}{'' if d[key] is None else d[key]}")
    click.echo(f"{'body:':17}{len(a.body)} paragraphs")
    for i, p in enumerate(a.body, 1):
        click.echo(f"  {i:>3}. {p}")
    click.echo(f"{'related:':17}{'; '.join(a.related)}")
    click.echo(f"{'previous_title:':17}{a.previous_title}")
    click.echo(f"{'next_title:':17}{a.next_title}")
    click.echo(f"{'content_hash:':17}{a.content_hash}")


# ---------------------------------------------------------------------- query

_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def _terminal(snippet: Markup) -> str:
    """A snippet for the terminal: matches in bold, entities decoded."""
    text = _MARK.sub(lambda m: click.style(m.group(1), bold=True), str(snippet))
    return Markup(text).unescape()


@main.command()
@click.argument("text", required=False, default="")
@filter_options
@click.option("--page", type=int, default=1, show_default=True, help="Page of results, from 1.")
@click.option(
    "--per-page",
    type=int,
    default=10,
    show_default=True,
    help=f"Results per page, 1 to {MAX_PER_PAGE}.",
)
@json_option
@index_option
@engine_errors
def query(
    text: str,
    match: str,
    date_from: str | None,
    date_to: str | None,
    sections: tuple[str, ...],
    tags: dict[str, list[str]],
    sort: str,
    half_life: float | None,
    story: str | None,
    page: int,
    per_page: int,
    as_json: bool,
    index_dir: Path,
) -> None:
    """Search the index for TEXT (all words required, or any with --match any; see the
    README for the syntax)."""
    request = SearchRequest.of(
        text, date_from, date_to, sections, sort, page, per_page,
        tags=tags, half_life=half_life, match=match, story=story,
    )  # fmt: skip
    result = search(request, index=index_dir)
    if as_json:
        _echo_json(result.to_dict())
        return
    _print_page(result)


def _print_page(r: SearchPage) -> None:
    shown = f"{(r.page - 1) * r.per_page + 1}-{(r.page - 1) * r.per_page + len(r.hits)}"
    stories = r.total - r.collapsed
    if r.collapsed:  # copies of one story are one hit: say both counts
        head = f"{_n(stories, 'story', 'stories')}, {_n(r.total, 'article')}"
    else:
        head = f"{r.total:,} result{'s' if r.total != 1 else ''}"
    if r.query:
        head += f" for {r.query!r}"
    if r.hits:
        head += f", {shown}"
    click.echo(f"{head} ({r.took_ms:.1f} ms)")
    if r.suggestion:
        click.echo(f"Did you mean: {r.suggestion}")
    for note in r.notes:
        click.echo(f"Note: {note}")
    for i, h in enumerate(r.hits, (r.page - 1) * r.per_page + 1):
        meta = ", ".join(x for x in (h.published.isoformat(), h.section, h.source) if x)
        click.echo("")
        click.echo(f"{i}. {click.style(h.title, bold=True)}  [{h.id}]")
        click.echo(f"   {meta}")
        click.echo(f"   {_terminal(h.snippet)}")
        if h.versions:
            more = _n(h.versions, "more version")
            click.echo(f"   + {more} of this story (--story {h.story})")
    if r.facets["year"]:
        click.echo("")
        click.echo("Years:    " + ", ".join(f"{c.value} ({c.count:,})" for c in r.facets["year"]))
        months = r.facets["month"]
        click.echo(
            "Months:   "
            + ", ".join(f"{c.value} ({c.count:,})" for c in months[:24])
            + (" …" if len(months) > 24 else "")
        )
    if r.facets["section"]:
        click.echo(
            "Sections: " + ", ".join(f"{c.value} ({c.count:,})" for c in r.facets["section"][:10])
        )
    for kind, plural in TAG_FIELDS:
        counts = r.facets.get(kind) or []
        if counts:
            more = " …" if len(counts) > 10 else ""
            values = ", ".join(f"{c.value} ({c.count:,})" for c in counts[:10])
            click.echo(f"{plural.capitalize() + ':':10}{values}{more}")


# --------------------------------------------------------------------- export


@main.command("export")
@click.argument("text", required=False, default="")
@filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="csv",
    show_default=True,
    help="CSV (a header row, then one row per article) or JSON Lines (one object per line).",
)
@click.option("--body", is_flag=True, help="Include each article's whole text.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@index_option
@engine_errors
def export_cmd(
    text: str,
    match: str,
    date_from: str | None,
    date_to: str | None,
    sections: tuple[str, ...],
    tags: dict[str, list[str]],
    sort: str,
    half_life: float | None,
    story: str | None,
    fmt: str,
    body: bool,
    output: Path | None,
    index_dir: Path,
) -> None:
    """Write EVERY article matching TEXT (not a page) as CSV or JSON Lines, for research.

    The count and any notes on how the query was read go to standard error.
    """
    request = SearchRequest.of(
        text, date_from, date_to, sections, sort,
        tags=tags, half_life=half_life, match=match, story=story,
    )  # fmt: skip
    result = export(request, body=body, index=index_dir)
    lines = export_lines(result, fmt)
    with (
        open(output, "w", encoding="utf-8", newline="")
        if output
        else contextlib.nullcontext(sys.stdout)
    ) as out:
        for line in lines:
            out.write(line)
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(
        f"{_n(result.total, 'article')} exported{f' to {output}' if output else ''}.", err=True
    )


# ---------------------------------------------------------------------- serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Server processes [default: one per core]. Searching is CPU-bound Python: "
    "processes, not threads.",
)
@click.option(
    "--reload",
    is_flag=True,
    help="Development only: Flask's own server, restarting when the code changes.",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Development only: Flask's own server with its debugger. Never in production.",
)
@index_option
@engine_errors
def serve(
    host: str, port: int, workers: int | None, reload: bool, debug: bool, index_dir: Path
) -> None:
    """Serve the search page and the JSON API (gunicorn, one process per core)."""
    from search.backends.whoosh.store import IndexStore
    from web import create_app  # the web front end is loaded only to serve
    from web.logs import configure_logging
    from web.server import check_address

    check_address(host, port)
    configure_logging()
    # No index at all is a mistake to fix before serving: say so in one line. A damaged
    # one is served as it is, answering 503 until a rebuild repairs it (no restart needed).
    probe = IndexStore(index_dir)
    try:
        probe.snapshot()
    except IndexCorrupt as e:
        logging.getLogger("news_search").error(str(e), extra={"event": "index_unavailable"})
    finally:
        probe.close()
    app = create_app({"INDEX": str(index_dir)})
    if reload or debug:
        app.run(host=host, port=port, debug=debug, use_reloader=reload)
        return
    from web.server import run_gunicorn

    run_gunicorn(app, host, port, workers or os.cpu_count() or 1)


if __name__ == "__main__":  # pragma: no cover
    main()
