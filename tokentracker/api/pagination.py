"""Cursor pagination whose cursor is checked before it reaches the query.

DRF decodes the cursor's base64 and offset itself (a 404 "Invalid cursor" otherwise) but
hands its position to the ORM as it is: `p=notadate` is a Django ValidationError and a
position whose UTC moment overflows `datetime` an OverflowError, both 500s, mid-query.
"""

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request


class CursorPagination(pagination.CursorPagination):
    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list | None:
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        # DRF sets `ordering` before decoding; the position is a value of its first field.
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            position = field.to_python(cursor.position)
            if isinstance(position, datetime) and position.tzinfo is not None:
                position.astimezone(UTC)
        except (ValidationError, ValueError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
        return cursor
