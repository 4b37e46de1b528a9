"""The maintainer's command line: `python -m faq {ask,check,eval,bench,report}` (also installed as `faq`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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

    evaluate = sub.add_parser("eval", help="accuracy on a labelled dataset (see tests/data/README.md)")
    evaluate.add_argument("dataset", type=Path)
    evaluate.add_argument("--kb", type=Path, default=None)
    evaluate.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF baseline")
    evaluate.set_defaults(run=run_eval)

    bench = sub.add_parser("bench", help="latency, cold start and memory, also at 1k and 10k examples")
    bench.add_argument("--kb", type=Path, default=None)
    bench.add_argument("--messages", type=int, default=2000, help="messages in the warm batch")
    bench.add_argument("--sizes", default="1000,10000", help="synthetic knowledge-base sizes (examples)")
    bench.add_argument("--child", help=argparse.SUPPRESS)
    bench.set_defaults(run=run_bench)

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


# ---------------------------------------------------------------------------------------------- check


def run_check(args: argparse.Namespace) -> int:
    from faq.evaluate import misplaced_examples

    kb, problems = check_knowledge_base(args.path)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if kb is not None:
        engine = Engine(kb)
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
    from faq.evaluate import evaluate, format_report, load_dataset

    engine = Engine.load(args.kb)
    dataset = load_dataset(args.dataset)
    format_report(evaluate(engine, dataset, with_baseline=not args.no_baseline))
    return 0


# ---------------------------------------------------------------------------------------------- bench


def run_bench(args: argparse.Namespace) -> int:
    from faq import bench

    if args.child:
        print(json.dumps(bench.child(args.child, args.kb, args.messages)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    bench.run(args.kb, args.messages, sizes)
    return 0
