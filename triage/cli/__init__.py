"""The ``triage`` command line."""

from __future__ import annotations

import typer

from triage.cli import (
    admin,
    eval_llm,
    eval_second_opinion,
    eval_trained,
    evaluate,
    figures,
    ingest,
    model_versions,
    models,
    priority,
    server,
    train,
    users,
)

app = typer.Typer(
    name="triage",
    help="Posteingang-Triage: triage of incoming citizen mail.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
server.register(app)
ingest.register(app)
admin.register(app)
models.register(app)
evaluate.register(app)
train.register(app)
eval_trained.register(app)
model_versions.register(app)
eval_llm.register(app)
eval_second_opinion.register(app)
priority.register(app)
users.register(app)
figures.register(app)


def main() -> None:
    app()
