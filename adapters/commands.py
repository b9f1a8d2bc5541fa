"""What each `lorebot` sub-command does, given parsed arguments and Settings.

Kept apart from cli.py so the parser stays readable; wiring that several commands share lives in wiring.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from adapters import wiring
from bot.errors import LorebotError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.people.audiences import Reader
    from bot.config import LorebotConfig
    from knowledge import KnowledgeBase
    from knowledge.answer_evaluation import GeneratedAnswers
    from knowledge.llm import Llm


EXIT_FAILED = 1  # the command ran but could not do what was asked (mistakes in the command line exit 2)


def run(args: argparse.Namespace, settings: Settings) -> int:
    handler = {
        "ingest": _ingest,
        "sources": _sources,
        "sync": _sync,
        "ask": _ask,
        "eval": _eval,
        "rebuild-index": _rebuild_index,
        "docs": _docs,
        "stats": _stats,
        "aliases": _aliases,
        "feedback": _feedback,
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
    if report.nothing_readable:
        print("lorebot: nothing was ingested: none of the files could be read (see above).", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every source was read (documents that failed are listed), 1 when one could not be read."""
    from bot.source_sync import chosen_sources, sync_sources

    config = wiring.load_config(settings)
    names = chosen_sources(config, args.names)
    if not names:
        print("lorebot: no sources yet: add a [sources.NAME] section to lorebot.toml (README, \"Sources\").",
              file=sys.stderr)
        return EXIT_FAILED
    opened = wiring.open_sources(settings, config, names)
    kb = wiring.open_knowledge(settings, embeds=True)
    try:
        wiring.create_schema(kb.engine)
        flagged = []
        reports = sync_sources(kb, config, opened, full=args.full,
                               progress=not args.no_progress and not args.json and sys.stderr.isatty(),
                               flagged=flagged.append)
    finally:
        wiring.close_sources(opened)
        kb.close()
    if args.json:
        print(json.dumps([report.to_json() for report in reports], indent=2, ensure_ascii=False))
    else:
        print("\n".join(wiring.describe_sync(report) for report in reports))
        if flagged:
            print(f"{sum(flagged)} verified answer(s) rely on changed documents; their champions will be asked "
                  "to re-check.")
    return 0 if all(report.ok for report in reports) else EXIT_FAILED


def _sources(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.sources.status import source_health

    config = wiring.load_config(settings)
    kb = wiring.open_knowledge(settings)
    try:
        health = source_health(kb.engine, list(config.sources))
    finally:
        kb.close()
    now = datetime.now(timezone.utc)
    rows = [_source_row(config, item, now) for item in health]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print("No sources yet: add a [sources.NAME] section to lorebot.toml (see the README, \"Sources\").")
    else:
        print("\n\n".join(_source_text(row, config) for row in rows))
    return 0


def _source_row(config: "LorebotConfig", health, now: datetime) -> dict:
    from jobs.periods import next_fire, trigger_for

    options = config.sources[health.name]
    fire = next_fire(trigger_for(options.schedule, config.tz, job=f"sources.{health.name}"), now)
    when = lambda moment: moment.isoformat() if moment else None  # noqa: E731
    return {"source": health.name, "type": options.type, "collection": options.collection_for(health.name),
            "documents": health.documents, "last_success": when(health.last_success), "last_run": when(health.last_run),
            "last_error": health.last_error, "removal_blocked": health.last_counts.get("removal_blocked"),
            "failed": len(health.failures), "failures": [problem.to_json() for problem in health.failures],
            "schedule": options.schedule, "next_run": when(fire.astimezone(config.tz) if fire else None),
            "readers": _readers(options, health)}


def _readers(options, health) -> dict | None:
    """Who the source says may read it (``visible_to_from_source``): counts and group names, never a secret."""
    if not options.visible_to_from_source:
        return None
    audience = health.audience
    return {"known": health.audience_known, "anyone": bool(audience and audience.anyone),
            "people": len(audience.emails) if audience else 0, "groups": sorted(audience.groups) if audience else []}


def _source_text(row: dict, config: "LorebotConfig") -> str:
    def local(stamp: str | None) -> str:
        return datetime.fromisoformat(stamp).astimezone(config.tz).strftime("%a %Y-%m-%d %H:%M") if stamp else "never"

    lines = [f"{row['source']} ({row['type']}, collection {row['collection']}): {row['documents']} document(s)",
             f"  last synced: {local(row['last_success'])}; next run: {local(row['next_run'])} ({row['schedule']})"]
    readers = row["readers"]
    if readers is not None:
        if readers["known"] is None:
            lines.append("  readers: from the source, once it has synced")
        elif not readers["known"]:
            lines.append("  readers: the source cannot tell who may read it; visible_to in lorebot.toml applies")
        elif readers["anyone"]:
            lines.append("  readers: everyone (the source shares it with everyone)")
        else:
            groups = f", and groups Lorebot cannot list: {', '.join(readers['groups'])}" if readers["groups"] else ""
            lines.append(f"  readers: the {readers['people']} people the source names{groups}")
    if row["last_error"]:
        lines.append(f"  last sync failed: {row['last_error']}")
    if row["removal_blocked"]:
        lines.append(f"  nothing removed last time: {row['removal_blocked']}")
    if row["failures"]:
        lines.append(f"  {row['failed']} document(s) failed and will be retried:")
        lines.extend(f"  - {problem['url'] or problem['key']}: {problem['reason']}" for problem in row["failures"][:10])
        if row["failed"] > 10:
            lines.append(f"  … and {row['failed'] - 10} more (lorebot sources --json lists them all)")
    return "\n".join(lines)


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    question = args.question.strip()
    if not question:
        raise LorebotError("the question is empty: try lorebot ask \"How many days of leave do I get?\"")
    config = wiring.load_config(settings)
    reader = _reader(args, config)
    llm = wiring.make_llm(settings, config)
    kb = wiring.open_knowledge(settings, embeds=True)
    try:
        if not kb.collections():
            print("lorebot: the knowledge base is empty: add documents first with lorebot ingest PATH",
                  file=sys.stderr)
            return EXIT_FAILED
        _require_collections(kb, args.collections or ())
        if reader is None:
            from bot.asking.answering import answer_from_hits
            from bot.asking.generating import refine

            hits = kb.search(question, k=10, collections=args.collections)
            answer = refine(llm, question, hits, answer_from_hits(question, hits, config.answers, config.collections),
                            config.answers, config.collections)
        else:
            answer = wiring.answer_as(config, kb, reader, question, llm)
    finally:
        kb.close()
    if args.json:
        shown = answer.to_json()
        if reader is not None:
            shown["reader"] = {"as": reader.handle, "channel": f"{reader.platform}:{reader.channel}"
                               if reader.channel else None}
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        if reader is not None:
            print(_reader_line(config, reader))
        from bot.messages import answer_text

        print(answer_text(answer, datetime.now(timezone.utc)))
    return 0


def _reader(args: argparse.Namespace, config: "LorebotConfig") -> "Reader | None":
    """Who ``ask --as/--channel`` answers as; None for the admin's own view of everything."""
    from bot.people.audiences import Reader
    from bot.config import PLATFORMS

    if args.as_handle is None and args.channel is None:
        return None
    if args.collections:
        raise LorebotError("--collection cannot be used with --as or --channel: they decide what is searched")
    if args.as_handle is not None and args.as_handle not in config.people:
        known = ", ".join(sorted(config.people)) or "nobody: add people to lorebot.toml"
        raise LorebotError(f"--as {args.as_handle}: no such person in the config (known: {known})")
    if args.channel is None:
        return Reader.of_handle(args.as_handle)
    platform, _, channel = args.channel.partition(":")
    if platform not in PLATFORMS or not channel:
        raise LorebotError(f"--channel {args.channel}: use PLATFORM:ID, e.g. slack:C0FIN "
                           f"(PLATFORM one of {', '.join(PLATFORMS)})")
    return Reader.in_channel(platform, channel)


def _reader_line(config: "LorebotConfig", reader: "Reader") -> str:
    if reader.channel is not None:
        return f"As asked in {reader.platform}:{reader.channel} (everyone there reads the answer):\n"
    return f"As {config.people[reader.handle].name} would get it in a direct message:\n"


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.evaluation import evaluate, format_report

    for path in (args.corpus, args.queries, args.paraphrases, args.near_misses):
        if path is not None and not path.is_file():
            raise LorebotError(f"no such file: {path}")
    config = wiring.load_config(settings)
    llm = _eval_llm(config, settings) if args.llm else None
    pairs = {name: _read_pairs(path, second) for name, path, second in (
        ("verified_paraphrase_rate", args.paraphrases, "b"), ("verified_false_match_rate", args.near_misses, "c"))
        if path is not None}
    if args.feedback_replay and args.paraphrases is None:
        raise LorebotError("--feedback-replay needs --paraphrases FILE (and takes --near-misses FILE too)")
    rounds = _replay_rounds(args) if args.feedback_replay else None
    metrics = evaluate(
        args.corpus,
        args.queries,
        mode=args.mode,
        embedder=wiring.make_embedder(settings),
        answer_threshold=config.answers.answer_threshold,
        progress=not args.json and sys.stderr.isatty(),
        also=(lambda kb: _reuse_rates(kb, config, pairs, llm, rounds)) if pairs else None,
        generated=_generated_answers(llm) if llm is not None else None,
    )
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        print(format_report(metrics, mode=args.mode))
    return 0


def _eval_llm(config: "LorebotConfig", settings: Settings) -> "Llm":
    """The configured LLM for ``eval --llm``; without an ``[llm]`` section there is nothing to measure."""
    from knowledge.llm import Llm

    if config.llm is None:
        raise LorebotError(f"eval --llm needs an [llm] section in {settings.config_path or 'lorebot.toml'}")
    return Llm(config.llm, settings.secret)


def _generated_answers(llm: "Llm") -> "GeneratedAnswers":
    from knowledge.answer_evaluation import GeneratedAnswers

    return GeneratedAnswers(llm)


def _read_pairs(path: Path, second: str) -> list:
    from bot.curation.reuse_evaluation import Pair
    from knowledge.evaluation import read_jsonl

    return [Pair(row["a"], row[second], row["answer"] if isinstance(row.get("answer"), str) and row["answer"].strip()
                 else Pair.answer)
            for row in read_jsonl(path, {"a": str, second: str})]


def _replay_rounds(args: argparse.Namespace) -> dict:
    """``--feedback-replay``'s rounds: each pair whose ``a`` is one of the queries, with ``a``'s relevant
    documents as the evaluation's knowledge base names them."""
    from bot.curation.feedback_replay import Round
    from knowledge.evaluation import CORPUS_PREFIX, read_jsonl, read_queries

    relevant = {" ".join(query.text.split()): query.relevant for query in read_queries(args.queries)}

    def rounds(path: Path, second: str) -> list:
        found = []
        for row in read_jsonl(path, {"a": str, second: str}):
            documents = relevant.get(" ".join(row["a"].split()))
            if documents:
                found.append(Round(row["a"], row[second], frozenset(CORPUS_PREFIX + doc for doc in documents)))
        return found

    return {"paraphrases": rounds(args.paraphrases, "b"),
            "near_misses": rounds(args.near_misses, "c") if args.near_misses is not None else None}


def _reuse_rates(kb, config, pairs: dict, llm: "Llm | None" = None, rounds: dict | None = None) -> dict:
    """The bot's reuse of verified answers, measured on the evaluation's knowledge base (output discarded); with
    ``--llm`` (and ``judge`` on) the bot's decision may ask the judge. With ``rounds`` (``--feedback-replay``),
    one round of feedback replayed after them, on the same knowledge base."""
    import io

    from adapters.console import ConsoleMessenger
    from bot.ports import system_clock
    from bot.curation.reuse_evaluation import reuse_rate

    wiring.create_schema(kb.engine)
    messenger = ConsoleMessenger(io.StringIO())
    judge = llm if llm is not None and llm.options.judge else None
    figures = {name: reuse_rate(kb, config, messenger, system_clock, rows, llm=judge) for name, rows in pairs.items()}
    if rounds is not None:
        from bot.curation.feedback_replay import replay

        figures.update(replay(kb, config, messenger, system_clock, rounds["paraphrases"], rounds["near_misses"]))
    return figures


def _aliases(args: argparse.Namespace, settings: Settings) -> int:
    kb = wiring.open_knowledge(settings)
    try:
        if args.remove is not None:
            from bot.curation.phrasings import forget

            wiring.create_schema(kb.engine)
            if not forget(kb, kb.engine, args.remove, actor="admin:command-line"):
                raise LorebotError(f"no learned wording with id {args.remove}: run lorebot aliases to list them")
            print(f"Removed learned wording {args.remove}.")
            return 0
        learned = kb.aliases()
    finally:
        kb.close()
    if not learned:
        print("No learned wordings yet: they appear when people confirm a verified answer fits their question.")
    for alias in learned:
        print(f"{alias.id:>5}  “{alias.text}” → “{alias.entry_question}”  (by {alias.added_by}, "
              f"{alias.created_at:%Y-%m-%d})")
    return 0


def _feedback(args: argparse.Namespace, settings: Settings) -> int:
    from bot.curation.feedback_learning import forget, listing

    kb = wiring.open_knowledge(settings)
    try:
        wiring.create_schema(kb.engine)
        if args.remove is not None:
            if not forget(kb.engine, args.remove, actor="admin:command-line"):
                raise LorebotError(f"no learned preference with id {args.remove}: run lorebot feedback to list them")
            print(f"Removed learned preference {args.remove}: later questions no longer inherit it.")
            return 0
        learned = listing(kb.engine, kb)
    finally:
        kb.close()
    if args.json:
        print(json.dumps([{"id": view.id, "kind": view.kind, "question": view.question, "document": view.document,
                           "title": view.title, "by": view.person, "at": view.at.isoformat(),
                           "audience": json.loads(view.audience), "document_changed": view.changed}
                          for view in learned], ensure_ascii=False, indent=2))
        return 0
    if not learned:
        print("Nothing learned from feedback yet: it appears when people mark answers Helpful or Not helpful.")
    for view in learned:
        changed = ", document changed since: counts half" if view.changed else ""
        print(f"{view.id:>5}  {_judgment(view.kind)} “{view.title or view.document}” for “{view.question}”  "
              f"(by {view.person}, {view.at:%Y-%m-%d}{changed})")
    return 0


def _judgment(kind: str) -> str:
    """How a listing says what the person judged."""
    return {"helpful": "helped:", "not_helpful": "did not help:", "rejected": "rejected by a champion:"}.get(kind, kind)


def _docs(args: argparse.Namespace, settings: Settings) -> int:
    config = wiring.load_config(settings)
    kb = wiring.open_knowledge(settings)
    try:
        if args.docs_command == "list":
            _require_collections(kb, [args.collection] if args.collection else [])
            documents = kb.documents(collection=args.collection)
        else:
            return _remove_documents(args, settings, config, kb)
    finally:
        kb.close()
    if args.json:
        print(json.dumps([{"path": doc.path, "title": doc.title, "collection": doc.collection, "chunks": doc.chunks,
                           "ingested_at": doc.ingested_at.isoformat()} for doc in documents], indent=2,
                         ensure_ascii=False))
    elif not documents:
        print("No documents yet: add some with lorebot ingest PATH.")
    else:
        print(_table(("PATH", "TITLE", "COLLECTION", "CHUNKS", "INGESTED"),
                     [(doc.path, doc.title, doc.collection, str(doc.chunks),
                       f"{doc.ingested_at.astimezone(config.tz):%Y-%m-%d %H:%M}") for doc in documents]))
    return 0


def _remove_documents(args: argparse.Namespace, settings: Settings, config: "LorebotConfig",
                      kb: "KnowledgeBase") -> int:
    if args.collection is not None:
        documents = kb.documents(collection=args.collection)
        if not documents:
            _require_collections(kb, [args.collection])
            raise LorebotError(f"--collection {args.collection}: it holds verified answers only, no documents")
    else:
        documents = kb.documents(path=args.path) or kb.documents(path=str(Path(args.path).resolve()))
        if not documents:
            raise LorebotError(f"no document at {args.path}: lorebot docs list shows the stored paths")
    wiring.create_schema(kb.engine)
    report = kb.remove_documents(doc.path for doc in documents)
    print(f"Removed {report.documents_removed} document(s) and {report.chunks_removed} chunk(s).")
    wiring.after_ingest(settings, config, kb, report)
    return 0


def _require_collections(kb: "KnowledgeBase", names: Sequence[str]) -> None:
    """A --collection that names no collection is a mistake, told with the names there are."""
    known = kb.collections()
    unknown = sorted(set(names) - set(known))
    if unknown:
        there = f"known: {', '.join(known)}" if known else "nothing is ingested yet: run lorebot ingest PATH"
        raise LorebotError(f"--collection {', '.join(unknown)}: no such collection ({there})")


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in [headers, *rows])


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.markdown import plain
    from bot.messages import llm_skipped_line, source_health_line
    from bot.tables import llm_health
    from bot.usage import questions_asked, week_start
    from knowledge.sources.status import source_health

    config = wiring.load_config(settings)
    kb = wiring.open_knowledge(settings)
    try:
        wiring.create_schema(kb.engine)
        since = week_start(datetime.now(timezone.utc), config.tz)
        counts = kb.stats()
        figures = {"documents": counts["documents"], "chunks": counts["chunks"],
                   "verified_answers": counts["entries"], "questions_this_week": questions_asked(kb.engine, since)}
        health = source_health(kb.engine, list(config.sources))
        llm = llm_health.skipped(kb.engine)
    finally:
        kb.close()
    if args.json:
        sources = [{"source": item.name, "documents": item.documents,
                    "last_success": item.last_success.isoformat() if item.last_success else None,
                    "last_error": item.last_error, "failed": len(item.failures), "healthy": item.healthy}
                   for item in health]
        skipping = {"since": llm.since.isoformat() if llm.since else None, "reason": llm.last_reason,
                    "failures": llm.consecutive_failures} if llm else None
        print(json.dumps({**figures, "week_start": since.isoformat(), "sources": sources,
                          **({"llm_skipped": skipping} if config.llm else {})}, indent=2))
    else:
        print(f"Documents:           {figures['documents']}\n"
              f"Chunks:              {figures['chunks']}\n"
              f"Verified answers:    {figures['verified_answers']}\n"
              f"Questions this week: {figures['questions_this_week']} (since {since:%a %d %b}, {config.timezone})")
        if health:
            print("Sources:\n" + "\n".join(f"  {plain(source_health_line(item, config.tz))}" for item in health))
        if llm is not None:
            print(plain(llm_skipped_line(llm, config.tz)))
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
    from bot.recovery.recovery_loop import RecoveryLoop

    config = wiring.load_config(settings)
    kb = wiring.open_knowledge(settings, embeds=True)
    try:
        wiring.create_schema(kb.engine)
        messenger = ConsoleMessenger(sys.stdout, kb.engine)
        core = wiring.build_core(settings, config, kb, messenger)
        wiring.recover(core)
        recovery = RecoveryLoop(core.context).start()
        try:
            run_console(core, sys.stdin, sys.stdout, user=args.user, history=settings.home / "console_history")
        finally:
            recovery.stop()
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
    path = build_teams_package(app_id, Path(args.output), privacy_url=args.privacy_url, terms_url=args.terms_url)
    print(f"Wrote {path}: upload it in Teams under Apps > Manage your apps > Upload an app.")
    return 0
