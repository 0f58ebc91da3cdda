"""`moneytrail demo`: a small world through every stage, a case opened, the API served."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from moneytrail._cli import WorkspaceOption, engine_of, err, out, workspace_of
from moneytrail._demo import (
    DEMO_AGENCY,
    DemoCase,
    DemoStages,
    StageSummary,
    duckdb_stages,
    open_demo_case,
    run_pipeline,
)
from moneytrail._ingest_command import ingest_with_progress, print_reports, readable
from moneytrail.api import commands as api_commands
from moneytrail.ingest import commands as ingest_commands
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the demo's input files are written.")
    ] = Path("moneytrail-demo"),
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards until Ctrl-C.")
    ] = True,
    workspace: WorkspaceOption = None,
) -> None:
    """Run the demo: generate a small world, run every stage, open a case, serve the API."""
    ws = workspace_of(ctx, workspace or out_dir / "workspace")
    engine = engine_of(ctx, ws).name
    on_spark = engine == "spark"
    out.print(f"[bold]moneytrail demo[/] - world in {out_dir / 'world'}, workspace {ws.root}")
    with err.status("generating a synthetic world", spinner="dots"):
        report = generate(out_dir / "world", seed=7, transactions=20_000)
    out.print(
        f"{report.transactions:,} transactions, {report.cases} planted cases (truth in world/truth/)"
    )
    loadable = [f for f in report.files if "truth" not in f.parts and readable(f)]
    if on_spark:
        stages, demo_case = _on_spark(ws, loadable, out_dir / "world")
    else:
        with Warehouse(ws) as wh:
            reports = [ingest_with_progress(wh, f, "auto") for f in loadable]
            print_reports(reports)
            ingest_commands.print_warnings(reports)
            stages, demo_case = _pipeline(ws, duckdb_stages(wh), out_dir / "world")
    table = Table(title="Pipeline")
    for col in ("stage", "result", "see it with"):
        table.add_column(col, overflow="fold")
    for st in stages:
        table.add_row(st.stage, st.summary, st.command)
    out.print(table)
    out.print(f"Workspace: {ws.root} (use --workspace {ws.root} with any command)")
    if demo_case is not None:
        _print_demo_case(ws, demo_case, serve=serve)
    if serve:
        api_commands.run_server(ws, "127.0.0.1", 8000, engine)


def _pipeline(
    ws: Workspace, stages: DemoStages, world: Path
) -> tuple[list[StageSummary], DemoCase | None]:
    try:
        with err.status("running the pipeline", spinner="dots") as spinner:
            done = run_pipeline(stages, world, spinner.update)
        return done, open_demo_case(ws, stages.connection())
    finally:
        stages.close()


def _on_spark(
    ws: Workspace, files: list[Path], world: Path
) -> tuple[list[StageSummary], DemoCase | None]:
    """The demo's files loaded into the Spark warehouse, then its stages there."""
    from moneytrail.ingest import IngestOptions  # noqa: PLC0415
    from moneytrail.spark._demo import spark_stages  # noqa: PLC0415 - pyspark is an extra
    from moneytrail.spark._ingest import ingest_file_on_spark  # noqa: PLC0415
    from moneytrail.spark._session import spark_session  # noqa: PLC0415
    from moneytrail.spark._warehouse import SparkWarehouse  # noqa: PLC0415

    _keep_to_spark(ws)
    with err.status("starting Spark", spinner="dots"):
        wh = SparkWarehouse(ws, spark_session(ws))
    reports = []
    with err.status("loading", spinner="dots") as spinner:
        for f in files:
            spinner.update(f"loading {f.name} on Spark")
            reports.append(ingest_file_on_spark(wh, f, "auto", IngestOptions()))
    print_reports(reports)
    ingest_commands.print_warnings(reports)
    return _pipeline(ws, spark_stages(wh), world)


def _keep_to_spark(ws: Workspace) -> None:
    """`engine = "spark"` in the demo workspace's config.toml, unless it names an engine:
    the commands the demo prints then run on the warehouse it filled."""
    ws.ensure()
    if "engine" in ws.config():
        return
    text = ws.config_path.read_text(encoding="utf-8")
    top, sep, rest = text.partition("\n[")  # a top-level key goes before the first table
    ws.config_path.write_text(f'{top.rstrip()}\nengine = "spark"\n{sep.lstrip()}{rest}', "utf-8")


def _print_demo_case(ws: Workspace, case: DemoCase, *, serve: bool) -> None:
    where = f"--workspace {ws.root}"
    out.print(
        f"Case {case.case_id} opened on alert {case.alert_id}; sign in as "
        f"[bold]{case.username}[/] with password [bold]{case.password}[/] "
        f"(API: POST /auth/token; CLI: moneytrail login {case.username} {where}, or --as "
        f"{case.username} per command, password from $MONEYTRAIL_PASSWORD or a prompt)",
        highlight=False,
    )
    out.print(
        f"FTI-derived rows (W-2/941) are withheld until you sign in and name a case whose legal "
        f"basis covers FTI, e.g. moneytrail alerts --case {case.case_id} {where}",
        highlight=False,
    )
    out.print(
        f"Admin (adds agencies and users): [bold]{case.admin}[/] with password "
        f"[bold]{case.admin_password}[/], e.g. moneytrail user add NAME --agency "
        f"'{DEMO_AGENCY}' --role analyst --as {case.admin} {where}",
        highlight=False,
    )
    if case.reveal_ref is not None:
        out.print(
            f"The case records a demo seizure warrant naming {case.username}; reveal an account "
            f"of the alert (audited): moneytrail reveal --case {case.case_id} --account "
            f"{case.reveal_ref} --purpose 'seizure warrant DEMO-SW-{case.case_id}' "
            f"--as {case.username} {where}",
            highlight=False,
        )
    out.print(
        f"Its case report: moneytrail {where} export pdf --case {case.case_id} "
        f"--as {case.username} --out case-{case.case_id}.pdf",
        highlight=False,
    )
    if serve:
        out.print(
            f"Workbench: open http://127.0.0.1:8000/w/case?id={case.case_id} in a browser "
            "and sign in as above",
            highlight=False,
        )
