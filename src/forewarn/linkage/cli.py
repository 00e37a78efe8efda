"""`forewarn link dedupe` and `forewarn link wash` (issue #5 §2): thin commands over linkage.services.

Registered on the main `forewarn` group in forewarn/cli.py. They need no database: the inputs, the engine
and the output are files. Errors follow the house CLI rule: a refused input is one message on stderr
naming file:row:column and exit code 2, with nothing written at --out.
"""

from __future__ import annotations

from pathlib import Path

import click

ENGINE = click.Choice(["duckdb", "spark"])


def _field_map(value: str, option: str) -> dict[str, str]:
    """'given_name=Forename,family_name=Surname' -> {'given_name': 'Forename', ...}; each field once."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, sep, column = part.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise click.BadParameter(f"'{part}' is not FIELD=COLUMN", param_hint=option)
        if name in mapping:
            raise click.BadParameter(f"'{name}' is mapped twice", param_hint=option)
        mapping[name] = column
    if not mapping:
        raise click.BadParameter("map at least one field", param_hint=option)
    return mapping


def _spec(path: str, id_column: str, mapping: str, option: str, date_format: str | None):
    from forewarn.linkage.inputs import InputSpec

    return InputSpec(path=Path(path), id_column=id_column, mapping=_field_map(mapping, option),
                     date_format=date_format)


class _Bars:
    """One tqdm bar per stage, on stderr, shown only on a terminal (tqdm's disable=None)."""

    def __init__(self):
        self.bars: dict = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            is_bytes = stage.startswith("reading")
            bar = self.bars[stage] = tqdm(total=total or None, desc=stage, leave=False, disable=None,
                                          unit="B" if is_bytes else "", unit_scale=is_bytes)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _run(service, **kwargs):
    bars = _Bars()
    try:
        result = service(progress=bars, **kwargs)
    finally:
        bars.close()
    for line in result.warning_lines():
        click.echo(f"warning: {line}", err=True)
    return result


def _common(command):
    """Options shared by both commands."""
    options = [
        click.option("--out", required=True, type=click.Path(dir_okay=False), help="The CSV file to write."),
        click.option("--engine", type=ENGINE, default="duckdb", show_default=True,
                     help="duckdb on one machine; spark for inputs that outgrow it."),
        click.option("--date-format", default=None,
                     help="strptime format of the dates, e.g. %m/%d/%Y (ISO dates are always accepted)."),
        click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None,
                     help="Match probability at or above which records are the same person "
                          "(default: the model's)."),
        click.option("--model", "model_path", type=click.Path(dir_okay=False, exists=True), default=None,
                     help="Reuse a saved model (JSON) instead of training."),
        click.option("--save-model", type=click.Path(dir_okay=False), default=None,
                     help="Save the trained model (versioned JSON) for reuse and real-time matching."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group()
def link() -> None:
    """Identity resolution in batch: cluster one file, or wash records against a workforce."""


@link.command()
@click.argument("input_path", metavar="INPUT.csv", type=click.Path(dir_okay=False))
@click.option("--id", "id_column", required=True, help="The column holding each record's unique id.")
@click.option("--map", "mapping", required=True,
              help="FIELD=COLUMN,… e.g. given_name=Forename,family_name=Surname,birth_year=YOB")
@_common
def dedupe(input_path, id_column, mapping, out, engine, date_format, threshold, model_path, save_model):
    """Cluster the records of one file that belong to the same person."""
    from forewarn.linkage.services import dedupe_run

    result = _run(dedupe_run, source=_spec(input_path, id_column, mapping, "--map", date_format),
                  out=Path(out), engine=engine, threshold=threshold,
                  model_path=Path(model_path) if model_path else None,
                  save_model=Path(save_model) if save_model else None)
    click.echo(f"{Path(out).name}: {result.rows_written:,} records in {result.clusters:,} clusters "
               f"({result.engine}, threshold {result.threshold:g}, fields {', '.join(result.fields)}, "
               f"{'trained' if result.model_trained else 'saved model'}, {result.seconds:.1f} s).")


@link.command()
@click.option("--workforce", required=True, type=click.Path(dir_okay=False), help="The people (CSV).")
@click.option("--workforce-id", required=True, help="The workforce column holding the person id.")
@click.option("--workforce-map", required=True, help="FIELD=COLUMN,… for the workforce file.")
@click.option("--records", required=True, type=click.Path(dir_okay=False), help="The records to link (CSV).")
@click.option("--records-id", required=True, help="The records column holding the record id.")
@click.option("--records-map", required=True, help="FIELD=COLUMN,… for the records file.")
@click.option("--candidates", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Best people written per record.")
@click.option("--timings", is_flag=True, help="Also print the seconds each stage took, on stderr.")
@_common
def wash(workforce, workforce_id, workforce_map, records, records_id, records_map, candidates, timings, out, engine,
         date_format, threshold, model_path, save_model):
    """Link a workforce to external person records; write record_id,person_id,match_probability,evidence."""
    from forewarn.linkage.services import wash_run

    result = _run(wash_run,
                  workforce=_spec(workforce, workforce_id, workforce_map, "--workforce-map", date_format),
                  records=_spec(records, records_id, records_map, "--records-map", date_format),
                  out=Path(out), engine=engine, threshold=threshold, candidates=candidates,
                  model_path=Path(model_path) if model_path else None,
                  save_model=Path(save_model) if save_model else None)
    sent = result.inputs[1].rows
    if timings:
        click.echo(f"timing: {result.timing_line()}", err=True)
    click.echo(f"{Path(out).name}: {result.records_matched:,} of {sent:,} records matched "
               f"({result.rows_written:,} lines; {result.engine}, threshold {result.threshold:g}, "
               f"fields {', '.join(result.fields)}, {result.seconds:.1f} s).")
