"""Where a notification leads on the public site: the object it is about, by its global id."""

from __future__ import annotations

from bson import ObjectId

from market.core.ids import global_id_of
from market.events.records import Event

# The most specific object first: an accepted quotation leads to the deal it opened.
_PATHS = (
    ("Deal", "/deals"),
    ("PurchaseApproval", "/approvals"),
    ("Quotation", "/quotations"),
    ("Inquiry", "/inquiries"),
    ("Product", "/products"),
)
INBOX_PATH = "/notifications"
OBJECT_PATHS = tuple(path for _, path in _PATHS)


def path_of(event: Event) -> str:
    for type_name, path in _PATHS:
        if type_name in event.subject:
            return f"{path}/{global_id_of(type_name, ObjectId(event.subject[type_name]))}"
    return INBOX_PATH
