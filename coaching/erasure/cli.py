"""``flask retention purge [--dry-run]``: remove what the retention settings say is due."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coaching import clock, db

retention_cli = AppGroup("retention", help="Retention of notes and abandoned intakes.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Print what is due without removing anything.")
def retention_purge(dry_run: bool) -> None:
    """Purge (or, with --dry-run, list) notes and abandoned intakes past their retention period."""
    from coaching.erasure.retention import purge

    report = purge(db.session, clock.now(), dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    verb = "would be removed" if dry_run else "removed"
    click.echo(f"{len(report.items)} item(s) {verb}.", err=True)
