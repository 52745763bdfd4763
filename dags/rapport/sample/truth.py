"""Ground truth for evaluation, written to ``<out_dir>/_truth/`` (never extracted: the folder starts with ``_``).

* ``who_knows_whom.parquet``: one row per contact and colleague with a tie. ``tie_weight`` is the latent
  strength the generator samples our side of every interaction with that contact from; ``tie_strength``
  is the contact's share (sums to 1 per contact). Colleagues who left hand their weight to their
  successor, so the rows name active users only. ``rank`` 1 (``is_strongest``) is the true strongest colleague.
* ``lead_propensity.parquet`` / ``opportunity_propensity.parquet``: the latent model per record.
* ``sellers.parquet``: per user, the effects the generator gave them.
* ``text_labels.parquet``: what each note or activity text really contains.
* ``generation.json``: the parameters and row counts of the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.parquet as pq

from rapport.sample.arrays import take, timestamps
from rapport.sample.episodes import Episodes, Ties
from rapport.sample.records import LEAD_OPEN, NEVER, OPP_OPEN, Contacts, Leads, Opportunities, Org, Timeline

TRUTH_DIR = "_truth"
MANIFEST = "generation.json"
ROLE_NAMES = ("seller", "manager", "presales", "director", "operations")


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", compression_level=1)


def who_knows_whom(org: Org, contacts: Contacts, ties: Ties, timeline: Timeline) -> pa.Table:
    """Per contact, every active colleague's tie weight and share; rank 1 is the strongest."""
    contact = np.repeat(np.arange(len(contacts)), np.diff(ties.offsets))
    user = org.active(ties.user, np.full(len(ties.user), timeline.end))
    key = contact * org.n_users + user
    unique_key, inverse = np.unique(key, return_inverse=True)
    weight = np.bincount(inverse, weights=ties.weight)
    contact_u, user_u = unique_key // org.n_users, unique_key % org.n_users
    total = np.bincount(contact_u, weights=weight, minlength=len(contacts))
    order = np.lexsort((user_u, -weight, contact_u))
    contact_u, user_u, weight = contact_u[order], user_u[order], weight[order]
    starts = np.searchsorted(contact_u, contact_u, side="left")
    rank = np.arange(len(contact_u)) - starts + 1
    return pa.table(
        {
            "contactid": take(contacts.id, contact_u),
            "systemuserid": take(org.user_id, user_u),
            "tie_weight": weight,
            "tie_strength": weight / total[contact_u],
            "rank": rank.astype(np.int32),
            "is_strongest": rank == 1,
        }
    )


def lead_propensity(leads: Leads, episodes: Episodes) -> pa.Table:
    n = len(leads.company)
    quiet = episodes.quiet_from[:n]
    return pa.table(
        {
            "leadid": leads.id,
            "attribute_logit": leads.attribute_logit,
            "latent_logit": leads.latent_logit,
            "propensity": leads.propensity,
            "outcome": pa.array(np.where(leads.success, "qualified", "disqualified")),
            "is_open": leads.state == LEAD_OPEN,
            "free_mail": leads.free_mail,
            "implausible_name": leads.implausible,
            "engagement_drive": episodes.drive[:n],
            "went_quiet_at": timestamps(np.where(quiet < NEVER, quiet, 0), quiet < NEVER),
        }
    )


def opportunity_propensity(opps: Opportunities, episodes: Episodes, n_leads: int) -> pa.Table:
    quiet = episodes.quiet_from[n_leads : n_leads + len(opps)]
    return pa.table(
        {
            "opportunityid": opps.id,
            "attribute_logit": opps.attribute_logit,
            "latent_logit": opps.latent_logit,
            "propensity": opps.propensity,
            "outcome": pa.array(np.where(opps.success, "won", "lost")),
            "is_open": opps.state == OPP_OPEN,
            "engagement_drive": episodes.drive[n_leads : n_leads + len(opps)],
            "went_quiet_at": timestamps(np.where(quiet < NEVER, quiet, 0), quiet < NEVER),
        }
    )


def sellers(org: Org) -> pa.Table:
    left = org.user_until < NEVER
    return pa.table(
        {
            "systemuserid": org.user_id,
            "role": take(pa.array(list(ROLE_NAMES)), org.user_role),
            "skill_logit": org.user_skill,
            "reply_hours_median": org.user_reply_hours,
            "left_at": timestamps(np.where(left, org.user_until, 0), left),
            "successor_systemuserid": take(org.user_id, org.user_successor),
        }
    )


def write_truth(truth_dir: Path, tables: dict[str, pa.Table]) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        _write(table, truth_dir / f"{name}.parquet")


def write_manifest(truth_dir: Path, manifest: dict[str, object]) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    (truth_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
