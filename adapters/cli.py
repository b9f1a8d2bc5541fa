"""The `lorebot` command: the composition root.

It is the only place that reads the environment: it builds Settings and the lorebot.toml config once, then
wires the knowledge base, the core, the chat adapters and the scheduler. Every LorebotError (and knowledge
error) becomes one line on stderr and exit code 2; no traceback for a user mistake.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from pydantic import ValidationError

from bot.errors import LorebotError
from jobs.registry import RUNNABLE
from bot.settings import Settings

log = logging.getLogger("lorebot")

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lorebot",
        description="Answers your team's questions from your documents, and learns from your champions.",
        epilog="Environment: LOREBOT_HOME, LOREBOT_DATABASE_URL, LOREBOT_CONFIG, LOREBOT_MODEL, LOREBOT_MODEL_CACHE, "
        "LOREBOT_EMBEDDING_RUNTIME, SLACK_BOT_TOKEN, "
        "SLACK_APP_TOKEN, SLACK_SIGNING_SECRET, LOREBOT_SLACK_API_URL, MicrosoftAppId, MicrosoftAppPassword, "
        "MicrosoftAppTenantId, MicrosoftAppType. Exit codes: 0 done; 1 nothing could be done (the message says "
        "why); 2 a mistake to fix (one line says which).",
    )
    parser.add_argument("--home", type=Path, help="data folder (database, index); default $LOREBOT_HOME or ./.lorebot")
    parser.add_argument("--config", type=Path, help="lorebot.toml; default $LOREBOT_CONFIG")
    parser.add_argument("--database-url", help="database URL; default $LOREBOT_DATABASE_URL or SQLite in the home")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="add or refresh documents (Markdown, text, HTML, PDF, DOCX)")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    ingest.add_argument("--collection", help="collection name; default: the folder's name")
    ingest.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    sources = commands.add_parser("sources", help="each source in lorebot.toml: documents, last sync, errors, next run")
    sources.add_argument("--json", action="store_true", help="print JSON instead of text")

    sync = commands.add_parser("sync", help="sync sources now (all, or the named ones) from where documents live")
    sync.add_argument("names", nargs="*", metavar="NAME", help="a source's name in lorebot.toml (default: all)")
    sync.add_argument("--full", action="store_true",
                      help="list and read everything again (unchanged documents are still not embedded)")
    sync.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sync.add_argument("--json", action="store_true", help="print JSON instead of text")

    ask = commands.add_parser("ask", help="answer one question from the knowledge base")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print JSON instead of text")
    ask.add_argument("--collection", action="append", dest="collections", help="search only here (repeatable)")
    ask.add_argument("--as", dest="as_handle", metavar="HANDLE",
                     help="answer as this person from lorebot.toml would get it in a direct message")
    ask.add_argument("--channel", metavar="PLATFORM:ID",
                     help="answer as this channel would get it, e.g. slack:C0FIN (restricted collections apply)")

    evaluate = commands.add_parser("eval", help="measure retrieval and answer quality on a BEIR-style corpus and queries")
    evaluate.add_argument("--corpus", type=Path, required=True, help='JSONL of {"id","title","text"[,"collection"]}')
    evaluate.add_argument("--queries", type=Path, required=True, help='JSONL of {"id","text","relevant"[,"collection"]}')
    evaluate.add_argument("--paraphrases", type=Path, metavar="FILE",
                          help='JSONL of {"a","b"[,"answer"]}: verify a, ask b; reports verified_paraphrase_rate')
    evaluate.add_argument("--near-misses", type=Path, metavar="FILE",
                          help='JSONL of {"a","c"[,"answer"]}: verify a, ask c; reports verified_false_match_rate')
    evaluate.add_argument("--feedback-replay", action="store_true",
                          help="with --paraphrases (and --near-misses): ask b, give a's feedback, ask b again; "
                               "reports replay_right_before/after and replay_near_miss_changed")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of text")
    evaluate.add_argument("--llm", action="store_true",
                          help="let the [llm] of lorebot.toml write the answers; reports citation_kept_rate, "
                               "fallback_rate, llm_p50_ms/llm_p95_ms")
    mode = evaluate.add_mutually_exclusive_group()
    mode.add_argument("--dense-only", dest="mode", action="store_const", const="dense", help="semantic search only")
    mode.add_argument("--keyword-only", dest="mode", action="store_const", const="keyword", help="BM25 only")
    evaluate.set_defaults(mode="hybrid")

    docs = commands.add_parser("docs", help="list the ingested documents, or remove some")
    docs_commands = docs.add_subparsers(dest="docs_command", required=True, metavar="DOCS_COMMAND")
    docs_list = docs_commands.add_parser("list", help="each document: path, title, collection, chunks, when ingested")
    docs_list.add_argument("--collection", help="only this collection")
    docs_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    docs_remove = docs_commands.add_parser("remove", help="remove documents and their passages from the search")
    removed = docs_remove.add_mutually_exclusive_group(required=True)
    removed.add_argument("path", nargs="?", metavar="PATH", help="a document, or a folder: every document under it")
    removed.add_argument("--collection", help="every document of this collection")

    stats = commands.add_parser("stats", help="documents, chunks, verified answers, questions this week, sources")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")

    commands.add_parser("rebuild-index", help="rebuild the search indexes from the database")

    feedback = commands.add_parser("feedback", help="list what people's Helpful / Not helpful taught, or remove one")
    feedback.add_argument("--remove", type=int, metavar="ID", help="forget the learned preference with this id")
    feedback.add_argument("--json", action="store_true", help="print JSON instead of text")

    aliases = commands.add_parser("aliases", help="list the wordings verified answers learned, or remove one")
    aliases.add_argument("--remove", type=int, metavar="ID", help="forget the learned wording with this id")

    chat = commands.add_parser("chat", help="chat with Lorebot in this terminal (no chat platform needed)")
    chat.add_argument("--as", dest="user", default="you", help="who you are at the start (default: you)")

    serve = commands.add_parser("serve", help="run the chat adapters and the scheduler")
    serve.add_argument("--slack", action="store_true", help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP)")
    serve.add_argument("--teams", action="store_true", help="serve Microsoft Teams at /api/messages")
    serve.add_argument("--jobs-only", action="store_true", help="run only the scheduler")
    serve.add_argument("--no-jobs", action="store_true", help="do not run the scheduler beside the adapters")
    serve.add_argument("--host", default=None,
                       help="address to listen on (default 0.0.0.0, every interface; 127.0.0.1 with --insecure-no-auth)")
    serve.add_argument("--port", type=int, help="the one HTTP port for Slack (/slack/events), Teams (/api/messages) "
                       "and /healthz (default 3000)")
    serve.add_argument("--teams-port", type=int, metavar="PORT", help="old name of --port, from when Teams had a "
                       "port of its own")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="local development only: accept unauthenticated Teams requests; the process keeps nothing after "
             "exit and nobody curates",
    )

    jobs = commands.add_parser("jobs", help="list or run the scheduled jobs")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="JOBS_COMMAND")
    job_commands.add_parser("list", help="each job and its next run")
    run = job_commands.add_parser("run", help="run one job now (sync: every source; the others once a day by hand; "
                                  "the schedule is unaffected)")
    run.add_argument("name", choices=RUNNABLE)
    run.add_argument("--dry-run", action="store_true", help="print exactly what would be sent; send nothing")

    package = commands.add_parser("teams-package", help="build the Teams app package (zip) for sideloading")
    package.add_argument("--app-id", help="the bot's Microsoft App ID; default $MicrosoftAppId")
    package.add_argument("--output", type=Path, default=Path("lorebot-teams.zip"), help="zip file to write")
    package.add_argument("--privacy-url", default=None, metavar="URL",
                         help="your privacy statement (https); default: the README's Security and privacy section")
    package.add_argument("--terms-url", default=None, metavar="URL",
                         help="your terms of use (https); default: Lorebot's MIT licence")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lorebot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from knowledge.errors import KnowledgeError

    try:
        settings = _settings(args)
        from adapters import commands

        return commands.run(args, settings)
    except (LorebotError, KnowledgeError) as exc:
        print(f"lorebot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        key: value
        for key, value in {"home": args.home, "config_path": args.config, "database_url": args.database_url}.items()
        if value is not None
    }
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        bad = exc.errors()[0]
        key = ".".join(str(part) for part in bad["loc"]) or "settings"
        raise LorebotError(f"invalid setting {key}: {bad['msg']}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
