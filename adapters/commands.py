"""What each `lorebot` sub-command does, given parsed arguments and Settings.

Kept apart from cli.py so the parser stays readable; wiring that several commands share lives in wiring.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from adapters import wiring
from bot.errors import LorebotError
from bot.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    handler = {
        "ingest": _ingest,
        "ask": _ask,
        "eval": _eval,
        "rebuild-index": _rebuild_index,
        "chat": _chat,
        "serve": _serve,
        "jobs": _jobs,
        "teams-package": _teams_package,
    }[args.command]
    return handler(args, settings)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        raise LorebotError(f"no such file or folder: {', '.join(missing)}")
    config = wiring.load_config(settings)
    kb = wiring.open_knowledge(settings)
    try:
        report = kb.ingest(args.paths, collection=args.collection, progress=not args.no_progress)
        print(wiring.describe_ingest(report))
        wiring.after_ingest(settings, config, kb, report)
    finally:
        kb.close()
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    question = args.question.strip()
    if not question:
        raise LorebotError("the question is empty: try lorebot ask \"How many days of leave do I get?\"")
    config = wiring.load_config(settings)
    kb = wiring.open_knowledge(settings)
    try:
        from bot.answering import answer_from_hits

        hits = kb.search(question, k=10, collections=args.collections)
        answer = answer_from_hits(question, hits, config.answers)
    finally:
        kb.close()
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.to_text())
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.evaluation import evaluate, format_report

    for path in (args.corpus, args.queries):
        if not path.is_file():
            raise LorebotError(f"no such file: {path}")
    config = wiring.load_config(settings)
    metrics = evaluate(
        args.corpus,
        args.queries,
        mode=args.mode,
        embedder=wiring.make_embedder(settings),
        answer_threshold=config.answers.answer_threshold,
        progress=not args.json and sys.stderr.isatty(),
    )
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        print(format_report(metrics, mode=args.mode))
    return 0


def _rebuild_index(args: argparse.Namespace, settings: Settings) -> int:
    kb = wiring.open_knowledge(settings)
    try:
        kb.rebuild_index()
        stats = kb.stats()
    finally:
        kb.close()
    print(f"Rebuilt the indexes: {stats.get('chunks', 0)} chunks, {stats.get('entries', 0)} verified answers.")
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console import ConsoleMessenger, run_console

    config = wiring.load_config(settings)
    kb = wiring.open_knowledge(settings)
    try:
        messenger = ConsoleMessenger(sys.stdout)
        core = wiring.build_core(settings, config, kb, messenger)
        run_console(core, sys.stdin, sys.stdout, user=args.user)
    finally:
        kb.close()
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    return wiring.serve(args, settings)


def _jobs(args: argparse.Namespace, settings: Settings) -> int:
    return wiring.jobs_command(args, settings)


def _teams_package(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.teams.package import build_teams_package

    app_id = args.app_id or settings.microsoft_app_id
    if not app_id:
        raise LorebotError("no app id: pass --app-id or set MicrosoftAppId")
    path = build_teams_package(app_id, Path(args.output))
    print(f"Wrote {path}: upload it in Teams under Apps > Manage your apps > Upload an app.")
    return 0
