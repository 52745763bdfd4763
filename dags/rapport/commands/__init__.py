"""Subcommands of ``rapport``: one module each, with ``register(subparsers)``.

A module sets ``handler`` on its parser (``parser.set_defaults(handler=...)``); the handler takes the
parsed arguments and returns an exit status. Raise :class:`rapport.cli.CommandError` for user errors.
"""
