"""``rapport gx docs``: where the Great Expectations Data Docs of every validation are, or serve them.

The docs are built offline by each validation task (``var/gx/data_docs/``, see
:mod:`rapport.validation.data_docs`); they are static files, so a browser can open ``index.html`` directly.
``--serve`` serves them on 127.0.0.1 (they show examples of rejected values: never on another address).
"""

from __future__ import annotations

import argparse
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rapport.cli import CommandError
from rapport.settings import Settings
from rapport.validation.data_docs import index_path

DEFAULT_PORT = 8082


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gx",
        help="Great Expectations: print the path of the Data Docs, or serve them (rapport gx docs --serve)",
    )
    actions = parser.add_subparsers(dest="gx_command", metavar="ACTION", required=True)
    docs = actions.add_parser("docs", help="print the Data Docs' index.html path; --serve to serve them")
    docs.add_argument("--serve", action="store_true", help="serve them on 127.0.0.1 until Ctrl-C")
    docs.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port for --serve (default {DEFAULT_PORT})"
    )
    docs.set_defaults(handler=run_docs)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def docs_server(folder: Path, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``folder`` on 127.0.0.1:``port`` (0: any free port); call ``serve_forever``."""
    return ThreadingHTTPServer(("127.0.0.1", port), partial(_QuietHandler, directory=str(folder)))


def run_docs(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    index = index_path(settings.var_dir)
    if not index.is_file():
        raise CommandError(
            f"no Data Docs yet in {index.parent}: they are built by each validation (`rapport run`, or the DAG's "
            "validate tasks) unless [validation] data_docs = false"
        )
    if not args.serve:
        print(index)
        return 0
    server = docs_server(index.parent, args.port)
    print(
        f"Serving {index.parent} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops it)",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
