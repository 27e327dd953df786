"""The context every cross-entity check gets: the valid part of the catalog and its files."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from generator.catalog.loader import RawDocument
from generator.catalog.model import Catalog
from generator.diagnostics import Diagnostic


@dataclass(frozen=True)
class Context:
    """The valid part of the catalog, with what is needed to locate problems in its files."""

    catalog: Catalog
    documents: Mapping[tuple[str, str], RawDocument]  # (kind, id) -> its file
    known: Mapping[str, frozenset[str]]  # kind -> every id that has a file, valid or not

    def at(
        self, kind: str, entity: str, parts: Sequence[str | int], message: str, *, key: bool = False
    ) -> Diagnostic:
        return self.documents[(kind, entity)].diagnostic(parts, message, key=key)

    def exists(self, kind: str, entity: str) -> bool:
        return entity in self.known.get(kind, frozenset())

    def valid(self, kind: str, entity: str) -> bool:
        return (kind, entity) in self.documents


Check = Callable[[Context], Iterator[Diagnostic]]
