"""Frozen views of stored rows: what the repositories return, so that no ORM object leaves the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Select, select

from callcenter.store.db import Database
from callcenter.store.models import Base

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

View = TypeVar("View", bound="DataclassInstance")


class RowView(Generic[View]):
    """How the rows of one table become one frozen dataclass. The view's fields are the table's columns in
    their order (checked here, at import), so a row of ``select()`` or of ``returning(*columns)`` becomes a
    view by position, without the cost of loading ORM objects."""

    def __init__(self, view: type[View], model: type[Base]) -> None:
        self.view = view
        self._table = model.__table__
        self.columns = tuple(self._table.columns)
        names = tuple(field.name for field in fields(view))
        if names != tuple(column.key for column in self.columns):
            raise TypeError(f"The fields of {view.__name__} are not the columns of {model.__name__}")

    def select(self) -> Select[Any]:
        """Every column of the table (as one element: cheaper to cache than each column)."""
        return select(self._table)

    def of(self, row: Sequence[Any]) -> View:
        return self.view(*row)

    def of_record(self, record: Base) -> View:
        """The view of an ORM object (one the store has just added)."""
        return self.view(*(getattr(record, column.key) for column in self.columns))

    async def all(self, database: Database, query: Select[Any]) -> list[View]:
        """The rows ``query`` (made from ``select``) selects, as views."""
        async with database.sessions() as session:
            return [self.view(*row) for row in await session.execute(query)]

    async def one(self, database: Database, query: Select[Any]) -> View | None:
        """The one row ``query`` (made from ``select``) selects, if any, as a view."""
        async with database.sessions() as session:
            row = (await session.execute(query)).one_or_none()
            return None if row is None else self.view(*row)
