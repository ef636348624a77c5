"""Pure pieces of the sync worker and the catalog rules."""

from datetime import date

from bson import Timestamp

from market.catalog.records import Certification, ProducerType, ProductGroup
from market.catalog.validation import default_valid_until, parse_certification, parse_group, parse_producer_type
from workers.sync import token_time


def test_token_time_reads_the_cluster_time() -> None:
    token = {"_data": "826B0569F7000000132B022C0100296E5A1004E625AC5D65DA4DC5A313207D6046089C46645F6964006"}
    assert token_time(token) == Timestamp(0x6B0569F7, 0x13)
    assert token_time(None) is None
    assert token_time({"_data": "zz"}) is None


def test_certificate_validity_defaults_to_36_months() -> None:
    assert default_valid_until(date(2023, 5, 12)) == date(2026, 5, 12)
    assert default_valid_until(date(2024, 2, 29)) == date(2027, 2, 28)


def test_enumerations_accept_vietnamese_names() -> None:
    assert parse_producer_type("Hợp tác xã") is ProducerType.COOPERATIVE
    assert parse_producer_type("hộ kinh doanh") is ProducerType.HOUSEHOLD
    assert parse_group("Đồ uống") is ProductGroup.BEVERAGE
    assert parse_group("TOURISM_SERVICE") is ProductGroup.TOURISM_SERVICE
    assert parse_certification("ISO 22000") is Certification.ISO22000
    assert parse_certification("hữu cơ") is Certification.ORGANIC
    assert parse_certification("nonsense") is None
