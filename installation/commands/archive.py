"""`dreamdraw archive`: serve the curator web app, add curators, check and export the archive."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from dreamdraw.installation.commands.params import OutputDir, positive
from dreamdraw.installation.context import AppContext, pass_app

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from dreamdraw.archive import Archive, RecordFilter

__all__ = ["COMMANDS"]


@contextmanager
def _open(app: AppContext) -> Iterator[Archive]:
    """The venue's archive; any database failure inside becomes one line (ArchiveError)."""
    # Imported here: SQLAlchemy and FastAPI load only for archive commands.
    from dreamdraw.archive import open_archive

    with (
        open_archive(app.data_dir, settings=app.config.archive) as archive,
        archive.database_errors(),
    ):
        yield archive


def _filter_options(func: Callable) -> Callable:
    options = [
        click.option("--cluster", help="Automatic cluster id (clear_concept, text_as_image, ...)."),
        click.option("--label", help="Curator label (a cluster id)."),
        click.option("--venue", help="Venue name."),
        click.option("--language", help="Language code of the dream, e.g. de."),
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC)."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC)."),
        click.option("--search", help="Words of the dream (full-text search)."),
        click.option("--include-hidden", is_flag=True, help="Also records hidden by curators."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _record_filter(**kw: Any) -> RecordFilter:
    # The same vocabulary as a study file's [dreams] query.
    from dreamdraw.installation.archive_query import record_filter

    return record_filter(**kw)


@click.group("archive")
def archive_group() -> None:
    """The archive of dream-drawing pairs: web app, curators, integrity check, export."""


@archive_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port (0: any free port).",
)
@click.option("--public", is_flag=True, help="Read-only: no login, hidden records never shown.")
@pass_app
def serve(app: AppContext, host: str, port: int, public: bool) -> None:
    """Serve the curator web app (gallery, detail pages, curator actions, /api, /docs)."""
    import uvicorn
    from dreamdraw.archive import create_app
    from dreamdraw.archive.web import load_or_create_secret

    listener = _listen(host, port)  # before anything is announced: a busy port is one line
    secret = app.config.archive.session_secret or load_or_create_secret(
        app.data_dir / "session.key"
    )
    with listener, _open(app) as archive:
        web_app = create_app(archive, public=public, secret=secret)
        mode = "public, read-only" if public else "curator"
        bound_host, bound_port = listener.getsockname()[:2]
        click.echo(f"archive at http://{bound_host}:{bound_port}/ ({mode})")
        server = uvicorn.Server(uvicorn.Config(web_app, host=host, port=bound_port))
        server.run(sockets=[listener])


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; a one-line error when it cannot be had."""
    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise click.BadParameter(f"{host!r} is not an address here ({exc.strerror})") from None
    listener = socket.socket(address[0], socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address[4])
    except OSError as exc:
        listener.close()
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port"
        ) from None
    listener.listen(128)
    return listener


@archive_group.command("add-curator")
@click.argument("name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="DREAMDRAW_CURATOR_PASSWORD",
    help="The password (asked when not given; or $DREAMDRAW_CURATOR_PASSWORD).",
)
@pass_app
def add_curator(app: AppContext, name: str, password: str) -> None:
    """Create curator NAME (or give NAME a new password); stored as an argon2 hash."""
    with _open(app) as archive:
        archive.add_curator(name, password)
    click.echo(f"curator {name} can log in")


@archive_group.command("remove-curator")
@click.argument("name")
@pass_app
def remove_curator(app: AppContext, name: str) -> None:
    """Delete curator NAME; every session NAME has open ends at once."""
    with _open(app) as archive:
        ended = archive.remove_curator(name, actor="cli")
    click.echo(f"removed curator {name} ({ended} session{'' if ended == 1 else 's'} ended)")


@archive_group.command("list-curators")
@pass_app
def list_curators(app: AppContext) -> None:
    """List curators: name, since when, open sessions."""
    with _open(app) as archive:
        found = archive.list_curators()
    for curator in found:
        click.echo(
            f"{curator.name}\tsince {curator.created_at:%Y-%m-%d %H:%M} UTC\t"
            f"{curator.sessions} session{'' if curator.sessions == 1 else 's'}"
        )


@archive_group.command("check")
@click.option("--repair", is_flag=True, help="Move orphaned blobs and stale temp files aside.")
@click.option("--no-hashes", is_flag=True, help="Skip re-hashing every blob (faster).")
@pass_app
def check(app: AppContext, repair: bool, no_hashes: bool) -> None:
    """Report orphaned, missing and corrupt blobs and half-written records; exit 1 if any."""
    from dreamdraw.archive import check_archive

    with _open(app) as archive:
        report = check_archive(archive, repair=repair, verify_hashes=not no_hashes)
    click.echo(report.summary())
    if report.unresolved:
        raise SystemExit(1)


@archive_group.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet", "imagefolder"]),
    required=True,
    help="csv, jsonl, parquet, or imagefolder (images + metadata.jsonl).",
)
@click.option("--out", type=OutputDir(), required=True, help="Folder.")
@click.option("--with-images", is_flag=True, help="Also write PNG and SVG files under images/.")
@_filter_options
@pass_app
def export(app: AppContext, fmt: str, out: Path, with_images: bool, **filters: object) -> None:
    """Export the pairs visitors allowed for research, with DATASHEET.md, into folder OUT."""
    from dreamdraw.archive import export_records, research_filter
    from dreamdraw.installation.analysis_stage import kmeans_check

    chosen = _record_filter(**filters)
    with _open(app) as archive:
        result = export_records(archive, fmt, out, filter=chosen, with_images=with_images)
        click.echo(f"exported {result.count} records to {out}")
        report = kmeans_check(archive, research_filter(chosen), out)
    if report is None:
        click.echo("k-means check skipped: fewer than 4 analysed records")
    else:
        click.echo(
            f"k-means check (k=4) on {report['n']} analysed records: adjusted Rand index "
            f"{report['adjusted_rand_index']:.2f} against the rule clusters, in {out / 'kmeans.json'}"
        )


@archive_group.command("list")
@_filter_options
@click.option("--page", default=1, show_default=True, type=positive(), help="Page, newest first.")
@click.option(
    "--per-page", default=20, show_default=True, type=positive(), help="Records per page."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON record per line.")
@pass_app
def list_records(
    app: AppContext, page: int, per_page: int, as_json: bool, **filters: object
) -> None:
    """List records, newest first: id, time, venue, language, cluster, label, dream."""
    with _open(app) as archive:
        result = archive.list(_record_filter(**filters), page=page, per_page=per_page)
    for record in result.records:
        if as_json:
            click.echo(record.to_json())
            continue
        dream = " ".join(record.dream.split())
        click.echo(
            f"{record.id}\t{record.created_at:%Y-%m-%d %H:%M}\t{record.venue}\t"
            f"{record.language or '-'}\t{record.cluster or '-'}\t{record.label or '-'}\t"
            f"{dream[:60]!r}"
        )
    if not as_json:
        click.echo(f"page {result.page} of {result.pages}, {result.total} records", err=True)


COMMANDS: list[click.Command] = [archive_group]
