"""Which events a person hears of by email, and how often: immediately, in a daily digest, or not at all.
In-app notifications always arrive; email is what people choose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from market.accounts.policy import Viewer
from market.core.errors import DomainError, FieldError
from market.events import names
from market.notifications.records import Frequency, Preferences

if TYPE_CHECKING:
    from market.store import Store

# What a person who never chose hears of by email: what asks them to act. Approvals and verifications
# already send their own email, so they are in-app only unless chosen.
DEFAULT_EMAIL: Mapping[str, Frequency] = {
    names.INQUIRY_INVITED: Frequency.IMMEDIATE,
    names.INQUIRY_COUNTER_OFFER: Frequency.IMMEDIATE,
    names.QUOTATION_SUBMITTED: Frequency.IMMEDIATE,
    names.QUOTATION_REVISED: Frequency.IMMEDIATE,
    names.QUOTATION_ACCEPTED: Frequency.IMMEDIATE,
    names.QUOTATION_DECLINED: Frequency.IMMEDIATE,
    names.INQUIRY_MESSAGE: Frequency.DAILY,
    names.DEAL_STATE_CHANGED: Frequency.DAILY,
    names.MOU_SIGNED: Frequency.DAILY,
    names.PRODUCT_PUBLISHED: Frequency.OFF,
    names.ORGANISATION_VERIFIED: Frequency.OFF,
    names.APPROVAL_REQUESTED: Frequency.OFF,
    names.WEBHOOK_DISABLED: Frequency.IMMEDIATE,
    names.CERTIFICATE_EXPIRING: Frequency.IMMEDIATE,
    names.SAVED_SEARCH_MATCHED: Frequency.IMMEDIATE,
    names.RFQ_MATCHED: Frequency.IMMEDIATE,
}
LOCALES = ("vi", "en")


def frequency(preferences: Preferences, event: str) -> Frequency:
    return preferences.email.get(event) or DEFAULT_EMAIL.get(event, Frequency.OFF)


@dataclass(frozen=True, slots=True)
class EffectivePreferences:
    locale: str
    email: list[tuple[str, Frequency]]


async def preferences_of(store: Store, viewer: Viewer) -> EffectivePreferences:
    """Every known event with the frequency that applies, and the language of emails."""
    account = _account(viewer)
    stored = (await store.notifications.preferences_of([account]))[account]
    person = await store.accounts.get(account)
    locale = stored.locale or (person.locale if person else "vi")
    return EffectivePreferences(locale, [(name, frequency(stored, name)) for name in names.KNOWN])


async def update_preferences(
    store: Store, viewer: Viewer, events: Sequence[Mapping[str, Any]], locale: str | None
) -> EffectivePreferences:
    """Change the events named (others keep their choice) and, if given, the language."""
    account = _account(viewer)
    errors: list[FieldError] = []
    chosen: dict[str, Frequency] = {}
    for index, entry in enumerate(events):
        name = str(entry.get("event") or "").strip()
        if name not in names.KNOWN:
            errors.append(
                FieldError.of("unknown_event", f"events[{index}].event", got=name, allowed=", ".join(names.KNOWN))
            )
            continue
        chosen[name] = Frequency(entry["email"])
    if locale is not None and locale not in LOCALES:
        errors.append(FieldError.of("unknown_locale", "locale", got=locale))
    if errors:
        raise DomainError(errors)
    await store.notifications.save_preferences(account, chosen, locale)
    return await preferences_of(store, viewer)


def _account(viewer: Viewer) -> Any:
    """Every signed-in person and key has preferences of its own; the API asks for a key first."""
    assert viewer is not None
    return viewer.account_id
