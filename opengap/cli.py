"""The `opengap` command line: run the nightly flow, parse one raw file, inspect and re-validate snapshots."""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from opengap.config import DEFAULT_ARCHIVE, load_settings, snapshot_date, today_utc
from opengap.errors import OpengapError

if TYPE_CHECKING:  # imported lazily at run time: Prefect and GX take seconds to import
    from flows.backfill import BackfillReport
    from flows.snapshot import SnapshotOutcome
    from warehouse.layout import Layout

app = typer.Typer(
    help="opengap: the open-weight vs closed AI model record.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)
DEBUG = {"on": False}
RUN_LOG: dict[str, Path | None] = {"path": None}  # this command's Prefect log file, named in error lines
SOURCES_HELP = "Comma-separated sources (default: all; `opengap sources` lists them)."


@app.callback()
def main(debug: Annotated[bool, typer.Option(help="Show full tracebacks on errors.")] = False) -> None:
    DEBUG["on"] = debug
    RUN_LOG["path"] = None  # set by the command that starts Prefect (an earlier command in this process is over)
    logging.basicConfig(level=logging.INFO if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _sources(option: str | None) -> list[str]:
    """``--sources`` checked against the registry before any flow starts (command-line spellings accepted)."""
    from extractors import registry

    names = [s.strip().replace("-", "_") for s in (option or "").split(",") if s.strip()]
    if option is not None and not names:
        raise OpengapError(
            f"--sources {option!r} names no source; leave the option out to run all, or name some of: "
            + ", ".join(registry.get(s).cli_name for s in registry.nightly())
        )
    return registry.check(names or None)


def _tables(option: str | None, name: str) -> list[str]:
    """A comma-separated list of table names, checked against the table contracts."""
    from transforms.tables import table_specs

    tables, known = [t.strip() for t in (option or "").split(",") if t.strip()], table_specs()
    unknown = [t for t in tables if t not in known]
    if unknown:
        raise OpengapError(f"{name}: unknown table(s) {', '.join(unknown)}; tables are {', '.join(known)}")
    return tables


def fail(exc: BaseException) -> None:
    """One clear line and a non-zero exit; the traceback only with --debug."""
    if DEBUG["on"]:
        raise exc
    from flows.runtime import explain

    if isinstance(exc, OpengapError):
        message = str(exc)
    else:
        message = explain(exc) or f"unexpected {type(exc).__name__}: {exc}; re-run with --debug for the traceback"
    if RUN_LOG["path"]:
        message += f" (Prefect's log: {RUN_LOG['path']})"
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _check_data_dir(data_dir: str) -> None:
    """A local data directory must be a folder this user can write (checked before a flow starts)."""
    from opengap.storage import Storage

    storage = Storage(data_dir)
    if not storage.is_local:
        return  # credentials and buckets are checked by the first write; fsspec's error names the URL
    root = Path(storage.root)
    if root.exists() and not root.is_dir():
        raise OpengapError(f"--data-dir {root} is a file, not a folder; choose a folder (it is created if missing)")
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".opengap-write-check-"):
            pass
    except OSError as exc:
        raise OpengapError(
            f"cannot write into --data-dir {root} ({exc.strerror or exc}); choose a writable folder or fix its "
            "permissions"
        ) from None


SERVER: dict[str, Any] = {"starting": None}


def _server_ready() -> None:
    """Wait for the temporary API server ``_prepare_run`` started (the flow must not start it a second time)."""
    if (ready := SERVER.pop("starting", None)) is not None:
        ready.wait()
    SERVER["starting"] = None


def _prepare_run(data_dir: str, command: str) -> None:
    """Everything checked and set up before Prefect starts: the data directory, Prefect's settings, leftovers
    of killed runs, and (unless --debug) Prefect's own log lines routed to a file whose path errors name."""
    from flows import runtime
    from warehouse.layout import Layout

    _check_data_dir(data_dir)
    runtime.prefect_environment()
    runtime.clean_leftovers()
    runtime.servers_die_with_their_run()
    SERVER["starting"] = runtime.start_server_early()  # boots while the flow modules import
    if not DEBUG["on"]:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        RUN_LOG["path"] = Layout(data_dir).local_dir / "logs" / f"{command}-{stamp}-{os.getpid()}.log"
        runtime.route_logs_to_file(RUN_LOG["path"])


def print_summary(data_dir: str, snapshot_date: str | None = None) -> None:
    """Tables, rows, validation, where the files are, and the headline gap, for one published snapshot."""
    from warehouse.layout import Layout
    from warehouse.publish import load_manifest, read_latest

    layout = Layout(data_dir)
    manifest = load_manifest(layout, snapshot_date)
    latest = read_latest(layout)
    validation = manifest["validation"]
    status = "[green]passed[/]" if validation["success"] else "[red]failed[/]"
    console.print(
        f"[bold]Snapshot {manifest['snapshot_date']}[/] (run {manifest['run_id']}, {manifest['mode']}, "
        f"code {manifest['code_version']}) — validation {status}, {len(validation['warnings'])} warning(s)"
        + ("  [cyan](latest)[/]" if latest and latest["snapshot_date"] == manifest["snapshot_date"] else "")
    )
    table = Table("table", "rows", "checks", "file")
    for name, info in sorted(manifest["tables"].items()):
        checks = validation["tables"].get(name, {})
        table.add_row(
            name,
            str(info["rows"]),
            f"{checks.get('evaluated', 0) - checks.get('failed', 0)}/{checks.get('evaluated', 0)}",
            layout.storage.url_of(info["path"]),
        )
    console.print(table)
    for warning in validation["warnings"]:
        listed = f" ({', '.join(map(str, warning['examples'][:5]))}…)" if warning.get("examples") else ""
        console.print(f"  [yellow]warning[/] {warning['table']}.{warning['column']}: {warning['why']}{listed}")
    if identity := manifest.get("identity"):
        unmatched = ", ".join(f"{source} {n}" for source, n in identity["unmatched_names"].items()) or "none"
        console.print(
            f"Models:         {identity['models']}, {identity['models_in_two_or_more_sources']} named by two or more "
            f"sources; unmatched names: {unmatched}"
        )
    if changed := manifest.get("changes"):
        counts = ", ".join(f"{kind} {n}" for kind, n in changed["counts"].items()) or "none"
        console.print(
            f"Changes since {changed['compared_with']}: {counts}; {changed['beyond_threshold']} beyond threshold"
        )
    console.print(f"DuckDB catalog: {layout.catalog_path}")
    if report := manifest.get("report"):
        written = layout.storage.is_file(layout.path(report))
        missing = "" if written else " (not written: run `opengap report`)"
        console.print(f"Report:         {layout.storage.uri(layout.path(report))}{missing}")
    if validation.get("docs_index"):
        console.print(f"Data Docs:      {layout.storage.url_of(validation['docs_index'])}")
    if "open_closed_gap" in manifest["tables"]:
        print_headline(layout, manifest["snapshot_date"])
    if "family_adoption" in manifest["tables"]:
        print_adoption(layout, manifest["snapshot_date"])
    if "claims_check" in manifest["tables"]:
        print_claims(layout, manifest["snapshot_date"])


def print_headline(layout: Layout, snapshot_date: str) -> None:
    from warehouse.catalog import connect

    con = connect(layout, layout.catalog_path, read_only=True)
    rows = con.execute(
        "SELECT board, leaderboard_publish_date, best_open_model, best_open_rank, best_open_rating, "
        "best_closed_model, best_closed_rank, best_closed_rating, score_gap, open_share_top10 "
        "FROM open_closed_gap WHERE snapshot_date = ? ORDER BY board",
        [dt.date.fromisoformat(snapshot_date)],
    ).fetchall()
    con.close()
    headline = Table(
        "board",
        "published",
        "best open (rank)",
        "best closed (rank)",
        "gap",
        "open share top 10",
        title="Best open vs best closed model, per leaderboard",
    )
    for board, published, om, orank, orating, cm, crank, crating, gap, share in rows:
        headline.add_row(
            board,
            str(published),
            f"{om} (#{orank}) {orating:.0f}" if om else "—",
            f"{cm} (#{crank}) {crating:.0f}" if cm else "—",
            f"{gap:+.1f}" if gap is not None else "—",
            f"{share:.0%}" if share is not None else "—",
        )
    console.print(headline)


def print_adoption(layout: Layout, snapshot_date: str) -> None:
    """Adoption per tracked family: the Hub's downloads of its base repos, their children listed
    (``hub_derivatives``, reconstructed_from_created_at) and Ollama pulls."""
    from warehouse.catalog import connect, has_view

    con = connect(layout, layout.catalog_path, read_only=True)
    listed = (
        "(SELECT sum(derivatives) FROM hub_derivatives d WHERE d.snapshot_date = f.snapshot_date AND d.family = "
        "f.family AND d.method = 'reconstructed_from_created_at')"
        if has_view(con, "hub_derivatives")
        else "NULL"
    )
    rows = con.execute(
        f"SELECT family, downloads_30d, {listed}, ollama_pulls FROM family_adoption f WHERE snapshot_date = ? "
        "ORDER BY coalesce(ollama_pulls, 0) + coalesce(downloads_30d, 0) DESC, family",
        [dt.date.fromisoformat(snapshot_date)],
    ).fetchall()
    con.close()
    adoption = Table(
        "family", "Hub downloads (30 days)", "derivatives listed", "Ollama pulls", title="Adoption per model family"
    )
    for family, downloads, children, pulls in rows:
        adoption.add_row(family, *(f"{n:,}" if n is not None else "—" for n in (downloads, children, pulls)))
    console.print(adoption)


def print_claims(layout: Layout, snapshot_date: str) -> None:
    """Each published claim next to what our data says (claims_check): on its own date, or the nearest."""
    from warehouse.catalog import connect
    from warehouse.report import number

    con = connect(layout, layout.catalog_path, read_only=True)
    rows = con.execute(
        "SELECT claim, claim_as_of, claimed_value, unit, measured_on, measured_as_of, same_date, our_value "
        "FROM claims_check WHERE snapshot_date = ? ORDER BY claim_id, NOT same_date, measured_on",
        [dt.date.fromisoformat(snapshot_date)],
    ).fetchall()
    con.close()
    table = Table("claim (its date)", "claimed", "measured on (date)", "ours", title="Claims check")
    for claim, as_of, claimed, unit, on, measured_as_of, same, ours in rows:
        when = "" if measured_as_of is None else f" ({measured_as_of}{'' if same else ', nearest'})"
        table.add_row(f"{claim} ({as_of})", number(claimed, unit), f"{on}{when}", number(ours, unit))
    console.print(table)


@app.command()
def run(
    date: Annotated[
        str | None,
        typer.Option(help="Snapshot date YYYY-MM-DD (default: today UTC; offline: the archive's newest date)."),
    ] = None,
    offline: Annotated[bool, typer.Option(help="Replay a raw archive instead of fetching.")] = False,
    raw_archive: Annotated[str, typer.Option(help="Archive (folder or URL) to replay with --offline.")] = str(
        DEFAULT_ARCHIVE
    ),
    sources: Annotated[str | None, typer.Option(help=SOURCES_HELP)] = None,
    refresh: Annotated[bool, typer.Option(help="Download again even if raw files exist for the date.")] = False,
    catch_up: Annotated[
        bool, typer.Option(help="First backfill the dates missed since the last published snapshot.")
    ] = False,
    docs: Annotated[
        bool,
        typer.Option(
            help="Also build Great Expectations' Data Docs (HTML; they need CDNs to display, and cost ~6 s). The "
            "validation results are in the manifest and the offline docs/index.html either way; `opengap validate` "
            "builds them for a published snapshot."
        ),
    ] = False,
    allow_row_drop: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated tables whose rows may fall more than their contract allows against the previous "
            "snapshot (a known upstream change; recorded in the manifest)."
        ),
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Data directory or URL (default $OPENGAP_DATA_DIR or ./data).")
    ] = None,
) -> None:
    """Run the nightly flow for one snapshot date: fetch (or replay), validate, publish."""
    settings = load_settings(data_dir)
    try:
        chosen = _sources(sources)
        date = snapshot_date(date) if date is not None else None
        allowed = _tables(allow_row_drop, "--allow-row-drop")
        _prepare_run(settings.data_dir, "run")
        from flows.nightly import newest_archive_date, nightly
        from warehouse.layout import Layout
        from warehouse.publish import run_lock

        with run_lock(Layout(settings.data_dir)):
            if catch_up:
                target = date or (newest_archive_date(raw_archive, chosen) if offline else today_utc())
                _catch_up(settings.data_dir, target, chosen, offline, raw_archive)
            with console.status(f"running the nightly flow into {settings.data_dir} …"):
                _server_ready()
                result = nightly(
                    snapshot_date=date,
                    sources=chosen,
                    offline=offline,
                    raw_archive=raw_archive if offline else None,
                    refresh=refresh,
                    data_dir=settings.data_dir,
                    docs=docs,
                    allow_row_drop=allowed,
                )
        print_summary(settings.data_dir, result.snapshot_date)
    except Exception as exc:  # one line (fail); the traceback is in the log file, or on screen with --debug
        fail(exc)


def _catch_up(data_dir: str, target: str, sources: list[str], offline: bool, raw_archive: str) -> None:
    """Backfill every date after the latest published snapshot and before ``target``."""
    from warehouse.layout import Layout
    from warehouse.publish import read_latest

    latest = read_latest(Layout(data_dir))
    if latest is None:
        raise OpengapError(
            f"nothing is published in {data_dir} yet, so there is nothing to catch up from; "
            "run `opengap backfill --start … --end …` first"
        )
    start = dt.date.fromisoformat(latest["snapshot_date"]) + dt.timedelta(days=1)
    end = dt.date.fromisoformat(target) - dt.timedelta(days=1)
    if start > end:
        console.print(f"catch-up: nothing missed since {latest['snapshot_date']}")
        return
    report = _run_backfill(
        start.isoformat(),
        end.isoformat(),
        sources=sources,
        every="day",
        workers=2,
        force=False,
        offline=offline,
        raw_archive=raw_archive if offline else None,
        task_runner="thread",
        dask_address=None,
        docs=False,
        data_dir=data_dir,
    )
    _print_backfill(report)
    if not report.ok:
        raise OpengapError(f"catch-up left {len(report.quarantined) + len(report.failed)} date(s) unpublished")


def _print_backfill(report: BackfillReport) -> None:
    summary = Table("outcome", "dates", "detail", title="backfill")
    summary.add_row("published", str(len(report.published)), ", ".join(report.published[-5:]))
    summary.add_row("skipped", str(len(report.skipped)), "already published (see manifests)")
    for day, where in sorted(report.quarantined.items()):
        summary.add_row("[red]quarantined[/]", day, where)
    for day, error in sorted(report.failed.items()):
        summary.add_row("[red]failed[/]", day, error)
    console.print(summary)


def _run_backfill(start: str, end: str, **options: Any) -> BackfillReport:
    """Run the backfill flow with a progress bar fed as each date finishes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.backfill import backfill, on_progress
    from flows.runners import make_task_runner
    from warehouse.layout import Layout
    from warehouse.publish import run_lock

    runner = make_task_runner(options.pop("task_runner"), options.pop("workers"), options.pop("dask_address"))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("landing and parsing raw files", total=None)

        def planned(dates: list[str]) -> None:
            progress.update(bar, total=len(dates), description=f"backfill of {len(dates)} date(s)")

        def advance(outcome: SnapshotOutcome) -> None:
            progress.update(bar, advance=1, description=f"{outcome.snapshot_date} {outcome.status}")

        with run_lock(Layout(options["data_dir"])), on_progress(planned, advance):
            _server_ready()
            return backfill.with_options(task_runner=runner)(start=start, end=end, **options)


@app.command()
def backfill(
    start: Annotated[str, typer.Option(help="First snapshot date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last snapshot date, YYYY-MM-DD.")],
    sources: Annotated[str | None, typer.Option(help=SOURCES_HELP)] = None,
    every: Annotated[str, typer.Option(help="day | week | month | publish (each LMArena publication)")] = "day",
    workers: Annotated[int, typer.Option(help="Dates built at once (threads or Dask processes).")] = 2,
    force: Annotated[bool, typer.Option(help="Rebuild dates already published.")] = False,
    offline: Annotated[bool, typer.Option(help="Replay a raw archive instead of fetching.")] = False,
    raw_archive: Annotated[str, typer.Option(help="Archive (folder or URL) to replay with --offline.")] = str(
        DEFAULT_ARCHIVE
    ),
    task_runner: Annotated[str, typer.Option(help="thread | dask")] = "thread",
    dask_address: Annotated[str | None, typer.Option(help="Scheduler of an existing Dask cluster.")] = None,
    docs: Annotated[bool, typer.Option(help="Build Great Expectations Data Docs for every date.")] = False,
    data_dir: Annotated[str | None, typer.Option(help="Data directory or URL (s3://…).")] = None,
) -> None:
    """Publish one validated snapshot per date in a range (resumable: finished dates are skipped)."""
    settings = load_settings(data_dir)
    try:
        chosen = _sources(sources)
        start, end = snapshot_date(start, "--start"), snapshot_date(end, "--end")
        if start > end:
            raise OpengapError(f"--start {start} is after --end {end}")
        from flows.dates import EVERY

        if every not in EVERY:
            raise OpengapError(f"--every must be one of {', '.join(EVERY)}, not {every!r}")
        _prepare_run(settings.data_dir, "backfill")
        report = _run_backfill(
            start,
            end,
            sources=chosen,
            every=every,
            workers=workers,
            force=force,
            offline=offline,
            raw_archive=raw_archive if offline else None,
            task_runner=task_runner,
            dask_address=dask_address,
            docs=docs,
            data_dir=settings.data_dir,
        )
    except Exception as exc:  # one line (fail); the traceback is in the log file, or on screen with --debug
        fail(exc)
    _print_backfill(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help="When to run, as a cron expression.")] = "0 6 * * *",
    timezone: Annotated[str, typer.Option(help="IANA time zone of the cron expression.")] = "UTC",
    sources: Annotated[str | None, typer.Option(help=SOURCES_HELP)] = None,
    data_dir: Annotated[str | None, typer.Option(help="Data directory or URL (s3://…).")] = None,
) -> None:
    """Run the nightly flow on a schedule until stopped (a long-running Prefect `serve`)."""
    settings = load_settings(data_dir)
    try:
        params = {"sources": _sources(sources), "data_dir": settings.data_dir}
        _check_data_dir(settings.data_dir)
        from flows.runtime import prefect_environment

        prefect_environment()  # a long-running server keeps Prefect's log on the console
        from flows.schedule import serve_nightly

        console.print(
            f"serving the nightly flow at [bold]{cron}[/] ({timezone}) into {settings.data_dir}; Ctrl-C stops"
        )
        serve_nightly(cron, timezone, params)
    except OpengapError as exc:
        fail(exc)


def _parsers_help() -> str:
    from extractors import registry

    return " | ".join(source.cli_name for source in registry.sources().values())


@app.command()
def parse(
    source: Annotated[str, typer.Argument(help="The source whose parser reads FILE (`opengap sources` lists them).")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A local raw file.")],
    out: Annotated[Path | None, typer.Option(help="Write rows to .parquet, .csv or .jsonl.")] = None,
    board: Annotated[str | None, typer.Option(help="LMArena board (config) when the file name does not say.")] = None,
) -> None:
    """Run one extractor's pure parser on a local file and show (or write) the normalized, tagged rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from extractors import registry
    from extractors.base import drift_of, notes_of
    from extractors.raw_store import RawMeta, sha256_hex
    from transforms.linking import tag_alone

    try:
        if out is not None and out.suffix not in {".parquet", ".csv", ".jsonl"}:
            raise OpengapError(f"--out must end in .parquet, .csv or .jsonl, not {out.suffix!r}")
        declared = registry.get(source)
        raw = file.read_bytes()
        stamp = dt.datetime.fromtimestamp(file.stat().st_mtime, dt.UTC).replace(microsecond=0)
        meta = RawMeta(
            source=declared.name,
            file=file.name,
            url=file.resolve().as_uri(),
            retrieved_at=stamp.isoformat(),
            sha256=sha256_hex(raw),
            size=len(raw),
            params={"config": board} if board else {},
        )
        parsed = declared.parse(raw, meta)
        if drift := drift_of(parsed):
            console.print(f"[yellow]column drift in {file.name}: {json.dumps(drift)}[/yellow]")
        if notes := notes_of(parsed):
            console.print(f"parse notes for {file.name}: {json.dumps(notes)}")
        rows = tag_alone(declared, parsed.to_pandas())
        table = pa.Table.from_pandas(rows, preserve_index=False)
        if out is None:
            preview = Table(*[c for c in table.column_names if c not in {"source_url", "raw_sha256"}][:12])
            for rec in rows.head(20).itertuples(index=False):
                values = rec._asdict()
                preview.add_row(*[str(values[col.header]) for col in preview.columns])
            console.print(preview)
            console.print(f"{table.num_rows} rows parsed from {file}")
            return
        if out.suffix == ".parquet":
            pq.write_table(table, out)
        elif out.suffix == ".csv":
            pacsv.write_csv(table, out)
        else:
            out.write_text("".join(json.dumps(r, default=str) + "\n" for r in table.to_pylist()))
        console.print(f"wrote {table.num_rows} rows to {out}")
    except OpengapError as exc:
        fail(exc)


@app.command()
def sources(
    markdown: Annotated[bool, typer.Option(help="Print the README's source table (Markdown).")] = False,
) -> None:
    """List the sources: what each gives, its licence, what a snapshot and a backfill take from it."""
    from extractors import registry

    if markdown:
        console.print(registry_markdown(), highlight=False, soft_wrap=True)
        return
    table = Table(Column("source", no_wrap=True), "what", "licence / terms", "table", "backfill")
    for source in registry.sources().values():
        table.add_row(
            source.cli_name,
            f"{source.title}: {source.what}",
            source.license,
            source.table.name if source.table else "(parse only)",
            source.backfill if source.table else "—",
        )
    console.print(table)


@app.command()
def report(
    date: Annotated[str | None, typer.Option(help="Snapshot date YYYY-MM-DD (default: the latest).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write it (default: <data>/reports/<date>.html).")] = None,
    data_dir: Annotated[str | None, typer.Option(help="Data directory or URL (s3://…).")] = None,
) -> None:
    """Write the report: one self-contained HTML file with the charts, readable offline."""
    from warehouse.layout import Layout
    from warehouse.publish import load_manifest
    from warehouse.report import write_report

    try:
        layout = Layout(load_settings(data_dir).data_dir)
        snapshot_date = load_manifest(layout, date)["snapshot_date"]
        console.print(f"report: {write_report(layout, snapshot_date, out)}")
    except OpengapError as exc:
        fail(exc)


@app.command()
def dictionary(
    out: Annotated[Path, typer.Option(help="Where to write the data dictionary (Markdown).")] = Path(
        "docs/data-dictionary.md"
    ),
) -> None:
    """Write the data dictionary: every table and column with type, unit, grain and description."""
    from transforms.tables import table_specs
    from warehouse.dictionary import markdown, undocumented

    try:
        missing = undocumented(table_specs())
        if missing:
            raise OpengapError(
                f"{len(missing)} column(s) lack a description in opengap/data/columns.csv: {missing[0]}…"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown(table_specs()), encoding="utf-8")
        console.print(f"data dictionary: {out}")
    except OpengapError as exc:
        fail(exc)


def registry_markdown() -> str:
    """The README's source table, from the registry (a test keeps the README equal to it)."""
    from extractors import registry

    lines = ["| source | what | licence / terms | table | backfill |", "|---|---|---|---|---|"]
    for s in registry.sources().values():
        table = f"`{s.table.name}`" if s.table else "— (`opengap parse " + s.cli_name + "` only)"
        notes = [f"needs `{s.needs}`, skipped without it" if s.needs else "", "fetched once" if s.static else ""]
        backfill = s.backfill if s.table else "—"
        what = s.what + "".join(f"; {n}" for n in notes if n)
        lines.append(f"| [{s.title}]({s.homepage}) (`{s.cli_name}`) | {what} | {s.license} | {table} | {backfill} |")
    return "\n".join(lines)


@app.command()
def status(
    data_dir: Annotated[str | None, typer.Option(help="Data directory or URL (s3://…).")] = None,
) -> None:
    """Show the latest published snapshot: tables, row counts, validation result."""
    try:
        print_summary(load_settings(data_dir).data_dir)
    except OpengapError as exc:
        fail(exc)


@app.command()
def validate(
    date: Annotated[str | None, typer.Option(help="Snapshot date (default: latest).")] = None,
    data_dir: Annotated[str | None, typer.Option(help="Data directory or URL (s3://…).")] = None,
) -> None:
    """Re-run the Great Expectations suites on a published snapshot's files."""
    from expectations.validate import validate_tables
    from warehouse.layout import Layout
    from warehouse.publish import load_manifest, read_published_table

    try:
        layout = Layout(load_settings(data_dir).data_dir)
        manifest = load_manifest(layout, date)
        tables = {name: read_published_table(layout, info) for name, info in manifest["tables"].items()}
        with tempfile.TemporaryDirectory(prefix="opengap-docs-") as docs:
            report = validate_tables(tables, docs_dir=Path(docs))
            layout.storage.upload_tree(Path(docs), layout.docs(manifest["snapshot_date"]))
        for failure in report.blocking + report.warnings:
            listed = f" ({', '.join(map(str, failure.examples[:5]))}…)" if failure.examples else ""
            console.print(
                f"  {failure.severity} {failure.table}.{failure.column}: {failure.expectation} — {failure.why}{listed}"
            )
        console.print(f"snapshot {manifest['snapshot_date']}: validation {report.summary()}")
        if not report.success:
            raise typer.Exit(1)
    except OpengapError as exc:
        fail(exc)


def entry() -> None:
    """The ``opengap`` command: the Typer app, then a quick exit. Tearing the interpreter down (the modules of
    Great Expectations, pandas and Prefect) took ~2 s after every command; what must happen at exit (Prefect
    stopping its temporary server, log handlers flushing) is registered with atexit and runs here first."""
    code: Any = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
