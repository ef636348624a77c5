"""The event names, lowercase `domain.event`. Webhooks subscribe to them and people choose them in their
preferences, so a name, once published, is never renamed."""

from __future__ import annotations

import re

INQUIRY_INVITED = "inquiry.invited"
INQUIRY_COUNTER_OFFER = "inquiry.counter_offer"
INQUIRY_MESSAGE = "inquiry.message"
QUOTATION_SUBMITTED = "quotation.submitted"
QUOTATION_REVISED = "quotation.revised"
QUOTATION_ACCEPTED = "quotation.accepted"
QUOTATION_DECLINED = "quotation.declined"
DEAL_STATE_CHANGED = "deal.state_changed"
MOU_SIGNED = "mou.signed"
PRODUCT_PUBLISHED = "product.published"
ORGANISATION_VERIFIED = "organisation.verified"
APPROVAL_REQUESTED = "approval.requested"
WEBHOOK_DISABLED = "webhook.disabled"
# Published by other parts of the marketplace through the same outbox.
CERTIFICATE_EXPIRING = "certificate.expiring"
SAVED_SEARCH_MATCHED = "saved_search.matched"
RFQ_MATCHED = "rfq.matched"

KNOWN: tuple[str, ...] = (
    INQUIRY_INVITED,
    INQUIRY_COUNTER_OFFER,
    INQUIRY_MESSAGE,
    QUOTATION_SUBMITTED,
    QUOTATION_REVISED,
    QUOTATION_ACCEPTED,
    QUOTATION_DECLINED,
    DEAL_STATE_CHANGED,
    MOU_SIGNED,
    PRODUCT_PUBLISHED,
    ORGANISATION_VERIFIED,
    APPROVAL_REQUESTED,
    WEBHOOK_DISABLED,
    CERTIFICATE_EXPIRING,
    SAVED_SEARCH_MATCHED,
    RFQ_MATCHED,
)
# Alerts of what one person chose to follow (a saved search, an RFQ board filter): theirs alone, never an
# organisation's, so no webhook receives them.
PERSONAL: tuple[str, ...] = (SAVED_SEARCH_MATCHED, RFQ_MATCHED)

NAME = re.compile(r"[a-z][a-z_]*\.[a-z][a-z_]*")


def is_event_name(name: str) -> bool:
    """A well-formed name (`domain.event`); `KNOWN` lists those published today."""
    return bool(NAME.fullmatch(name))
