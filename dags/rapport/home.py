"""The run-state folder (``RAPPORT_HOME``, ``var/`` by default) made private before anything writes to it.

:func:`secure_home` is called by the ``rapport`` command and by every DAG task (through
:func:`rapport.run_context.make_run_context`). It

* sets the process's umask to ``077``, so every file Rapport, Airflow, dbt and MLflow create is ``0600`` and
  every folder ``0700`` (the warehouse, logs and Airflow's database hold customer data);
* creates ``var/`` as ``0700`` (and tightens an existing one, and Airflow's database when ``airflow`` commands
  run outside Rapport created it);
* generates Airflow's Fernet key on first use into ``var/fernet.key`` (``0600``, never in git: ``var/`` is
  ignored) and exports it as ``AIRFLOW__CORE__FERNET_KEY``, so connections (the source's password) are stored
  encrypted in Airflow's metadata database. A key already in the environment wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from rapport.settings import Settings

PRIVATE_UMASK = 0o077
FERNET_KEY_FILE = "fernet.key"


def secure_home(settings: Settings) -> Path:
    """Make ``settings.var_dir`` private and export the Fernet key; returns the key file's path."""
    os.umask(PRIVATE_UMASK)
    settings.var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings.var_dir.chmod(0o700)
    for created_elsewhere in (settings.airflow_home / "airflow.db",):  # e.g. by `airflow connections add`
        if created_elsewhere.is_file():
            created_elsewhere.chmod(0o600)
    key_file = settings.var_dir / FERNET_KEY_FILE
    if not os.environ.get("AIRFLOW__CORE__FERNET_KEY"):
        os.environ["AIRFLOW__CORE__FERNET_KEY"] = fernet_key(key_file)
    return key_file


def fernet_key(path: Path) -> str:
    """The key stored in ``path``, generated (``0600``, written atomically) when the file does not exist."""
    if path.is_file():
        return path.read_text().strip()
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    try:
        os.link(partial, path)  # fails if another process created the key first: then read theirs
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return path.read_text().strip()
