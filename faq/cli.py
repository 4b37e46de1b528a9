"""The maintainer's command line: `python -m faq {ask,check,train,eval,bench,report,rate,complaint}` (also
installed as `faq`)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from faq.context import Context
from faq.engine import DEFAULT_KB_PATH, Engine
from faq.kb import KnowledgeBaseError, Problem, check_knowledge_base
from faq.normalize import safe_text
from faq.reply import Reply


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KnowledgeBaseError as exc:
        print(f"the knowledge base is invalid:\n{exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faq", description="Overdue-loan FAQ engine: ask, check, eval, bench, report"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one message ('-' reads one message a line from stdin)")
    ask.add_argument("text", nargs="*", help="the message; '-' for stdin, nothing for an interactive loop")
    ask.add_argument("--json", action="store_true", help="print one JSON object per message")
    ask.add_argument(
        "--chat",
        action="store_true",
        help="the messages are one conversation (follow-ups use the turns before; '/more' shows details)",
    )
    ask.add_argument(
        "--kb", type=Path, default=None, help=f"knowledge base (default: {DEFAULT_KB_PATH.name})"
    )
    ask.set_defaults(run=run_ask)

    check = sub.add_parser("check", help="validate a knowledge base and print a summary")
    check.add_argument("path", nargs="?", type=Path, default=DEFAULT_KB_PATH)
    check.set_defaults(run=run_check)

    train = sub.add_parser(
        "train", help="train the matcher's scorer and write it beside the knowledge base (intents.scorer.json)"
    )
    train.add_argument("path", nargs="?", type=Path, default=DEFAULT_KB_PATH)
    train.set_defaults(run=run_train)

    evaluate = sub.add_parser("eval", help="accuracy on labelled datasets (see tests/data/README.md)")
    evaluate.add_argument(
        "dataset",
        type=Path,
        nargs="*",
        help="datasets (default: tests/data/dev*.yaml and ../shared/data/real_queries_dev.yaml when present)",
    )
    evaluate.add_argument("--kb", type=Path, default=None)
    evaluate.add_argument("--no-baseline", action="store_true", help="skip the baselines")
    evaluate.add_argument("--summary", action="store_true", help="only the table of figures per dataset")
    evaluate.set_defaults(run=run_eval)

    bench = sub.add_parser("bench", help="latency, cold start and memory, also at 1k, 10k and 50k examples")
    bench.add_argument("--kb", type=Path, default=None)
    bench.add_argument("--messages", type=int, default=2000, help="messages in the warm batch")
    bench.add_argument(
        "--sizes", default="1000,10000,50000", help="synthetic knowledge-base sizes (examples)"
    )
    bench.add_argument(
        "--crisis-rules-only",
        "--synthetic-in-tmp",
        dest="crisis_rules_only",
        action="store_true",
        help="the synthetic knowledge bases without the crisis model (the crisis layer on its rules alone: the "
        "bench's figures at 10k and 50k before 2026-11-27); by default every size loads the crisis model --kb "
        "names, as a deployment of that size does",
    )
    bench.add_argument("--child", help=argparse.SUPPRESS)
    bench.add_argument("--workspace", type=Path, default=None, help=argparse.SUPPRESS)
    bench.add_argument("--edited", type=Path, default=None, help=argparse.SUPPRESS)
    bench.set_defaults(run=run_bench)

    add_tool_commands(sub)

    report = sub.add_parser(
        "report", help="what users asked: counts, fallbacks, unanswered questions as YAML"
    )
    try:
        from faq.usage import report as report_module
    except ImportError:  # pragma: no cover - the module ships with the package
        pass
    else:
        report_module.add_arguments(report)
        report.set_defaults(run=report_module.run)
    return parser


# ------------------------------------------------------------------------------------------------ ask


def run_ask(args: argparse.Namespace) -> int:
    engine = Engine.load(args.kb)
    words = list(args.text)
    chat = Chat(engine) if args.chat else None
    if words and words != ["-"]:
        _print_reply(engine, " ".join(words), args.json, chat)
        return 0
    if not words:
        print("输入问题,回车发送;Ctrl-D 退出。", file=sys.stderr)
    for raw in sys.stdin.buffer:  # one message a line; broken UTF-8 replaced
        _print_reply(engine, safe_text(raw.rstrip(b"\r\n"), limit=len(raw) + 1), args.json, chat)
    return 0


class Chat:
    """``faq ask --chat``: the lines are one conversation (one context, as in a Telegram chat)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.context: Context | None = None

    def reply(self, text: str) -> Reply:
        if text.strip().lower() == "/more":
            reply, self.context = self.engine.more(
                self.context, traditional=bool(self.context and self.context.traditional)
            )
            return reply
        reply, self.context = self.engine.converse(text, self.context)
        return reply


def _print_reply(engine: Engine, text: str, as_json: bool, chat: Chat | None = None) -> None:
    try:
        reply = chat.reply(text) if chat is not None else engine.reply(text)
    except Exception as exc:  # never stop a batch on one bad line
        if as_json:
            print(json.dumps({"error": type(exc).__name__, "answer": None}, ensure_ascii=False), flush=True)
        else:
            print(f"(error: {type(exc).__name__})", flush=True)
        return
    if as_json:
        print(json.dumps(reply.to_json(), ensure_ascii=False), flush=True)
        return
    print(reply.text)
    if reply.details and chat is not None:
        print(engine.text("more_hint", reply.traditional))
    choices = reply.suggestions or reply.related
    for number, suggestion in enumerate(choices, start=1):
        print(f"  {number}. {suggestion.title}")
    meta = f"[{reply.kind.value} intent={reply.intent} confidence={reply.confidence:.2f}"
    if reply.days is not None:
        meta += f" days={reply.days} platform={reply.platform}"
    print(meta + "]\n", flush=True)


# -------------------------------------------------------------------------------------- rate, complaint


def add_tool_commands(sub: Any) -> None:
    from faq.complaint import ISSUE_KEYS

    rate = sub.add_parser("rate", help="the real annual rate of a loan described in words")
    rate.add_argument("text", nargs="+", help='e.g. "借5000到手4500 分12期 每期还500"')
    rate.add_argument("--json", action="store_true", help="print the figures and the rate as JSON")
    rate.add_argument("--rates", type=Path, default=None, help="rate texts (default: rate.yaml)")
    rate.set_defaults(run=run_rate)

    complaint = sub.add_parser(
        "complaint", help="complaint letters (to the lender and to the regulator); nothing is stored"
    )
    complaint.add_argument("--platform", required=True, help="the platform or app, as the user names it")
    complaint.add_argument("--since", required=True, type=_since, help="since when (YYYY-MM-DD, not future)")
    complaint.add_argument(
        "--issue", action="extend", required=True, type=_issue_keys, metavar="KEY[,KEY]",
        help=f"what happened (repeatable, or comma-separated): {', '.join(ISSUE_KEYS)}",
    )  # fmt: skip
    complaint.add_argument(
        "--request", action="append", default=[], metavar="KEY_OR_TEXT",
        help="what you ask for (repeatable): a key of complaints.yaml requests: or your own sentence",
    )  # fmt: skip
    complaint.add_argument("--templates", type=Path, default=None, help="default: complaints.yaml")
    complaint.add_argument("--json", action="store_true", help="print {lender, regulator, footer} as JSON")
    complaint.set_defaults(run=run_complaint)


def _issue_keys(text: str) -> list[str]:
    from faq.complaint import ISSUE_KEYS

    keys = [k.strip() for k in text.replace(",", ",").split(",") if k.strip()]
    unknown = [k for k in keys if k not in ISSUE_KEYS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown issue key {', '.join(map(repr, unknown)) or repr(text)}; choose from {', '.join(ISSUE_KEYS)}"
        )
    return keys


def _since(text: str) -> dt.date:
    from faq.complaint import ComplaintError, parse_since

    try:
        return parse_since(text)
    except ComplaintError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def run_rate(args: argparse.Namespace) -> int:
    from faq import apr

    try:
        texts = apr.load_rate_texts(args.rates)
    except apr.RateTextsError as exc:
        print(exc, file=sys.stderr)
        return 2
    message = " ".join(args.text)
    figures = apr.parse_loan(message)
    result = apr.annual_rate(figures)
    if args.json:
        out: dict[str, Any] = {"figures": dataclasses.asdict(figures)}
        if isinstance(result, apr.Rate):
            out |= {"apr": round(result.percent, 1), "cost": round(result.cost, 2), "method": result.method}
        else:
            out |= {"apr": None, "missing": list(result.needed)}
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(apr.explain(result, texts) if isinstance(result, apr.Rate) else apr.ask_for(result, texts))
    return 0


def run_complaint(args: argparse.Namespace) -> int:
    from faq.complaint import ComplaintError, ComplaintRequest, clean_platform, load_templates, write_letters

    try:
        templates = load_templates(args.templates)
        request = ComplaintRequest(
            clean_platform(args.platform), args.since, tuple(args.issue), tuple(args.request)
        )
        lender, regulator = write_letters(request, templates)
    except ComplaintError as exc:
        print(f"faq complaint: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {"lender": lender, "regulator": regulator, "footer": templates.footer}, ensure_ascii=False
            )
        )
    else:
        print(f"{lender}\n\n{'=' * 40}\n\n{regulator}\n\n{templates.footer}")
    return 0


# ---------------------------------------------------------------------------------------------- check


def run_check(args: argparse.Namespace) -> int:
    from faq import analysis_file
    from faq.evaluate import misplaced_examples

    with analysis_file.reading(args.path) as shipped:  # (as a start reads it: which entries it asks for)
        kb, problems = check_knowledge_base(args.path)
        engine = Engine(kb) if kb is not None else None
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if kb is not None and engine is not None:
        lines = {
            (intent.id, question): line
            for intent in kb.intents
            for question, line in zip(intent.questions, intent.question_lines, strict=False)
        }
        for owner, example, better, score in misplaced_examples(engine):
            if owner.startswith("oos:"):
                continue
            warnings.append(
                Problem(
                    str(args.path),
                    lines.get((owner, example), 0),
                    owner,
                    f"example {example!r} matches {better} better than its own intent ({score:.2f})",
                    "warning",
                )
            )
        warnings += _first_message_check(engine, str(args.path))
        warnings += _scorer_check(engine, str(args.path))
        warnings += _analysis_check(engine, shipped.asked, str(args.path))
        stages = ", ".join(f"{pid} {len(rows)}" for pid, rows in kb.stages.items())
        oos = sum(len(g.questions) for g in kb.out_of_scope)
        print(
            f"{args.path}: {len(kb.intents)} intents, {kb.example_count} example questions, "
            f"{oos} out-of-scope examples, {len(kb.synonyms)} synonyms, stages: {stages}"
        )
    for problem in [*errors, *warnings]:
        print(problem)
    print(f"{len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


def _scorer_check(engine: Engine, path: str) -> list[Problem]:
    """A warning when the scorer shipped beside the knowledge base was trained on other examples or code
    (a start then trains it again: ~0.3 s more at the shipped size, and the file should be rebuilt)."""
    from faq import scorer_file
    from faq.matcher import FEATURES

    shipped = scorer_file.path_for(engine.kb.path)
    if not shipped.exists() or scorer_file.read(shipped, engine.matcher.scorer_key(), len(FEATURES)) is not None:
        return []
    detail = f"{shipped.name} was trained on another version of the examples or the code: run `python -m faq train`"
    return [Problem(path, 0, None, detail, "warning")]


def _analysis_check(engine: Engine, asked: set[str], path: str) -> list[Problem]:
    """A warning when the analysis shipped beside the knowledge base lacks an entry a start asked for
    (``asked``): the examples or the analysis code changed since it was packed (a first start then
    computes it: ~0.5 s more at the shipped size, and the file should be rebuilt)."""
    from faq import analysis_file

    shipped = analysis_file.path_for(engine.kb.path)
    if not shipped.exists() or not analysis_file.stale(asked, shipped):
        return []
    detail = f"{shipped.name} was packed for another version of the examples or the code: run `python -m faq train`"
    return [Problem(path, 0, None, detail, "warning")]


def run_train(args: argparse.Namespace) -> int:
    """Train the scorer afresh and write it beside the knowledge base (:mod:`faq.scorer_file`), with the
    analysis a start reads (:mod:`faq.analysis_file`). Everything is computed afresh, in an empty cache
    directory of the command's own: nothing is read from the user's cache or the shipped files."""
    import tempfile

    from faq import analysis_file, cache, conversions, scorer_file
    from faq.kb import load_knowledge_base
    from faq.matcher import FEATURES

    with tempfile.TemporaryDirectory(prefix="faq-train-") as fresh, cache.redirected(Path(fresh)):
        engine = Engine(load_knowledge_base(args.path))  # (not Engine.load: no shipped analysis read)
        conversions.store(engine)  # (a build converts none of its reply texts: those a start reads)
        matcher = engine.matcher
        key = matcher.scorer_key()
        target = scorer_file.path_for(engine.kb.path)
        # Built with no cache, the engine read its scorer from the file only when the file was current:
        # otherwise it has just trained it (not trained twice).
        current = scorer_file.read(target, key, len(FEATURES)) is not None
        model = matcher.train() if current else matcher.model
        scorer_file.write(target, key, model.weights, model.threshold, model.calibration)
        analysis = analysis_file.path_for(engine.kb.path)
        packed = analysis_file.write(analysis, Path(fresh))
    accuracy, rejection, count = model.calibration
    print(
        f"{target}: threshold {model.threshold:.2f}, calibrated on {count} held-out predictions "
        f"(in scope {accuracy:.1%}, out-of-scope rejection {rejection:.1%})"
    )
    print(f"{analysis}: {len(packed)} entries ({', '.join(cache.kind_of(name) for name in packed)})")
    return 0


def _first_message_check(engine: Engine, path: str) -> list[Problem]:
    """Print the first-message length distribution; a warning when fewer than 90 % fit in 500 characters."""
    from faq.engine import FIRST_MESSAGE_LIMIT, FIRST_MESSAGE_SHARE

    measured = engine.first_messages()
    lengths = sorted(len(reply.text) for _, reply in measured)
    within = sum(1 for n in lengths if n <= FIRST_MESSAGE_LIMIT)
    share = within / len(lengths) if lengths else 1.0

    def pct(p: float) -> int:
        return lengths[min(len(lengths) - 1, int(p * len(lengths)))] if lengths else 0

    print(
        f"first messages ({len(lengths)}: every intent, no day count and 5/12/20/45 days per stage table): "
        f"median {pct(0.5)}, p90 {pct(0.9)}, max {lengths[-1] if lengths else 0} characters; "
        f"{within} ({share:.0%}) within {FIRST_MESSAGE_LIMIT}; "
        f"{sum(1 for i in engine.kb.intents if i.summary)} of {len(engine.kb.intents)} intents have a summary "
        "(the others show their answer's first sentence first)"
    )
    problems: list[Problem] = []
    if share < FIRST_MESSAGE_SHARE:
        over = [name for name, reply in measured if len(reply.text) > FIRST_MESSAGE_LIMIT]
        problems.append(
            Problem(path, 0, None, f"only {share:.0%} of first messages within {FIRST_MESSAGE_LIMIT} "
                    f"characters (at least {FIRST_MESSAGE_SHARE:.0%} wanted), e.g. {', '.join(over[:5])}",
                    "warning")
        )
    return problems


# ----------------------------------------------------------------------------------------------- eval


def run_eval(args: argparse.Namespace) -> int:
    from faq.evaluate import (
        LogisticBaseline,
        default_datasets,
        evaluate,
        format_report,
        format_summary,
        load_dataset,
    )

    paths = args.dataset or default_datasets()
    missing = [str(path) for path in paths if not Path(path).is_file()]
    if missing:
        print(f"faq eval: no such dataset: {', '.join(missing)}", file=sys.stderr)
        return 2
    datasets = []
    for path in paths:
        try:
            dataset = load_dataset(path)
        except ValueError as error:  # (load_dataset names the file and what is wrong)
            print(f"faq eval: {error}", file=sys.stderr)
            return 2
        if not dataset:
            print(
                f"faq eval: {path}: no labelled questions (a list of rows with text and label, "
                "or questions: [...]; see tests/data/README.md)",
                file=sys.stderr,
            )
            return 2
        datasets.append(dataset)
    engine = Engine.load(args.kb)
    lr = None if args.no_baseline else LogisticBaseline.train(engine)
    reports = []
    for path, dataset in zip(paths, datasets, strict=True):
        report = evaluate(engine, dataset, with_baseline=not args.no_baseline, lr=lr)
        reports.append((path, report))
        if not args.summary:
            print(f"== {path}")
            format_report(report)
            print()
    format_summary(engine, reports, lr)
    return 0


# ---------------------------------------------------------------------------------------------- bench


def run_bench(args: argparse.Namespace) -> int:
    from faq import bench

    if args.child:
        if args.workspace is None:
            print("--child needs --workspace (a folder for the edited copy)", file=sys.stderr)
            return 2
        print(json.dumps(bench.child(args.child, args.kb, args.messages, args.workspace, args.edited)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    bench.run(args.kb, args.messages, sizes, crisis_model=not args.crisis_rules_only)
    return 0
