"""One debtor id, one person: a later row that reuses an id with another CPF/CNPJ is set aside.

The same id with the same document on several rows is one debtor with several debts
(told apart by ``numero_documento``). The same id with another document is an export
or typing error: the contact ledger, the frequency caps and the run's files would mix
two people. The first row of an id (in file order) keeps it; each later row with
another document goes to ``rejeitados.csv`` naming the first line.

The check runs in the writing process, which sees every piece in file order whatever
the number of processes. It keeps 64-bit hashes of ids and documents in sorted NumPy
arrays (24 bytes per distinct id), not the strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

import numpy as np

from cobranca_kit.batch.outputs import EncodedMessages, SpilledMessages
from cobranca_kit.batch.plan import ChunkPlan
from cobranca_kit.batch.portfolio import Rejection


class IdentityGuard:
    """The ids seen so far in a run, each with its first row's document and line."""

    def __init__(self) -> None:
        self._ids = np.empty(0, dtype=np.int64)  # sorted
        self._docs = np.empty(0, dtype=np.int64)
        self._lines = np.empty(0, dtype=np.int64)

    def conflicts(self, identities: Sequence[tuple[int, str, str, str]]) -> dict[int, int]:
        """Line -> first line of its id, for the rows whose id an earlier row used with
        another document; the new ids are remembered."""
        n = len(identities)
        if not n:
            return {}
        lines = np.fromiter(map(itemgetter(0), identities), dtype=np.int64, count=n)
        ids = np.fromiter(map(hash, map(itemgetter(1), identities)), dtype=np.int64, count=n)
        docs = np.fromiter(map(hash, map(itemgetter(2), identities)), dtype=np.int64, count=n)
        unique, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        first_doc = docs[first]
        first_line = lines[first]
        pos = np.searchsorted(self._ids, unique)
        known = pos < len(self._ids)
        known[known] = self._ids[pos[known]] == unique[known]
        first_doc[known] = self._docs[pos[known]]
        first_line[known] = self._lines[pos[known]]
        clash = first_doc[inverse] != docs
        new = ~known
        if new.any():  # merged in: both are sorted
            at = pos[new]
            self._ids = np.insert(self._ids, at, unique[new])
            self._docs = np.insert(self._docs, at, first_doc[new])
            self._lines = np.insert(self._lines, at, first_line[new])
        if not clash.any():
            return {}
        where = np.flatnonzero(clash)
        return dict(zip(lines[where].tolist(), first_line[inverse][where].tolist(), strict=True))

    def set_aside(self, plan: ChunkPlan) -> ChunkPlan:
        """``plan`` with the rows of a reused id moved to its rejections."""
        clashes = self.conflicts(plan.identities)
        if not clashes:
            return plan
        for line, ident, _doc, stage in plan.identities:
            if line in clashes:
                plan.rejected.append(
                    Rejection(
                        line,
                        "id",
                        f"identificador '{ident}' já usado na linha {clashes[line]} por outro CPF/CNPJ; "
                        "confira qual devedor tem este identificador",
                        ident,
                        "id_duplicado",
                    )
                )
                if stage:
                    plan.off_schedule[stage] -= 1
                    if not plan.off_schedule[stage]:
                        del plan.off_schedule[stage]
        plan.rejected.sort(key=lambda r: r.line)
        plan.accepted -= len(clashes)
        plan.skipped = [s for s in plan.skipped if s.line not in clashes]
        keep = [m.line not in clashes for m in plan.messages]
        if not all(keep):
            if plan.encoded is not None:
                encoded = plan.encoded
                if isinstance(encoded, SpilledMessages):
                    encoded = encoded.load()
                plan.encoded = _subset(encoded, keep)
            plan.messages = [m for m, k in zip(plan.messages, keep, strict=True) if k]
        plan.identities = [t for t in plan.identities if t[0] not in clashes]
        return plan


def _subset(encoded: EncodedMessages, keep: list[bool]) -> EncodedMessages:
    data, table = encoded.select(keep)
    ends = np.asarray(encoded.csv_ends, dtype=np.int64)
    sizes = np.diff(np.concatenate(([0], ends)))[np.asarray(keep, dtype=bool)]
    counts = [c for c, k in zip(encoded.row_counts, keep, strict=True) if k]
    return EncodedMessages(bytes(data), np.cumsum(sizes).tolist(), counts, table)
