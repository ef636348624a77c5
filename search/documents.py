"""Projection of a product (with its producer) into its search document."""

from __future__ import annotations

from typing import Any

from market.models import Producer, Product, ProductStatus
from market.provinces import load_provinces

# Fields compared by the drift check: a document is stale when either is behind MongoDB.
VERSION_FIELDS = ("version", "producerVersion")


def is_indexed(product: Product) -> bool:
    """Drafts are indexed (a producer may search its own); archived products leave the index."""
    return product.status is not ProductStatus.ARCHIVED


def product_document(product: Product, producer: Producer) -> dict[str, Any]:
    provinces = load_provinces()
    province = provinces.get(product.province_code)
    province_name = province.name if province else product.province_code
    names = [province_name]
    if product.former_province and product.former_province != province_name:
        names.append(product.former_province)
    return {
        "id": str(product.id),
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "group": product.group.value,
        "stars": product.stars,
        "priceVnd": product.price_vnd,
        "unit": product.unit,
        "moq": product.moq,
        "certifications": [c.value for c in product.certifications],
        "provinceCode": product.province_code,
        "provinceName": province_name,
        "formerProvince": product.former_province,
        "formerProvinceCode": provinces.former_code(product.former_province) if product.former_province else None,
        "provinceNames": names,
        "producerId": str(product.producer_id),
        "producerName": producer.name,
        "producerType": producer.type.value,
        "producerVerified": producer.verified,
        "status": product.status.value,
        "image": product.images[0] if product.images else None,
        "createdAt": int(product.created_at.timestamp()),
        "version": product.version,
        "producerVersion": producer.version,
    }
