"""``rapport who-knows``: which colleagues know a customer person or company best.

rapport who-knows kim.park@fabrikam.com           a person by e-mail address
rapport who-knows 8bc658b1-6f9b-...                a contact or lead id
rapport who-knows "Fabrikam" --top 5              an account by name or id, or an e-mail domain

Reads the published read-only copy of the marts (``rapport run`` publishes it), so it never waits for
or blocks a run. Formula and limits: docs/who_knows_whom.md.
"""

from __future__ import annotations

import argparse

from rapport.cli import CommandError
from rapport.publish import published_database
from rapport.settings import Settings
from rapport.who_knows_whom import WhoKnowsError, render_answer, who_knows


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "who-knows", help="rank the colleagues who know a customer person (or company) best"
    )
    parser.add_argument(
        "subject",
        help="e-mail address or contact / lead id of a person; or an account name or id, or an e-mail domain",
    )
    parser.add_argument("--top", type=int, default=10, help="show at most N colleagues (default 10)")
    parser.set_defaults(handler=run_who_knows)


def run_who_knows(args: argparse.Namespace) -> int:
    """Print the ranked colleagues for ``args.subject`` from the published marts."""

    database = published_database(Settings.from_env())
    try:
        answer = who_knows(database, args.subject, top=args.top)
    except WhoKnowsError as error:
        raise CommandError(str(error)) from error
    print(render_answer(answer))
    return 0
