"""Builds the running pieces from Settings: knowledge base, schema, core, messengers, adapters and scheduler.

Shared by the sub-commands so that `chat`, `serve` and `jobs` assemble Lorebot the same way.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from bot.config import LorebotConfig, load_config as _load_config
from bot.errors import LorebotError
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.asking.answering import Answer
    from bot.people.audiences import Reader
    from bot.core import Lorebot
    from bot.ports import Messenger, PeopleSource
    from knowledge import Embedder, IngestReport, KnowledgeBase
    from knowledge.llm import Llm
    from knowledge.sources.reports import SyncReport

log = logging.getLogger("lorebot")


def load_config(settings: Settings) -> LorebotConfig:
    return _load_config(settings.config_path)


def make_embedder(settings: Settings) -> "Embedder":
    from knowledge import Embedder

    return Embedder(settings.model, cache_dir=settings.model_cache, runtime=settings.embedding_runtime)


def open_knowledge(settings: Settings, *, embeds: bool = False) -> "KnowledgeBase":
    """The knowledge base of the home; ``embeds`` (the command will embed) loads the model while it opens."""
    from knowledge import KnowledgeBase

    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LorebotError(f"cannot create the data folder {settings.home}: {exc.strerror or exc}; "
                           "choose another with --home or LOREBOT_HOME") from None
    embedder = make_embedder(settings)
    if embeds:
        embedder.load_in_background()
    return KnowledgeBase.open(settings.home, database_url=settings.database_url, embedder=embedder)


def create_schema(engine: "Engine") -> None:
    """Create every table Lorebot uses beside the knowledge base's own: the core's and its extensions' (lessons,
    re-verification), the platforms' contacts and the jobs' claims and outbox. Missing tables only; rows stay.

    Called once by each command before it builds the core, the messengers or the job runner, because those
    constructors no longer create tables: one explicit step instead of four side effects. The knowledge base's
    tables are created by ``KnowledgeBase.open``, the knowledge library's own entry point."""
    from bot import database
    from bot.people import contacts
    from bot.tables import lessons, reverification  # noqa: F401 - registers the extensions' tables
    from adapters.console import transcript
    from jobs.tables import create_tables as create_job_tables

    database.create_tables(engine)
    contacts.create_tables(engine)
    create_job_tables(engine)
    transcript.create_tables(engine)


def make_llm(settings: Settings, config: LorebotConfig) -> "Llm | None":
    """The company's own LLM when lorebot.toml has ``[llm]``, built once per process; a key variable that is not
    set stops the start with one line, as a source's does."""
    if config.llm is None:
        return None
    from knowledge.llm import Llm

    return Llm(config.llm, settings.secret)


def answer_as(config: LorebotConfig, kb: "KnowledgeBase", reader: "Reader", question: str,
              llm: "Llm | None" = None) -> "Answer":
    """What the bot would answer this reader, by the very decision it makes in chat (audiences and the
    champions' rejections included): the admin's check of who sees what."""
    from bot.people import source_audiences
    from bot.asking.flow import decide
    from bot.context import LorebotContext

    create_schema(kb.engine)
    source_audiences.attach(config, kb.engine)
    ctx = LorebotContext(config=config, engine=kb.engine, knowledge=kb, llm=llm)
    with ctx.session() as session:
        _, answer = decide(ctx, session, reader, question)
    return answer


def describe_ingest(report: "IngestReport") -> str:
    lines = [
        f"Ingested {report.documents_seen} documents "
        f"({report.documents_added} new, {report.documents_changed} changed, {report.documents_unchanged} unchanged, "
        f"{report.documents_removed} removed): {report.chunks_added} chunks added, {report.chunks_removed} removed.",
    ]
    if report.skipped:
        lines.append(f"Skipped {len(report.skipped)} file(s):")
        lines.extend(f"  - {skipped.path}: {skipped.reason}" for skipped in report.skipped)
    return "\n".join(lines)


def open_sources(settings: Settings, config: LorebotConfig, names: "list[str] | None" = None) -> dict:
    """The configured sources (or the named ones), opened: a source whose secret's variable is not set stops
    here, with one line naming it. Opening reads no network; the first sync does."""
    chosen = list(config.sources) if names is None else names
    return {name: config.sources[name].open(name, home=settings.home, secrets=settings.secret) for name in chosen}


def close_sources(opened: dict) -> None:
    for source in opened.values():
        source.close()


def describe_sync(report: "SyncReport") -> str:
    """What one source's sync did, in the words ``describe_ingest`` uses for files."""
    if report.busy:
        return f"{report.source}: another process is syncing it right now; nothing done here."
    lines = [f"{report.source}: {report.added} new, {report.changed} changed, {report.unchanged} unchanged, "
             f"{report.removed} removed, {report.failed} failed: {report.chunks_added} chunks added, "
             f"{report.chunks_removed} removed."]
    if report.error:
        lines.append(f"  Could not read the source: {report.error}")
    if report.failures:
        lines.append("  Failed (kept at their last version, retried next sync):")
        lines.extend(f"  - {problem.url or problem.key}: {problem.reason}" for problem in report.failures)
    if report.skipped:
        lines.append("  Skipped:")
        lines.extend(f"  - {problem.url or problem.key}: {problem.reason}" for problem in report.skipped)
    if report.removal_blocked:
        lines.append(f"  Nothing removed: {report.removal_blocked}")
    return "\n".join(lines)


def extensions(config: LorebotConfig) -> list:
    """The core's extensions: lesson capture and re-verification answers."""
    from bot.curation.lesson_capture import LessonsExtension
    from bot.curation.reverify_answers import ReverifyExtension

    return [LessonsExtension(), ReverifyExtension()]


def build_core(settings: Settings, config: LorebotConfig, kb: "KnowledgeBase", messenger: "Messenger", *,
               engine: "Engine | None" = None, people: "PeopleSource | None" = None,
               llm: "Llm | None" = None) -> "Lorebot":
    """``engine``: a trial store (``trial_store``) instead of the knowledge base's database, with nobody's
    identity proven. ``people``: who people are on the platforms (``people_sources``)."""
    from bot.people import source_audiences
    from bot.core import Lorebot

    source_audiences.attach(config, kb.engine)
    return Lorebot(config=config, knowledge=kb, messenger=messenger, extensions=extensions(config),
                   engine=engine, identities_verified=engine is None, people=people,
                   llm=llm if llm is not None else make_llm(settings, config))


def people_sources(messengers: dict) -> "PeopleSource":
    """Names, time zones and teams from each platform served: Slack's users and user groups, the Teams
    conversation roster; the console has none."""
    from bot.people.profiles import PeopleByPlatform

    sources: dict = {}
    if "slack" in messengers:
        from adapters.slack import SlackPeople

        sources["slack"] = SlackPeople(messengers["slack"].client)
    if "teams" in messengers:
        from adapters.teams import TeamsPeople

        sources["teams"] = TeamsPeople(messengers["teams"])
    return PeopleByPlatform(sources)


def recover(core: "Lorebot") -> None:
    """Finish or undo what a crashed process left half done (``bot.recovery.passes``), with one line of counts: the
    start-up pass; ``bot.recovery.recovery_loop`` makes the later ones."""
    from bot.recovery.passes import recover as run_recovery

    report = run_recovery(core.context)
    (log.warning if report.recovered or report.failed else log.info)("%s", report.summary())


def after_ingest(settings: Settings, config: LorebotConfig, kb: "KnowledgeBase", report: "IngestReport") -> None:
    """Verified answers whose source documents changed go back to their champions at the next re-verification."""
    if not report.changed:
        return
    from bot.curation.reverify_answers import flag_changed_sources

    flagged = flag_changed_sources(kb.engine, report.changed)
    if flagged:
        print(f"{flagged} verified answer(s) rely on changed documents; their champions will be asked to re-check.")


def messengers_from_settings(settings: Settings, kb: "KnowledgeBase", *, console_stream=None,
                             engine: "Engine | None" = None, config: LorebotConfig | None = None) -> dict:
    """The platforms this installation has credentials for, each with its messenger (console always, its
    messages kept in ``engine``, the knowledge base's database unless given)."""
    from adapters.console import ConsoleMessenger

    messengers: dict = {"console": ConsoleMessenger(console_stream or sys.stdout, engine or kb.engine)}
    if settings.slack_bot_token:
        from adapters.slack import SlackMessenger, make_web_client

        messengers["slack"] = SlackMessenger(make_web_client(settings.slack_bot_token.get_secret_value(),
                                                             settings.slack_api_url))
    if settings.microsoft_app_id and settings.microsoft_app_password:
        messengers["teams"] = _teams_messenger(settings, kb, allow_anonymous=False, config=config)
    return messengers


def _teams_messenger(settings: Settings, kb: "KnowledgeBase", *, allow_anonymous: bool,
                     engine: "Engine | None" = None, config: LorebotConfig | None = None):
    from adapters.teams import TeamsMessenger, connect_teams

    password = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else None
    connection = connect_teams(app_id=settings.microsoft_app_id, app_password=password,
                               tenant_id=settings.microsoft_app_tenant_id, app_type=settings.microsoft_app_type,
                               allow_anonymous=allow_anonymous)
    return TeamsMessenger(connection, engine or kb.engine, reactions=config.teams_reactions if config else None)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the requested platforms and the scheduler in this process, on one aiohttp application whose event
    loop runs in the main thread, until SIGTERM or Ctrl-C; then finish what is in flight and return 0.
    A platform that cannot start stops the whole process, so it never runs half alive."""
    from adapters.web_server import finish_on_shutdown, new_application, run_until_signalled
    from bot.messengers import MessengerRouter

    if not (args.slack or args.teams or args.jobs_only):
        raise LorebotError("nothing to serve: add --slack, --teams or --jobs-only")
    port = serve_port(args)
    config = load_config(settings)
    jobs = args.jobs_only or not args.no_jobs
    sources = open_sources(settings, config) if jobs else {}  # a source's missing secret stops the start here
    llm = make_llm(settings, config)  # so does the LLM's
    kb = open_knowledge(settings, embeds=True)
    scheduler = None
    try:
        create_schema(kb.engine)
        with trial_store(args.insecure_no_auth) as scratch:
            messengers = messengers_from_settings(settings, kb, engine=scratch, config=config)
            if args.teams:
                messengers["teams"] = _teams_messenger(settings, kb, allow_anonymous=args.insecure_no_auth,
                                                       engine=scratch, config=config)
            if args.slack and "slack" not in messengers:
                raise LorebotError("SLACK_BOT_TOKEN is not set: Lorebot needs it to serve Slack")
            core = build_core(settings, config, kb, MessengerRouter(messengers), engine=scratch,
                              people=people_sources(messengers), llm=llm)
            recover(core)
            scheduler = _serve_core(args, settings, config, core, messengers, port, jobs=jobs, sources=sources)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)  # already stopped after a clean shutdown; this covers a failed start
        close_sources(sources)
        kb.close()
    return 0


@contextlib.contextmanager
def trial_store(insecure: bool) -> "Iterator[Engine | None]":
    """Without authentication anyone who reaches the endpoint can claim to be anyone, so nothing they say may
    outlive the process: the whole process is a trial whose bot tables (questions, curation, contacts, the
    jobs' runs) go to a throwaway SQLite file deleted on exit, and nobody counts as a champion
    (``identities_verified``), so the knowledge base is only read. None when authentication is on."""
    if not insecure:
        yield None
        return
    from knowledge.store import make_engine

    with tempfile.TemporaryDirectory(prefix="lorebot-trial-") as folder:
        engine = make_engine(None, Path(folder))
        try:
            create_schema(engine)
            yield engine
        finally:
            engine.dispose()


def _serve_core(args: argparse.Namespace, settings: Settings, config: LorebotConfig, core: "Lorebot",
                messengers: dict, port: int, *, jobs: bool, sources: dict):
    """Add the platforms' routes, start the recovery loop and the jobs, and serve until signalled; returns the
    scheduler it started. The recovery loop runs whatever the jobs flags say: see ``bot.recovery.recovery_loop``."""
    from adapters.web_server import finish_on_shutdown, new_application, run_until_signalled
    from bot.recovery.recovery_loop import RecoveryLoop

    scheduler = None
    recovery = RecoveryLoop(core.context)
    try:
        web_app = new_application()
        finish_on_shutdown(web_app, recovery.start().stop)
        served: dict[str, str | None] = {}  # platform -> path on the shared port (None: no port needed)
        if args.slack and not args.jobs_only:
            served["Slack"] = _add_slack(web_app, settings, config, core, messengers["slack"])
        if args.teams and not args.jobs_only:
            from adapters.teams import add_teams_routes
            from adapters.teams.app import MESSAGES_PATH

            add_teams_routes(web_app, core=core, messenger=messengers["teams"], tenants=config.msteams.tenants)
            served["Teams"] = MESSAGES_PATH
        if jobs:
            scheduler = _start_jobs(core, sources)
            finish_on_shutdown(web_app, scheduler.shutdown)
        listens = any(path is not None for path in served.values())
        run_until_signalled(web_app, host=serve_host(args), port=port if listens else None,
                            ready=lambda url: print(_ready_line(url, served, scheduler is not None), flush=True))
    except BaseException:
        recovery.stop(timeout=0)
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        raise
    return scheduler


def serve_host(args: argparse.Namespace) -> str:
    """``--host``; without it every interface, except that an endpoint without authentication only listens on
    this machine (anyone who can reach it could speak as anyone)."""
    if args.host:
        return args.host
    return "127.0.0.1" if getattr(args, "insecure_no_auth", False) else "0.0.0.0"


def serve_port(args: argparse.Namespace) -> int:
    """The one port for every platform: ``--port``, or its old Teams-only name ``--teams-port``."""
    from adapters.web_server import DEFAULT_PORT

    given = {value for value in (args.port, args.teams_port) if value is not None}
    if len(given) > 1:
        raise LorebotError("Slack and Teams share one port now: give --port only")
    return given.pop() if given else DEFAULT_PORT


def _ready_line(url: str | None, served: dict[str, str | None], jobs: bool) -> str:
    parts = [f"{name} at {url}{path}" if path else f"{name} in Socket Mode" for name, path in served.items()]
    if jobs:
        parts.append("the scheduler")
    return f"Lorebot is running: {', '.join(parts)} (Ctrl-C or SIGTERM to stop)."


def _start_jobs(core: "Lorebot", sources: dict):
    from jobs import JobRunner, start_scheduler

    return start_scheduler(JobRunner(core, sources=sources))


def _add_slack(web_app, settings: Settings, config: LorebotConfig, core: "Lorebot", messenger) -> str | None:
    """Slack on ``web_app``: HTTP mode (returns its path on the shared port) or Socket Mode (returns None)."""
    from concurrent.futures import ThreadPoolExecutor

    from adapters.slack import add_slack_routes, add_socket_mode, build_app, check_token
    from adapters.slack.http import PATH
    from adapters.slack.workspaces import allowed_workspaces

    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if not settings.slack_app_token and not signing_secret:
        raise LorebotError("set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP) to serve Slack")
    workspaces = allowed_workspaces(config.slack.workspaces, check_token(messenger.client))
    work = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lorebot-slack")
    app = build_app(core=core, client=messenger.client, signing_secret=signing_secret, executor=work,
                    workspaces=workspaces)
    if settings.slack_app_token:
        add_socket_mode(web_app, app, settings.slack_app_token.get_secret_value(), work=work)
        return None
    add_slack_routes(web_app, app, signing_secret, work=work)
    return PATH


def jobs_command(args: argparse.Namespace, settings: Settings) -> int:
    from jobs import JobRunner, format_job_list

    config = load_config(settings)
    sources = open_sources(settings, config)
    kb = open_knowledge(settings, embeds=args.jobs_command == "run" and args.name == "sync")
    try:
        create_schema(kb.engine)
        from bot.people import source_audiences

        source_audiences.attach(config, kb.engine)
        runner = JobRunner(config=config, engine=kb.engine, knowledge=kb, sources=sources,
                           messengers=messengers_from_settings(settings, kb, config=config))
        if args.jobs_command == "list":
            print(format_job_list(runner.list_jobs()))
            return 0
        result = runner.run(args.name, dry_run=args.dry_run)
        print(result.summary())  # a dry run: exactly what would be sent
        return 0
    finally:
        close_sources(sources)
        kb.close()
