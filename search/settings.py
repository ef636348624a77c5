"""The products index: its name and settings, declared here and applied by the worker at start.

Filters and facets use stable codes (province codes, group and certification codes), never display
names: Meilisearch filters are accent-sensitive, so `province = 'Kien Giang'` would silently match nothing.
"""

from __future__ import annotations

from typing import Any

PRODUCTS = "products"

PRODUCT_SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["name", "category", "producerName", "provinceNames", "description"],
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
    ],
    "sortableAttributes": ["priceVnd", "stars", "createdAt", "name"],
    "displayedAttributes": ["*"],
    "faceting": {"maxValuesPerFacet": 200},
    "pagination": {"maxTotalHits": 5000},
}
