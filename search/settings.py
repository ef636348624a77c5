"""The products index: its name and settings, declared here and applied by the worker at start.

Filters and facets use stable codes (province codes, group and certification codes), never display
names: Meilisearch filters are accent-sensitive, so `province = 'Kien Giang'` would silently match nothing.
"""

from __future__ import annotations

from typing import Any

PRODUCTS = "products"

# Searched through accent folding (Meilisearch's normal behaviour).
FOLDED_FIELDS = [
    "name", "nameEn", "synonyms", "english", "category", "provinceNames", "producerName", "places", "unit",
    "packaging",  # of the variants
]  # fmt: skip
# Searched last: long texts, whose words say less about what a product is than its name does.
TEXT_FIELDS = ["description", "descriptionEn"]
# Searched with tones kept (Telex spelling, see search/vietnamese.py), provinces as one word each (see
# search.query.mark_provinces) and glossary concepts as one token each (search/glossary.py): exact words,
# never typos.
TONE_FIELDS = ["toneName", "toneText"]
PROVINCE_FIELD = "provinceTokens"
CONCEPT_FIELD = "conceptTokens"
# Not searched for a query that is wholly Vietnamese (see search.query.Reading.vietnamese).
ENGLISH_FIELDS = ("nameEn", "english", "descriptionEn")

PRODUCT_SETTINGS: dict[str, Any] = {
    "searchableAttributes": [
        *FOLDED_FIELDS[:4],
        *TONE_FIELDS,
        CONCEPT_FIELD,
        PROVINCE_FIELD,
        *FOLDED_FIELDS[4:],
        *TEXT_FIELDS,
    ],
    "filterableAttributes": [
        "id",  # the worker reads current versions by id before writing (see workers/indexer.py)
        "status",
        "provinceCode",
        "formerProvinceCode",
        "group",
        "stars",
        "priceVnd",
        "certifications",
        "producerId",
        "producerVerified",
        "moq",
        "tags",  # derived from the product's data (search/attributes.py)
        "packSizes",
        "packaging",  # the variants' packaging, a facet
        "prices",  # the product's price and its variants'
        "validUntilDay",  # expired certificates, against the day of the search
        "pendingFiveStar",
    ],
    "sortableAttributes": ["priceVnd", "stars", "createdAt", "name"],
    "displayedAttributes": ["*"],
    # "sort" first: a buyer who sorts by price wants price order; without a sort parameter it does nothing.
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness", "stars:desc"],
    # A one-letter difference in a Telex spelling is a different tone, and in a province token another
    # province: never a typo there.
    "typoTolerance": {"disableOnAttributes": [*TONE_FIELDS, PROVINCE_FIELD, CONCEPT_FIELD]},
    "faceting": {"maxValuesPerFacet": 200},
    "pagination": {"maxTotalHits": 5000},
}
