"""The one catalogue of texts a client may show: error messages, the terms they name, and enum labels, each in
English and Vietnamese.

An error message is a template with `{param}` placeholders. Besides Python's own, a placeholder takes these
format specs:

- `{what:term}`: a term of TERMS (an object kind, an action, a party) in the message's language;
- `{parties:terms_or}`: a list of terms, joined by "or";
- `{state:a}`: the value after the English article it reads with ("an AGREED", "a LOST");
- `{reason:msg}`: another message of the catalogue, rendered with the same parameters;
- `{got:decimal}`: a number, or an amount with its measure, given with a decimal point and no thousands
  separator ("0.5 l"), written with the decimal mark of the message's language ("0,5 l" in Vietnamese).

A list parameter reads as its items joined by ", ". `{field}` is the field the error concerns.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Locale = Literal["en", "vi"]
LOCALES: tuple[Locale, ...] = ("en", "vi")


class Verbatim(str):
    """Text shown as it was written, where a template quotes text with `!r`: a number a client wrote with
    decimals (`40.000`) reads unquoted, as a number would."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True, slots=True)
class Message:
    code: str  # the ErrorCode an error with this message carries
    en: str
    vi: str


def _m(code: str, en: str, vi: str) -> Message:
    return Message(code, en, vi)


MESSAGES: dict[str, Message] = {
    # --- values of one field -------------------------------------------------------------------------------
    "required": _m("REQUIRED", "{field} is required", "{field} không được để trống"),
    "not_text": _m("INVALID", "{field} must be text", "{field} phải là văn bản"),
    "too_long": _m("TOO_LONG", "{field} is longer than {max} characters", "{field} dài quá {max} ký tự"),
    "query_too_long": _m(
        "TOO_LONG",
        "{field} is longer than {max} characters ({got})",
        "{field} dài quá {max} ký tự ({got} ký tự)",
    ),
    "not_whole_number": _m(
        "INVALID",
        "{field} must be a whole number, got {got!r}: {reason:msg}",
        "{field} phải là số nguyên, nhận được {got!r}: {reason:msg}",
    ),
    "out_of_range": _m(
        "OUT_OF_RANGE",
        "{field} must be between {min} and {max}, got {got}",
        "{field} phải từ {min} đến {max}, nhận được {got}",
    ),
    "between": _m("OUT_OF_RANGE", "{field} must be between {min} and {max}", "{field} phải từ {min} đến {max}"),
    "below_quoted_moq": _m(
        "INVALID",
        "{field}: the quotation's minimum order is {moq}, and the inquiry asks for {quantity}; ask the producer to "
        "revise it",
        "{field}: báo giá yêu cầu đặt tối thiểu {moq}, còn yêu cầu mua chỉ {quantity}; hãy đề nghị nhà sản xuất "
        "điều chỉnh báo giá",
    ),
    "deal_value_too_large": _m(
        "OUT_OF_RANGE",
        "{field} for the inquiry's {quantity} units comes to {got} đồng, more than a deal may be worth ({max} đồng)",
        "{field} cho {quantity} đơn vị của yêu cầu thành {got} đồng, vượt giá trị tối đa của một giao dịch "
        "({max} đồng)",
    ),
    "at_most": _m(
        "OUT_OF_RANGE", "{field} must be at most {max}, got {got}", "{field} không được lớn hơn {max}, nhận được {got}"
    ),
    "negative": _m("OUT_OF_RANGE", "{field} must not be negative", "{field} không được là số âm"),
    "not_positive_price": _m(
        "OUT_OF_RANGE",
        "{field} must be a positive amount in VND, got {got}",
        "{field} phải là số tiền dương tính bằng đồng, nhận được {got}",
    ),
    "in_the_past": _m("OUT_OF_RANGE", "{field} is in the past", "{field} đã qua"),
    "not_a_date": _m(
        "INVALID",
        "{field} must be a date as YYYY-MM-DD, got {got!r}",
        "{field} phải là ngày theo dạng YYYY-MM-DD, nhận được {got!r}",
    ),
    "too_late_to_certify": _m(
        "OUT_OF_RANGE", "{field} {got} is too late to certify", "{field} {got} quá muộn để chứng nhận"
    ),
    "not_after": _m("INVALID", "{field} must be after {other}", "{field} phải sau {other}"),
    "not_a_yes_no": _m(
        "INVALID", "{field}: {got!r} is neither yes nor no", "{field}: {got!r} không phải là có hoặc không"
    ),
    "pending_five_star_rated": _m(
        "INVALID",
        "{field}: a product rated 5★ is no longer awaiting 5★",
        "{field}: sản phẩm đã đạt 5★ thì không còn chờ xét 5★",
    ),
    "before": _m("INVALID", "{field} is before {other}", "{field} sớm hơn {other}"),
    "certificate_too_long": _m(
        "OUT_OF_RANGE",
        "{field} must be at most {years} years after {other}, by {max}, got {got}",
        "{field} chỉ được muộn nhất {years} năm sau {other}, tức ngày {max}, nhận được {got}",
    ),
    "unknown_value": _m("INVALID", "unknown {what:term} {got!r}", "{what:term} không hợp lệ: {got!r}"),
    "unknown_certification": _m(
        "INVALID",
        "unknown certification {got!r}; known: {allowed}",
        "chứng nhận không hợp lệ: {got!r}; các chứng nhận được nhận: {allowed}",
    ),
    "unknown_province": _m("UNKNOWN_PROVINCE", "unknown province {got!r}", "không có tỉnh, thành phố nào là {got!r}"),
    "not_a_list": _m("INVALID", "{field} must be a list", "{field} phải là một danh sách"),
    "duplicate_translation": _m("INVALID", "the {got} translation is given twice", "bản dịch {got} được nhập hai lần"),
    "too_many_tiers": _m(
        "INVALID", "{field} must be a list of at most {max} tiers", "{field} phải là danh sách tối đa {max} bậc giá"
    ),
    "same_tier_quantity": _m("INVALID", "two tiers have the same minQuantity", "hai bậc giá có cùng minQuantity"),
    "too_many_variants": _m(
        "INVALID",
        "{field} must be a list of at most {max} variants, got {got}",
        "{field} phải là danh sách tối đa {max} quy cách, nhận được {got}",
    ),
    "not_a_variant_id": _m(
        "INVALID", "{got!r} is not a variant id", "{got!r} không phải là mã quy cách (id của biến thể)"
    ),
    "not_a_net_quantity": _m(
        "INVALID",
        "{field} must be an amount with ml, l, g or kg (500 ml, 1,2 kg), got {got!r}",
        "{field} phải là một lượng kèm ml, l, g hoặc kg (500 ml, 1,2 kg), nhận được {got!r}",
    ),
    "ambiguous_net_quantity": _m(
        "INVALID",
        "{field} {got!r} is ambiguous: a dot before three digits separates thousands in Vietnamese and marks "
        "decimals in English; write {grouped}, or {decimal} with a decimal comma",
        "{field} {got!r} không rõ nghĩa: tiếng Việt dùng dấu chấm trước ba chữ số để tách hàng nghìn, tiếng Anh "
        "dùng làm dấu thập phân; hãy viết {grouped}, hoặc {decimal} với dấu phẩy thập phân",
    ),
    "net_quantity_range": _m(
        "OUT_OF_RANGE",
        "{field} must be above 0 and at most {max}, with at most {decimals} decimals, got {got:decimal}",
        "{field} phải lớn hơn 0 và không quá {max}, tối đa {decimals} chữ số thập phân, nhận được {got:decimal}",
    ),
    "gtin_length": _m(
        "INVALID",
        "{field} must be a GTIN of {lengths} digits, got {got!r}",
        "{field} phải là mã GTIN gồm {lengths} chữ số, nhận được {got!r}",
    ),
    "gtin_check_digit": _m(
        "INVALID",
        "{field} {got} has a wrong check digit: the last digit should be {expected}",
        "{field} {got} sai số kiểm tra: chữ số cuối phải là {expected}",
    ),
    "duplicate_variant": _m(
        "DUPLICATE",
        "variant {first} already has this packaging and net quantity",
        "quy cách {first} đã có cùng bao bì và khối lượng tịnh",
    ),
    "duplicate_variant_value": _m(
        "DUPLICATE", "{field} repeats that of variant {first}", "{field} trùng với quy cách {first}"
    ),
    "priced_by_variants": _m(
        "INVALID",
        "{field} of a product with variants is its first variant's: change the variants instead",
        "{field} của sản phẩm có nhiều quy cách là của quy cách đầu tiên: hãy sửa các quy cách",
    ),
    "variant_needs_product": _m(
        "INVALID",
        "{field} names a variant of a product: give productId too",
        "{field} là quy cách của một sản phẩm: cần có cả productId",
    ),
    "variant_rows_apart": _m(
        "INVALID",
        "the variant rows of {got!r} must follow each other (its first row is line {first})",
        "các dòng quy cách của {got!r} phải liền nhau (dòng đầu tiên là dòng {first})",
    ),
    "variant_row_differs": _m(
        "INVALID",
        "{field} differs from the product's first row (line {first})",
        "{field} khác với dòng đầu tiên của sản phẩm (dòng {first})",
    ),
    "variant_group_refused": _m(
        "INVALID",
        "another variant row of this product was refused (line {line}): the product is not imported",
        "một dòng quy cách khác của sản phẩm này bị từ chối (dòng {line}): sản phẩm không được nhập",
    ),
    "too_many_urls": _m(
        "INVALID", "{field} must be a list of at most {max} URLs", "{field} phải là danh sách tối đa {max} URL"
    ),
    "not_a_url": _m("INVALID", "{got!r} is not an http(s) URL", "{got!r} không phải là URL http(s)"),
    "not_an_email": _m("INVALID", "{got!r} is not an email address", "{got!r} không phải là địa chỉ email"),
    "not_a_phone": _m("INVALID", "{got!r} is not a phone number", "{got!r} không phải là số điện thoại"),
    "import_status": _m(
        "INVALID",
        "{field} must be {allowed:terms_or}, got {got!r}",
        "{field} phải là {allowed:terms_or}, nhận được {got!r}",
    ),
    "key_length": _m("INVALID", "{field} must be 1–{max} characters", "{field} phải dài từ 1 đến {max} ký tự"),
    # --- files to import (market/core/table_files.py, market/catalog/importer.py) ------------------------------
    "file_empty": _m("INVALID", "the file has no header row", "tệp không có dòng tiêu đề"),
    "file_not_a_workbook": _m(
        "INVALID",
        "the file is not a workbook that can be read ({reason})",
        "tệp không phải là bảng tính đọc được ({reason})",
    ),
    "file_too_large_unpacked": _m(
        "INVALID",
        "the workbook unpacks to more than {max_mib} MiB or is compressed more than {ratio} times; it is refused "
        "unread",
        "bảng tính giải nén ra hơn {max_mib} MiB hoặc bị nén hơn {ratio} lần; tệp bị từ chối, không được đọc",
    ),
    "file_unknown_encoding": _m(
        "INVALID",
        "the text is in none of the encodings read here: UTF-8, UTF-16 or Windows-1258",
        "văn bản không thuộc bảng mã nào đọc được: UTF-8, UTF-16 hoặc Windows-1258",
    ),
    "file_malformed_text": _m(
        "INVALID", "line {line} cannot be read: {reason}", "không đọc được dòng {line}: {reason}"
    ),
    "unknown_column": _m(
        "INVALID",
        "unknown columns (line {line}): {got}; rename or remove them. Known columns: {known}",
        "không rõ các cột (dòng {line}): {got}; hãy đổi tên hoặc xóa các cột này. Các cột được nhận: {known}",
    ),
    "duplicate_column": _m(
        "INVALID",
        "columns {got!r} and {other!r} (line {line}) both give {target}",
        "cột {got!r} và cột {other!r} (dòng {line}) cùng là {target}",
    ),
    "malformed_json_line": _m(
        "INVALID", "malformed JSON: {reason} at column {column}", "JSON sai cú pháp: {reason} tại cột {column}"
    ),
    "unreadable_json_line": _m("INVALID", "unreadable JSON: {reason}", "không đọc được JSON: {reason}"),
    "json_line_not_object": _m("INVALID", "each line must be a JSON object", "mỗi dòng phải là một đối tượng JSON"),
    "duplicate_in_file": _m(
        "DUPLICATE",
        "duplicate externalId {got!r}: first seen at line {first}",
        "externalId {got!r} bị trùng: đã có ở dòng {first}",
    ),
    "import_date": _m(
        "INVALID",
        "{field} must be a date as dd/mm/yyyy or YYYY-MM-DD, got {got!r}",
        "{field} phải là ngày theo dạng dd/mm/yyyy hoặc YYYY-MM-DD, nhận được {got!r}",
    ),
    "report_format": _m(
        "INVALID",
        "{field} must end in .csv or .xlsx, got {got!r}",
        "{field} phải có đuôi .csv hoặc .xlsx, nhận được {got!r}",
    ),
    "import_other_producer": _m(
        "FORBIDDEN",
        "this row names producer {got!r}; you may import only the products of {own!r}",
        "dòng này ghi chủ thể {got!r}; bạn chỉ được nhập sản phẩm của {own!r}",
    ),
    "import_other_province": _m(
        "FORBIDDEN",
        "this row's province is {got!r}; your office imports only the products of {own!r}",
        "tỉnh của dòng này là {got!r}; văn phòng của bạn chỉ được nhập sản phẩm của {own!r}",
    ),
    # --- why a text is not a whole number (the `reason` of not_whole_number) ----------------------------------
    "nan": _m("INVALID", "it is not a number", "đây không phải là số"),
    "not_finite": _m("INVALID", "it is not a finite number", "đây không phải là số hữu hạn"),
    "fraction": _m("INVALID", "it has a fraction", "số có phần thập phân"),
    "empty": _m("INVALID", "it is empty", "ô này trống"),
    "plain_digits_only": _m(
        "INVALID",
        "only plain digits are allowed, without separators or decimals",
        "chỉ được dùng chữ số, không có dấu phân cách hay phần thập phân",
    ),
    "too_many_digits": _m("INVALID", "it has more than {digits} digits", "số có nhiều hơn {digits} chữ số"),
    "ambiguous_comma": _m(
        "INVALID",
        "a comma is ambiguous (a thousands separator in English, the decimal mark in Vietnamese); "
        "write 1.500.000 or 1500000",
        "dấu phẩy không rõ nghĩa (tiếng Anh dùng để tách hàng nghìn, tiếng Việt dùng làm dấu thập phân); "
        "hãy viết 1.500.000 hoặc 1500000",
    ),
    "decimal_comma": _m(
        "INVALID",
        "it has a decimal comma; only whole numbers are allowed",
        "số có dấu phẩy thập phân; chỉ được dùng số nguyên",
    ),
    "mixed_separators": _m(
        "INVALID",
        "it mixes dots and spaces as thousands separators",
        "số dùng lẫn dấu chấm và khoảng trắng để tách hàng nghìn",
    ),
    "leading_zero": _m(
        "INVALID",
        "a leading 0 before a separator reads as a decimal, as in 0.500",
        "số 0 đứng trước dấu phân cách được hiểu là số thập phân, như 0.500",
    ),
    "groups_of_three": _m(
        "INVALID",
        "separators must split the digits into groups of three, as in 1.500.000; decimals are not allowed",
        "dấu phân cách phải chia chữ số thành nhóm ba, như 1.500.000; không được có phần thập phân",
    ),
    "digits_and_separators": _m(
        "INVALID",
        "only digits and thousands separators are allowed, as in 1.500.000",
        "chỉ được dùng chữ số và dấu tách hàng nghìn, như 1.500.000",
    ),
    "json_thousands": _m(
        "INVALID",
        "the JSON number {written} reads as {decimal}, but as {grouped} with Vietnamese thousands separators; "
        "write the digits without a dot",
        "số JSON {written} được hiểu là {decimal}, nhưng là {grouped} nếu dấu chấm tách hàng nghìn như tiếng "
        "Việt; hãy viết các chữ số không có dấu chấm",
    ),
    # --- ids, cursors and pages -----------------------------------------------------------------------------
    "not_found": _m("NOT_FOUND", "{what:term} does not exist", "{what:term} không tồn tại"),
    "not_an_id_of": _m("INVALID", "{field} is not a {type} id", "{field} không phải là id của {type}"),
    "not_a_global_id": _m("INVALID", "{field} is not a global id", "{field} không phải là id toàn cục"),
    "not_a_list_cursor": _m(
        "INVALID", "{field} is not a cursor from this list", "{field} không phải là con trỏ của danh sách này"
    ),
    "not_a_search_cursor": _m(
        "INVALID", "{field} is not a cursor from this search", "{field} không phải là con trỏ của lượt tìm kiếm này"
    ),
    "not_a_subscription_cursor": _m(
        "INVALID",
        "{field} is not a cursor of this subscription",
        "{field} không phải là con trỏ của lượt theo dõi này",
    ),
    "cursor_expired": _m(
        "INVALID",
        "this cursor can no longer be resumed: subscribe without `after` and reload",
        "không thể tiếp tục từ con trỏ này nữa: hãy theo dõi lại không kèm `after` và tải lại dữ liệu",
    ),
    "first_and_last": _m(
        "INVALID",
        "first and last cannot be combined: page forward with first and after, or backward with last and before",
        "không được dùng first cùng với last: lật trang tới bằng first và after, hoặc lùi bằng last và before",
    ),
    "too_many_ids": _m("OUT_OF_RANGE", "at most {max} ids at once", "tối đa {max} id một lần"),
    "results_window": _m(
        "OUT_OF_RANGE",
        "search results stop at {max} hits; refine the query",
        "kết quả tìm kiếm chỉ có tối đa {max} mục; hãy thu hẹp truy vấn",
    ),
    # --- uniqueness and concurrency -------------------------------------------------------------------------
    "duplicate_producer": _m(
        "DUPLICATE",
        "a producer with this name already exists in this province",
        "tỉnh này đã có chủ thể sản xuất trùng tên",
    ),
    "duplicate_external_id": _m(
        "DUPLICATE",
        "this producer already has a product with this externalId",
        "chủ thể này đã có sản phẩm với externalId này",
    ),
    "duplicate_booth_number": _m(
        "DUPLICATE",
        "{field} repeats the number of booths[{other}], {number}: each booth of an event has its own",
        "{field} trùng số với booths[{other}], {number}: mỗi gian hàng của sự kiện phải có số riêng",
    ),
    "stale_version": _m(
        "CONFLICT",
        "the record was changed by someone else: expected version {expected}, current version is {current}",
        "bản ghi đã bị người khác thay đổi: phiên bản mong đợi {expected}, phiên bản hiện tại {current}",
    ),
    "stale_revision": _m(
        "CONFLICT",
        "revision {revision} is not the latest; the producer revised it to {latest}",
        "bản {revision} không phải bản mới nhất; chủ thể đã sửa thành bản {latest}",
    ),
    "quotation_changed": _m(
        "CONFLICT",
        "the quotation changed meanwhile; try again",
        "báo giá vừa thay đổi; hãy thử lại",
    ),
    "idempotency_key_reused": _m(
        "IDEMPOTENCY_KEY_REUSED",
        "this idempotencyKey was already used with a different input",
        "idempotencyKey này đã được dùng với dữ liệu khác",
    ),
    # --- states ---------------------------------------------------------------------------------------------
    "archived_product": _m(
        "INVALID_STATE",
        "an archived product cannot be edited; publish it again first",
        "không thể sửa sản phẩm đã lưu trữ; hãy đăng lại trước",
    ),
    "already_published": _m("INVALID_STATE", "the product is already published", "sản phẩm đã được đăng"),
    "draft_product_lot": _m(
        "INVALID_STATE",
        "a lot's trace page shows its product to anyone: publish the product first",
        "trang truy xuất của lô hàng hiển thị sản phẩm cho mọi người: hãy đăng sản phẩm trước",
    ),
    "already_archived": _m("INVALID_STATE", "the product is already archived", "sản phẩm đã được lưu trữ"),
    "published_product_kept": _m(
        "INVALID_STATE",
        "a product that has been published cannot be deleted; archive it instead",
        "không thể xóa sản phẩm đã từng được đăng; hãy lưu trữ sản phẩm",
    ),
    "product_has_records": _m(
        "INVALID_STATE",
        "the product has lots or documents recorded; archive it instead",
        "sản phẩm đã có lô hàng hoặc hồ sơ; hãy lưu trữ sản phẩm",
    ),
    "quotation_final": _m(
        "INVALID_STATE",
        "your quotation was {status}; it can no longer change",
        "báo giá của bạn đã ở trạng thái {status}; không thể thay đổi nữa",
    ),
    "quotation_already": _m("INVALID_STATE", "the quotation is already {status}", "báo giá đã ở trạng thái {status}"),
    "quotation_is": _m("INVALID_STATE", "the quotation is {status}", "báo giá đang ở trạng thái {status}"),
    "revision_expired": _m("INVALID_STATE", "this revision's validity has ended", "bản báo giá này đã hết hiệu lực"),
    "inquiry_closed": _m(
        "INVALID_STATE",
        "this inquiry accepts no {action:term}: {reason:msg}",
        "yêu cầu này không nhận thêm {action:term}: {reason:msg}",
    ),
    "expired_on": _m("INVALID_STATE", "it expired on {expiredOn}", "yêu cầu đã hết hạn ngày {expiredOn}"),
    "closed_by_buyer": _m("INVALID_STATE", "the buyer closed it", "bên mua đã đóng yêu cầu"),
    "quotation_accepted": _m("INVALID_STATE", "the buyer accepted a quotation", "bên mua đã chấp nhận một báo giá"),
    "closed": _m("INVALID_STATE", "it is closed", "yêu cầu đã đóng"),
    "deal_without_mou": _m(
        "INVALID_STATE",
        "a {state} deal cannot get an MoU",
        "thương vụ ở trạng thái {state} không thể có biên bản ghi nhớ",
    ),
    "mou_exists": _m("INVALID_STATE", "this deal already has an MoU", "thương vụ này đã có biên bản ghi nhớ"),
    "invalid_transition": _m(
        "INVALID_TRANSITION",
        "{state:a} deal cannot move to {to}; allowed: {allowed}",
        "thương vụ ở trạng thái {state} không thể chuyển sang {to}; chỉ được chuyển sang: {allowed}",
    ),
    "final_state": _m(
        "INVALID_TRANSITION",
        "{state:a} deal cannot move to {to}; allowed: none (final state)",
        "thương vụ ở trạng thái {state} không thể chuyển sang {to}; đây là trạng thái cuối",
    ),
    # --- trade inputs ---------------------------------------------------------------------------------------
    "order_terms_required": _m(
        "REQUIRED",
        "placing the order needs its quantity, value and delivery date",
        "đặt hàng cần có số lượng, giá trị và ngày giao",
    ),
    "criteria_required": _m(
        "REQUIRED",
        "an open RFQ needs a query text or at least one criterion",
        "yêu cầu báo giá mở cần có nội dung tìm kiếm hoặc ít nhất một tiêu chí",
    ),
    "product_or_criteria": _m(
        "INVALID",
        "give either productId (a direct inquiry) or criteria (an open RFQ)",
        "chỉ nhập một trong hai: productId (hỏi hàng trực tiếp) hoặc criteria (yêu cầu báo giá mở)",
    ),
    "thread_producer_required": _m(
        "REQUIRED",
        "the buyer names the producer whose thread this is",
        "bên mua cần chỉ rõ chủ thể sản xuất của cuộc trao đổi",
    ),
    "not_invited": _m(
        "NOT_FOUND",
        "this producer was not invited to this inquiry",
        "chủ thể này không được mời vào yêu cầu này",
    ),
    "unknown_buyers": _m(
        "NOT_FOUND", "unknown buyer organisations: {ids}", "không có tổ chức bên mua nào có id: {ids}"
    ),
    "unknown_products": _m("NOT_FOUND", "unknown products: {ids}", "không có sản phẩm nào có id: {ids}"),
    "booth_products_of_others": _m(
        "INVALID",
        "a booth shows its own producer's products; these are another producer's: {ids}",
        "gian hàng chỉ trưng bày sản phẩm của chủ thể sản xuất của gian hàng; các sản phẩm này thuộc chủ thể "
        "khác: {ids}",
    ),
    "booth_products_not_published": _m(
        "INVALID_STATE",
        "a booth is open to every visitor, so it shows published products only; these are drafts or archived: {ids}",
        "gian hàng mở cho mọi khách tham quan nên chỉ trưng bày sản phẩm đã đăng; các sản phẩm này là bản nháp hoặc "
        "đã lưu trữ: {ids}",
    ),
    "booth_products_repeated": _m(
        "INVALID",
        "a booth lists each of its products once; these are listed more than once: {ids}",
        "gian hàng chỉ liệt kê mỗi sản phẩm một lần; các sản phẩm này được liệt kê nhiều lần: {ids}",
    ),
    "signed_outside_event": _m(
        "OUT_OF_RANGE",
        "{field} must fall within the trade event's days, {startsOn} to {endsOn}, got {got}",
        "{field} phải nằm trong thời gian diễn ra sự kiện, từ {startsOn} đến {endsOn}, nhận được {got}",
    ),
    "signed_today_outside_event": _m(
        "OUT_OF_RANGE",
        "without {field} the MoU is dated today, {got}, outside the trade event's days, {startsOn} to {endsOn}: "
        "give the day it was signed",
        "không có {field} thì biên bản ghi nhớ mang ngày hôm nay, {got}, ngoài thời gian diễn ra sự kiện, từ "
        "{startsOn} đến {endsOn}: hãy nhập ngày ký",
    ),
    # --- accounts (the command line) ------------------------------------------------------------------------
    "org_required": _m("REQUIRED", "a {role} account needs --org", "tài khoản {role} cần --org"),
    "not_an_org_id": _m("INVALID", "{got!r} is not an organisation id", "{got!r} không phải là id của tổ chức"),
    "no_org_with_id": _m("NOT_FOUND", "no {what:term} with id {id}", "không có {what:term} nào có id {id}"),
    "org_not_allowed": _m(
        "INVALID", "a {role} account belongs to no organisation", "tài khoản {role} không thuộc tổ chức nào"
    ),
    "province_required": _m(
        "UNKNOWN_PROVINCE",
        "a coordinator needs a known --province",
        "tài khoản điều phối cần một --province hợp lệ",
    ),
    "key_reference": _m(
        "INVALID",
        "give the key, its hint (ocop_XXXX) or its id",
        "hãy nhập khóa, gợi ý của nó (ocop_XXXX) hoặc id của nó",
    ),
    "ambiguous_key_hint": _m(
        "INVALID",
        "several keys share this hint; give one of the ids: {ids}",
        "nhiều khóa có cùng gợi ý này; hãy nhập một trong các id: {ids}",
    ),
    # --- permissions ----------------------------------------------------------------------------------------
    "forbidden_register_producers": _m(
        "FORBIDDEN",
        "only an admin or the provincial OCOP office of this province may register producers",
        "chỉ quản trị viên hoặc văn phòng OCOP của tỉnh này mới được đăng ký chủ thể sản xuất",
    ),
    "forbidden_change_producer": _m(
        "FORBIDDEN", "you may not change this producer", "bạn không được sửa chủ thể sản xuất này"
    ),
    "forbidden_verify_producer": _m(
        "FORBIDDEN",
        "only an admin or the provincial OCOP office may change verification",
        "chỉ quản trị viên hoặc văn phòng OCOP tỉnh mới được thay đổi việc xác minh",
    ),
    "forbidden_import_products": _m(
        "FORBIDDEN",
        "only a producer's members, a provincial OCOP office or an admin may import or export products",
        "chỉ thành viên của chủ thể, văn phòng OCOP tỉnh hoặc quản trị viên mới được nhập, xuất sản phẩm",
    ),
    "forbidden_manage_products": _m(
        "FORBIDDEN",
        "only members of this producer or an admin may manage its products",
        "chỉ thành viên của chủ thể này hoặc quản trị viên mới được quản lý sản phẩm của chủ thể",
    ),
    "forbidden_no_organisation": _m(
        "FORBIDDEN",
        "this account belongs to no organisation, so it cannot {action:term}",
        "tài khoản này không thuộc tổ chức nào nên không thể {action:term}",
    ),
    "forbidden_not_buyer": _m(
        "FORBIDDEN",
        "only members of a buyer organisation may {action:term}",
        "chỉ thành viên của tổ chức bên mua mới được {action:term}",
    ),
    "forbidden_not_party": _m(
        "FORBIDDEN",
        "only the {party:term} of this inquiry may {action:term}",
        "chỉ {party:term} của yêu cầu này mới được {action:term}",
    ),
    "forbidden_thread": _m(
        "FORBIDDEN",
        "only the buyer and the invited producers may write here",
        "chỉ bên mua và các chủ thể được mời mới được viết ở đây",
    ),
    "only_buyer_counters": _m(
        "FORBIDDEN", "only the buyer makes counter-offers", "chỉ bên mua mới được đưa ra giá đề nghị lại"
    ),
    "forbidden_board_anonymous": _m(
        "FORBIDDEN", "sign in to see the RFQ board", "hãy đăng nhập để xem bảng yêu cầu báo giá"
    ),
    "forbidden_board": _m(
        "FORBIDDEN", "the RFQ board is for producers", "bảng yêu cầu báo giá dành cho chủ thể sản xuất"
    ),
    "forbidden_mou": _m(
        "FORBIDDEN",
        "only the buyer or the producer of the deal signs its MoU",
        "chỉ bên mua hoặc chủ thể sản xuất của thương vụ mới được ký biên bản ghi nhớ",
    ),
    "forbidden_events": _m(
        "FORBIDDEN",
        "only an admin or the provincial OCOP office may organise trade events here",
        "chỉ quản trị viên hoặc văn phòng OCOP tỉnh mới được tổ chức sự kiện xúc tiến thương mại ở đây",
    ),
    "forbidden_stats": _m(
        "FORBIDDEN",
        "only an admin, or the OCOP office of this province, may read these statistics",
        "chỉ quản trị viên hoặc văn phòng OCOP của tỉnh này mới được xem các số liệu này",
    ),
    "forbidden_move": _m(
        "FORBIDDEN",
        "only the {parties:terms_or} may move this deal to {to}",
        "chỉ {parties:terms_or} mới được chuyển thương vụ này sang {to}",
    ),
    # --- documents, lots and sample requests -----------------------------------------------------------------
    "file_too_large": _m(
        "OUT_OF_RANGE",
        "{field} is larger than {max} bytes ({got} bytes)",
        "{field} lớn quá {max} byte ({got} byte)",
    ),
    "file_type_not_allowed": _m(
        "INVALID",
        "{field} must be a {allowed:terms_or} file; its content is none of these",
        "{field} phải là tệp {allowed:terms_or}; nội dung tệp không thuộc loại nào trong số này",
    ),
    "file_type_mismatch": _m(
        "INVALID",
        "{field} is declared as {declared} but its content is {detected}",
        "{field} được khai báo là {declared} nhưng nội dung lại là {detected}",
    ),
    "document_target": _m(
        "INVALID",
        "give either productId (a product's document) or producerId (the producer's own)",
        "chỉ nhập một trong hai: productId (giấy tờ của sản phẩm) hoặc producerId (giấy tờ của chủ thể)",
    ),
    "duplicate_lot": _m(
        "DUPLICATE",
        "this product already has a lot numbered {lotNumber}",
        "sản phẩm này đã có lô số {lotNumber}",
    ),
    "sample_request_is": _m(
        "INVALID_STATE", "the sample request is {status}", "yêu cầu gửi mẫu đang ở trạng thái {status}"
    ),
    "sample_already_converted": _m(
        "INVALID_STATE",
        "this sample request already led to an inquiry",
        "yêu cầu gửi mẫu này đã được chuyển thành yêu cầu hỏi hàng",
    ),
    "forbidden_documents": _m(
        "FORBIDDEN",
        "only members of this producer or an admin may attach or remove its documents",
        "chỉ thành viên của chủ thể này hoặc quản trị viên mới được đính kèm hoặc gỡ giấy tờ của chủ thể",
    ),
    "forbidden_sample_party": _m(
        "FORBIDDEN",
        "only the {party:term} of this sample request may {action:term}",
        "chỉ {party:term} của yêu cầu gửi mẫu này mới được {action:term}",
    ),
    # --- capacity -------------------------------------------------------------------------------------------
    "too_many_subscriptions": _m(
        "TOO_MANY_SUBSCRIPTIONS",
        "an account may follow at most {max} subscriptions at once; end one first",
        "mỗi tài khoản chỉ được theo dõi tối đa {max} luồng cùng lúc; hãy kết thúc một luồng trước",
    ),
    "server_full": _m(
        "UNAVAILABLE",
        "this server follows all it can; retry in a moment",
        "máy chủ đang theo dõi hết khả năng; hãy thử lại sau giây lát",
    ),
    "temporarily_unavailable": _m(
        "UNAVAILABLE", "{what:term} is temporarily unavailable", "{what:term} tạm thời không dùng được"
    ),
    "search_refused": _m(
        "INVALID", "{what:term} could not apply this {field}", "{what:term} không áp dụng được {field} này"
    ),
    # --- identity: sign-up, sign-in, members ----------------------------------------------------------------
    "org_not_verified": _m(
        "ORG_NOT_VERIFIED",
        "your organisation is not verified yet ({status}): you may {action:term} once the provincial OCOP office "
        "has verified it",
        "tổ chức của bạn chưa được xác minh ({status}): bạn có thể {action:term} sau khi văn phòng OCOP tỉnh xác "
        "minh tổ chức",
    ),
    "forbidden_viewer_role": _m(
        "FORBIDDEN",
        "your role in the organisation (VIEWER) only reads; you may not {action:term}",
        "vai trò của bạn trong tổ chức (VIEWER) chỉ được xem; bạn không được {action:term}",
    ),
    "forbidden_members": _m(
        "FORBIDDEN",
        "only the organisation's owners and managers may {action:term}",
        "chỉ chủ sở hữu và quản lý của tổ chức mới được {action:term}",
    ),
    "forbidden_owners": _m(
        "FORBIDDEN",
        "only the organisation's owners may {action:term}",
        "chỉ chủ sở hữu của tổ chức mới được {action:term}",
    ),
    "forbidden_member_role": _m(
        "FORBIDDEN",
        "your role ({actor}) may not {action:term} for a {role} member",
        "vai trò của bạn ({actor}) không được {action:term} đối với thành viên {role}",
    ),
    "forbidden_review": _m(
        "FORBIDDEN",
        "only an admin or a provincial OCOP office reviews organisations",
        "chỉ quản trị viên hoặc văn phòng OCOP tỉnh mới được xét duyệt tổ chức",
    ),
    "forbidden_review_province": _m(
        "FORBIDDEN",
        "only an admin or the OCOP office of the organisation's province may review it",
        "chỉ quản trị viên hoặc văn phòng OCOP của tỉnh nơi tổ chức đặt trụ sở mới được xét duyệt tổ chức này",
    ),
    "forbidden_approval_above_limit": _m(
        "FORBIDDEN",
        "this purchase is above your own spending limit ({limit} đồng): an approver without a limit, or with a "
        "higher one, decides it",
        "giao dịch mua này vượt hạn mức chi tiêu của chính bạn ({limit} đồng): người có hạn mức cao hơn hoặc không "
        "giới hạn sẽ phê duyệt",
    ),
    "forbidden_limit_above_own": _m(
        "FORBIDDEN",
        "you are bound by a spending limit of {limit} đồng, so you may set no higher limit nor lift one",
        "bạn có hạn mức chi tiêu {limit} đồng nên không được đặt hạn mức cao hơn hoặc bỏ hạn mức",
    ),
    "forbidden_self_approval": _m(
        "FORBIDDEN",
        "a purchase waits for someone else's approval than its requester's",
        "giao dịch mua phải được người khác phê duyệt, không phải chính người đề nghị",
    ),
    "forbidden_people_only": _m(
        "FORBIDDEN",
        "only a person signed in with a password may {action:term}; an API key may not",
        "chỉ người dùng đăng nhập bằng mật khẩu mới được {action:term}; khóa API thì không",
    ),
    "forbidden_scoped_key": _m(
        "FORBIDDEN",
        "an API key given a scope serves an integration and may not {action:term}; sign in, or use a key "
        "without a scope",
        "khóa API có giới hạn vai trò (scope) chỉ dùng cho hệ thống tích hợp nên không được {action:term}; hãy "
        "đăng nhập hoặc dùng khóa không giới hạn vai trò",
    ),
    "review_state": _m(
        "INVALID_STATE",
        "this organisation is {status}, not PENDING",
        "tổ chức này đang ở trạng thái {status}, không phải PENDING",
    ),
    "email_invalid": _m("INVALID", "{field} is not an email address", "{field} không phải là địa chỉ email"),
    "email_taken": _m(
        "DUPLICATE",
        "an account with this email already exists; sign in or reset the password",
        "đã có tài khoản dùng email này; hãy đăng nhập hoặc đặt lại mật khẩu",
    ),
    "password_too_short": _m(
        "WEAK_PASSWORD",
        "{field} must have at least {min} characters",
        "{field} phải có ít nhất {min} ký tự",
    ),
    "password_too_long": _m(
        "WEAK_PASSWORD", "{field} must have at most {max} characters", "{field} chỉ được có tối đa {max} ký tự"
    ),
    "password_too_simple": _m(
        "WEAK_PASSWORD",
        "{field} needs letters and at least one digit or symbol",
        "{field} cần có chữ cái và ít nhất một chữ số hoặc ký hiệu",
    ),
    "password_too_common": _m(
        "WEAK_PASSWORD",
        "{field} is too common or too close to your name or email",
        "{field} quá phổ biến hoặc quá giống tên hay email của bạn",
    ),
    "invalid_credentials": _m(
        "INVALID_CREDENTIALS",
        "the email or the password is not right",
        "email hoặc mật khẩu không đúng",
    ),
    "too_many_attempts": _m(
        "TOO_MANY_ATTEMPTS",
        "too many failed attempts; try again in {seconds} s",
        "bạn đã thử sai quá nhiều lần; hãy thử lại sau {seconds} giây",
    ),
    "token_invalid": _m(
        "INVALID_TOKEN",
        "this {what:term} link is not valid, has expired or was already used; ask for a new one",
        "liên kết {what:term} này không hợp lệ, đã hết hạn hoặc đã được dùng; hãy yêu cầu liên kết mới",
    ),
    "session_invalid": _m(
        "INVALID_TOKEN",
        "this session has ended; sign in again",
        "phiên đăng nhập này đã kết thúc; hãy đăng nhập lại",
    ),
    "last_owner": _m(
        "LAST_OWNER",
        "an organisation keeps at least one owner: make someone else owner first",
        "tổ chức phải luôn có ít nhất một chủ sở hữu: hãy chỉ định người khác làm chủ sở hữu trước",
    ),
    "kind_field_required": _m(
        "REQUIRED",
        "{field} is required for a {kind} organisation",
        "{field} là bắt buộc đối với tổ chức loại {kind}",
    ),
    "kind_field_not_allowed": _m(
        "INVALID",
        "{field} applies to {other} organisations, not {kind}",
        "{field} chỉ dùng cho tổ chức loại {other}, không dùng cho {kind}",
    ),
    "org_name_taken": _m(
        "DUPLICATE",
        "an organisation with this name is already registered",
        "đã có tổ chức đăng ký với tên này",
    ),
    "already_member": _m(
        "DUPLICATE",
        "{email} already has an account; a person belongs to one organisation",
        "{email} đã có tài khoản; mỗi người chỉ thuộc một tổ chức",
    ),
    "not_pending_approval": _m(
        "INVALID_STATE",
        "this purchase approval is {status}, not PENDING",
        "yêu cầu phê duyệt mua hàng này đang ở trạng thái {status}, không phải PENDING",
    ),
    "approval_requester_gone": _m(
        "INVALID_STATE",
        "the person who asked for this purchase no longer buys for the organisation; reject it, and have "
        "someone else accept the quotation",
        "người đề nghị mua hàng này không còn mua hàng cho tổ chức; hãy từ chối yêu cầu và để người khác chấp "
        "nhận báo giá",
    ),
    "expiry_in_past": _m("OUT_OF_RANGE", "{field} must be in the future", "{field} phải là thời điểm trong tương lai"),
    "scope_above_role": _m(
        "FORBIDDEN",
        "a key cannot have more rights ({scope}) than your own role ({role})",
        "khóa không thể có quyền ({scope}) cao hơn vai trò của bạn ({role})",
    ),
    "scope_without_org_role": _m(
        "INVALID",
        "{field} narrows a role inside an organisation, and {role:a} account has none: the key would act with all "
        "of the account's rights; leave {field} out",
        "{field} chỉ thu hẹp vai trò trong một tổ chức, mà tài khoản {role} không có vai trò nào như vậy: khóa sẽ "
        "mang mọi quyền của tài khoản; hãy bỏ {field}",
    ),
    "password_wrong": _m("INVALID_CREDENTIALS", "{field} is not right", "{field} không đúng"),
    # --- notifications and webhooks ------------------------------------------------------------------------
    "forbidden_webhooks": _m(
        "FORBIDDEN",
        "only owners and managers of a producer or buyer organisation may manage its webhooks",
        "chỉ chủ sở hữu và quản lý của chủ thể sản xuất hoặc tổ chức mua hàng mới được quản lý webhook",
    ),
    "webhook_url_invalid": _m(
        "INVALID",
        "{field} must be an absolute http(s) URL without a user or password",
        "{field} phải là URL http(s) đầy đủ, không kèm tên đăng nhập hay mật khẩu",
    ),
    "webhook_url_https": _m("INVALID", "{field} must use https", "{field} phải dùng https"),
    "webhook_url_address": _m(
        "INVALID",
        "{field} points inside a network (private, loopback or link-local address)",
        "{field} trỏ vào địa chỉ nội bộ (mạng riêng, loopback hoặc link-local)",
    ),
    "unknown_event": _m(
        "INVALID",
        "{got!r} is not an event name; known: {allowed}",
        "{got!r} không phải là tên sự kiện; các tên hợp lệ: {allowed}",
    ),
    "events_required": _m("REQUIRED", "{field} must name at least one event", "{field} phải có ít nhất một sự kiện"),
    "too_many_webhooks": _m(
        "OUT_OF_RANGE",
        "an organisation may have at most {max} webhooks",
        "mỗi tổ chức chỉ được có tối đa {max} webhook",
    ),
    "too_many_notification_ids": _m(
        "OUT_OF_RANGE", "{field}: at most {max} ids at once", "{field}: tối đa {max} id một lần"
    ),
    "secret_too_short": _m(
        "OUT_OF_RANGE", "{field} must be at least {min} characters", "{field} phải có ít nhất {min} ký tự"
    ),
    "unknown_locale": _m(
        "INVALID", "{got!r} is not a language; use vi or en", "{got!r} không phải là ngôn ngữ; hãy dùng vi hoặc en"
    ),
    "ids_or_all": _m("INVALID", "give either ids or all: true", "hãy truyền ids hoặc all: true, không truyền cả hai"),
    "forbidden_saved_searches": _m("FORBIDDEN", "sign in to keep saved searches", "hãy đăng nhập để lưu tìm kiếm"),
    "forbidden_rfq_follows": _m(
        "FORBIDDEN",
        "following the RFQ board is for members of a producer",
        "theo dõi bảng yêu cầu báo giá dành cho thành viên của chủ thể sản xuất",
    ),
    "too_many_saved_searches": _m(
        "OUT_OF_RANGE", "you may keep at most {max} saved searches", "mỗi người chỉ lưu được tối đa {max} tìm kiếm"
    ),
    "too_many_rfq_follows": _m(
        "OUT_OF_RANGE",
        "you may follow at most {max} RFQ board filters",
        "mỗi người chỉ theo dõi được tối đa {max} bộ lọc bảng yêu cầu báo giá",
    ),
    "price_bounds": _m("INVALID", "{field} must not be above priceMax", "{field} không được lớn hơn priceMax"),
    "too_many_values": _m("OUT_OF_RANGE", "{field} holds at most {max} values", "{field} có tối đa {max} giá trị"),
}

# What each business event says to a person, in-app and as an email's headline.
EVENT_TITLES: dict[str, dict[Locale, str]] = {
    "inquiry.invited": {"en": "You are invited to quote", "vi": "Bạn được mời báo giá"},
    "inquiry.counter_offer": {"en": "The buyer made a counter-offer", "vi": "Bên mua đã đưa ra đề nghị giá mới"},
    "inquiry.message": {"en": "A new message about an inquiry", "vi": "Có tin nhắn mới về yêu cầu báo giá"},
    "quotation.submitted": {"en": "A producer sent a quotation", "vi": "Chủ thể sản xuất đã gửi báo giá"},
    "quotation.revised": {"en": "A producer revised its quotation", "vi": "Chủ thể sản xuất đã điều chỉnh báo giá"},
    "quotation.accepted": {"en": "Your quotation was accepted", "vi": "Báo giá của bạn đã được chấp nhận"},
    "quotation.declined": {"en": "Your quotation was declined", "vi": "Báo giá của bạn đã bị từ chối"},
    "deal.state_changed": {"en": "A deal moved on", "vi": "Thương vụ đã chuyển trạng thái"},
    "mou.signed": {"en": "An MoU was signed", "vi": "Biên bản ghi nhớ (MoU) đã được ký"},
    "product.published": {"en": "A product was published", "vi": "Sản phẩm đã được đăng bán"},
    "organisation.verified": {"en": "Your organisation was verified", "vi": "Tổ chức của bạn đã được xác minh"},
    "approval.requested": {"en": "A purchase waits for your approval", "vi": "Có đơn mua chờ bạn phê duyệt"},
    "webhook.disabled": {"en": "A webhook was turned off", "vi": "Một webhook đã bị tắt"},
    "certificate.expiring": {"en": "An OCOP certificate is expiring", "vi": "Giấy chứng nhận OCOP sắp hết hạn"},
    "saved_search.matched": {"en": "A new product matches your search", "vi": "Có sản phẩm mới khớp tìm kiếm của bạn"},
    "rfq.matched": {"en": "A new RFQ on the board you follow", "vi": "Có yêu cầu báo giá mới khớp bộ lọc bạn theo dõi"},
}


def event_title(name: str, locale: str) -> str:
    """The title of event `name`; an event without one reads as its name."""
    titles = EVENT_TITLES.get(name)
    if titles is None:
        return name
    return titles["vi" if locale == "vi" else "en"]


# Words a message names through a parameter, in each language.
TERMS: dict[str, dict[Locale, str]] = {
    # what
    "producer": {"en": "producer", "vi": "chủ thể sản xuất"},
    "product": {"en": "product", "vi": "sản phẩm"},
    "inquiry": {"en": "inquiry", "vi": "yêu cầu"},
    "quotation": {"en": "quotation", "vi": "báo giá"},
    "deal": {"en": "deal", "vi": "thương vụ"},
    "trade event": {"en": "trade event", "vi": "sự kiện xúc tiến thương mại"},
    "API key": {"en": "API key", "vi": "khóa API"},
    "buyer organisation": {"en": "buyer organisation", "vi": "tổ chức bên mua"},
    "OCOP product group": {"en": "OCOP product group", "vi": "nhóm sản phẩm OCOP"},
    "producer type": {"en": "producer type", "vi": "loại hình chủ thể"},
    "certification": {"en": "certification", "vi": "chứng nhận"},
    "translation language": {"en": "translation language", "vi": "ngôn ngữ bản dịch"},
    "search": {"en": "search", "vi": "tìm kiếm"},
    "the RFQ board": {"en": "the RFQ board", "vi": "bảng yêu cầu báo giá"},
    "document": {"en": "document", "vi": "giấy tờ"},
    "document type": {"en": "document type", "vi": "loại giấy tờ"},
    "lot": {"en": "lot", "vi": "lô hàng"},
    "variant": {"en": "variant", "vi": "quy cách"},
    "sample request": {"en": "sample request", "vi": "yêu cầu gửi mẫu"},
    "request samples": {"en": "request samples", "vi": "yêu cầu gửi mẫu"},
    "accept it": {"en": "accept it", "vi": "chấp nhận yêu cầu"},
    "decline it": {"en": "decline it", "vi": "từ chối yêu cầu"},
    "convert it": {"en": "turn it into an inquiry", "vi": "chuyển thành yêu cầu hỏi hàng"},
    # parties
    "BUYER": {"en": "buyer", "vi": "bên mua"},
    "PRODUCER": {"en": "producer", "vi": "chủ thể sản xuất"},
    "organisation": {"en": "organisation", "vi": "tổ chức"},
    "webhook": {"en": "webhook", "vi": "webhook"},
    "webhook delivery": {"en": "webhook delivery", "vi": "lần gửi webhook"},
    "member": {"en": "member", "vi": "thành viên"},
    "invitation": {"en": "invitation", "vi": "lời mời"},
    "email verification": {"en": "email verification", "vi": "xác minh email"},
    "password reset": {"en": "password reset", "vi": "đặt lại mật khẩu"},
    "purchase approval": {"en": "purchase approval", "vi": "yêu cầu phê duyệt mua hàng"},
    "saved search": {"en": "saved search", "vi": "tìm kiếm đã lưu"},
    "RFQ board follow": {"en": "RFQ board follow", "vi": "bộ lọc bảng yêu cầu báo giá đang theo dõi"},
    # actions
    "submit inquiries": {"en": "submit inquiries", "vi": "gửi yêu cầu"},
    "publish products": {"en": "publish products", "vi": "đăng sản phẩm"},
    "move deals": {"en": "move deals", "vi": "chuyển trạng thái thương vụ"},
    "sign MoUs": {"en": "sign MoUs", "vi": "ký biên bản ghi nhớ"},
    "record lots": {"en": "record lots", "vi": "ghi nhận lô hàng"},
    "change products": {"en": "change products", "vi": "thay đổi sản phẩm"},
    "change the producer": {"en": "change the producer's profile", "vi": "thay đổi hồ sơ chủ thể"},
    "attach documents": {"en": "attach documents", "vi": "đính kèm giấy tờ"},
    "import products": {"en": "import products", "vi": "nhập sản phẩm"},
    "send messages": {"en": "send messages", "vi": "gửi tin nhắn"},
    "counter-offer": {"en": "counter-offer", "vi": "trả giá"},
    "invite members": {"en": "invite members", "vi": "mời thành viên"},
    "change roles": {"en": "change roles", "vi": "thay đổi vai trò"},
    "remove members": {"en": "remove members", "vi": "xóa thành viên"},
    "set spending limits": {"en": "set spending limits", "vi": "đặt hạn mức chi tiêu"},
    "approve purchases": {"en": "approve purchases", "vi": "phê duyệt mua hàng"},
    "manage API keys": {"en": "manage API keys", "vi": "quản lý khóa API"},
    "manage an organisation": {"en": "manage an organisation", "vi": "quản lý tổ chức"},
    "follow inquiries": {"en": "follow inquiries", "vi": "theo dõi yêu cầu"},
    "follow sample requests": {"en": "follow sample requests", "vi": "theo dõi yêu cầu gửi mẫu"},
    "change the password": {"en": "change the password", "vi": "đổi mật khẩu"},
    "sign out": {"en": "sign out", "vi": "đăng xuất"},
    "change the profile": {"en": "change the profile", "vi": "đổi thông tin cá nhân"},
    "delete the account": {"en": "delete the account", "vi": "xóa tài khoản"},
    "export the account's data": {"en": "export the account's data", "vi": "xuất dữ liệu của tài khoản"},
    "quote": {"en": "quote", "vi": "báo giá"},
    "decline quotations": {"en": "decline quotations", "vi": "từ chối báo giá"},
    "accept quotations": {"en": "accept quotations", "vi": "chấp nhận báo giá"},
    "close it": {"en": "close it", "vi": "đóng yêu cầu"},
    "new quotations": {"en": "new quotations", "vi": "báo giá mới"},
    "acceptance": {"en": "acceptance", "vi": "việc chấp nhận"},
    "more changes": {"en": "more changes", "vi": "thay đổi nào"},
    "messages": {"en": "messages", "vi": "tin nhắn"},
    # import statuses
    "published": {"en": "published", "vi": "published (đã đăng)"},
    "draft": {"en": "draft", "vi": "draft (bản nháp)"},
}

_OR: dict[Locale, str] = {"en": " or ", "vi": " hoặc "}


class _Formatter(string.Formatter):
    def __init__(self, locale: Locale, params: Mapping[str, Any]) -> None:
        self.locale = locale
        self.params = params

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        # A missing parameter shows as its placeholder: an error message must never fail to render.
        return kwargs.get(key, "{" + str(key) + "}") if isinstance(key, str) else super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "term":
            return term(str(value), self.locale)
        if format_spec == "terms_or":
            return _OR[self.locale].join(term(str(v), self.locale) for v in value)
        if format_spec == "a":
            return f"{'an' if str(value)[:1] in 'AEIOU' else 'a'} {value}" if self.locale == "en" else str(value)
        if format_spec == "msg":
            return render(str(value), self.params, self.locale)
        if format_spec == "decimal":
            return str(value).replace(".", ",") if self.locale == "vi" else str(value)
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return super().format_field(value, format_spec)


def term(word: str, locale: Locale) -> str:
    return TERMS.get(word, {}).get(locale, word)


def render(key: str, params: Mapping[str, Any], locale: Locale | str = "en") -> str:
    """The message `key` in `locale` (English unless "vi"), its placeholders filled from `params`."""
    message = MESSAGES[key]
    lang: Locale = "vi" if locale == "vi" else "en"
    template = message.vi if lang == "vi" else message.en
    return _Formatter(lang, params).vformat(template, (), params)


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _labels(**values: tuple[str, str]) -> dict[str, dict[Locale, str]]:
    return {value: {"en": en, "vi": vi} for value, (en, vi) in values.items()}


# Labels of the values of the API's enums, by GraphQL enum name and value name (`enumLabels` serves them).
ENUM_LABELS: dict[str, dict[str, dict[Locale, str]]] = {
    "BuyerKind": _labels(
        SUPERMARKET_CHAIN=("Supermarket chain", "Chuỗi siêu thị"),
        DISTRIBUTOR=("Distributor", "Nhà phân phối"),
        ECOMMERCE=("E-commerce", "Thương mại điện tử"),
        AIRLINE=("Airline", "Hãng hàng không"),
        DUTY_FREE=("Duty-free shop", "Cửa hàng miễn thuế"),
        HOTEL_TOURISM=("Hotel and tourism", "Khách sạn, du lịch"),
        OTHER=("Other", "Khác"),
    ),
    "Certification": _labels(
        VIETGAP=("VietGAP", "VietGAP"),
        GLOBALGAP=("GlobalG.A.P.", "GlobalG.A.P."),
        HACCP=("HACCP", "HACCP"),
        ISO22000=("ISO 22000", "ISO 22000"),
        ISO9001=("ISO 9001", "ISO 9001"),
        FSSC22000=("FSSC 22000", "FSSC 22000"),
        ORGANIC=("Organic", "Hữu cơ"),
        HALAL=("Halal", "Halal"),
        BRC=("BRCGS", "BRCGS"),
        FDA=("FDA registered", "Đăng ký FDA"),
    ),
    "DealState": _labels(
        NEGOTIATING=("Negotiating", "Đang đàm phán"),
        AGREED=("Agreed", "Đã thỏa thuận"),
        ORDERED=("Ordered", "Đã đặt hàng"),
        DELIVERED=("Delivered", "Đã giao hàng"),
        COMPLETED=("Completed", "Hoàn tất"),
        CANCELLED=("Cancelled", "Đã hủy"),
        LOST=("Lost", "Không thành"),
    ),
    "DocumentType": _labels(
        OCOP_CERTIFICATE=("OCOP certificate", "Giấy chứng nhận OCOP"),
        SELF_DECLARED_STANDARD=("Self-declared standard", "Bản tự công bố sản phẩm"),
        FOOD_SAFETY=("Food-safety certificate", "Giấy chứng nhận an toàn thực phẩm"),
        LAB_TEST=("Lab test report", "Phiếu kết quả kiểm nghiệm"),
        VIETGAP=("VietGAP certificate", "Giấy chứng nhận VietGAP"),
        ORGANIC=("Organic certificate", "Giấy chứng nhận hữu cơ"),
        HALAL=("Halal certificate", "Giấy chứng nhận Halal"),
        OTHER=("Other document", "Giấy tờ khác"),
    ),
    "ErrorCode": _labels(
        REQUIRED=("Required", "Bắt buộc"),
        INVALID=("Invalid", "Không hợp lệ"),
        OUT_OF_RANGE=("Out of range", "Ngoài phạm vi"),
        TOO_LONG=("Too long", "Quá dài"),
        UNKNOWN_PROVINCE=("Unknown province", "Không rõ tỉnh, thành phố"),
        NOT_FOUND=("Not found", "Không tìm thấy"),
        DUPLICATE=("Duplicate", "Trùng lặp"),
        CONFLICT=("Changed by someone else", "Đã bị người khác thay đổi"),
        FORBIDDEN=("Not allowed", "Không được phép"),
        INVALID_STATE=("Not possible now", "Không thực hiện được lúc này"),
        UNAVAILABLE=("Temporarily unavailable", "Tạm thời gián đoạn"),
        INVALID_TRANSITION=("Invalid step", "Bước chuyển không hợp lệ"),
        IDEMPOTENCY_KEY_REUSED=("Request key reused", "Khóa yêu cầu đã được dùng"),
        TOO_MANY_SUBSCRIPTIONS=("Too many subscriptions", "Quá nhiều luồng theo dõi"),
        ORG_NOT_VERIFIED=("Organisation not verified yet", "Tổ chức chưa được xác minh"),
        INVALID_CREDENTIALS=("Wrong email or password", "Sai email hoặc mật khẩu"),
        TOO_MANY_ATTEMPTS=("Too many attempts", "Thử quá nhiều lần"),
        WEAK_PASSWORD=("Password too weak", "Mật khẩu quá yếu"),
        INVALID_TOKEN=("Link expired or already used", "Liên kết đã hết hạn hoặc đã được dùng"),
        LAST_OWNER=("Last owner", "Chủ sở hữu cuối cùng"),
    ),
    "OrgStatus": _labels(
        PENDING=("Waiting for verification", "Đang chờ xác minh"),
        VERIFIED=("Verified", "Đã xác minh"),
        REJECTED=("Rejected", "Bị từ chối"),
    ),
    "OrgKind": _labels(BUYER=("Buyer", "Bên mua"), PRODUCER=("Producer", "Chủ thể sản xuất")),
    "EmailFrequency": _labels(
        IMMEDIATE=("Right away", "Ngay lập tức"),
        DAILY=("Daily digest", "Tổng hợp hằng ngày"),
        OFF=("Off", "Tắt"),
    ),
    "WebhookDeliveryStatus": _labels(
        PENDING=("Waiting", "Đang chờ gửi"),
        DELIVERING=("Being sent", "Đang gửi"),
        SUCCEEDED=("Delivered", "Đã gửi thành công"),
        FAILED=("Failed", "Thất bại"),
    ),
    "MemberRole": _labels(
        OWNER=("Owner", "Chủ sở hữu"),
        MANAGER=("Manager", "Quản lý"),
        MEMBER=("Member", "Thành viên"),
        VIEWER=("Viewer", "Chỉ xem"),
    ),
    "ApprovalStatus": _labels(
        PENDING=("Waiting for approval", "Đang chờ phê duyệt"),
        APPROVED=("Approved", "Đã phê duyệt"),
        REJECTED=("Rejected", "Bị từ chối"),
    ),
    "Measure": _labels(
        ML=("Millilitres", "Mi-li-lít (ml)"),
        L=("Litres", "Lít (l)"),
        G=("Grams", "Gam (g)"),
        KG=("Kilograms", "Ki-lô-gam (kg)"),
    ),
    "CertificateStatus": _labels(
        VALID=("Valid", "Còn hiệu lực"),
        PENDING_5_STAR=("Proposed for 5 stars", "Tiềm năng 5 sao"),
        EXPIRED=("Expired", "Hết hiệu lực"),
    ),
    "ProductChangeKind": _labels(
        CREATED=("Created", "Tạo mới"),
        UPDATED=("Updated", "Cập nhật"),
        PUBLISHED=("Published", "Đã đăng"),
        UNPUBLISHED=("Unpublished", "Đã gỡ"),
        DELETED=("Deleted", "Đã xóa"),
    ),
    "TableFormat": _labels(XLSX=("Excel workbook (.xlsx)", "Tệp Excel (.xlsx)"), CSV=("CSV text", "Tệp CSV")),
    "SavedSearchAlert": _labels(
        NONE=("No alerts", "Không báo"),
        INSTANT=("At once", "Báo ngay"),
        DAILY=("In the daily digest", "Trong bản tin hằng ngày"),
    ),
    "QueryChipKind": _labels(
        STARS=("OCOP stars", "Hạng sao OCOP"),
        CERTIFICATION=("Certification", "Chứng nhận"),
        PROVINCE=("Province", "Tỉnh, thành phố"),
        PACKAGING=("Packaging", "Quy cách đóng gói"),
        INTENT=("Occasion", "Dịp, nhu cầu"),
    ),
    "InquiryClosedReason": _labels(
        EXPIRED=("Expired", "Hết hạn"),
        BUYER_CLOSED=("Closed by the buyer", "Bên mua đã đóng"),
        ACCEPTED=("Quotation accepted", "Đã chấp nhận báo giá"),
    ),
    "InquiryEventKind": _labels(
        INQUIRY_SUBMITTED=("Inquiry submitted", "Đã gửi yêu cầu"),
        INQUIRY_INVITED=("Invited to an inquiry", "Được mời báo giá"),
        INQUIRY_CLOSED=("Inquiry closed", "Yêu cầu đã đóng"),
        QUOTATION_SUBMITTED=("Quotation submitted", "Đã gửi báo giá"),
        QUOTATION_REVISED=("Quotation revised", "Đã sửa báo giá"),
        QUOTATION_DECLINED=("Quotation declined", "Báo giá bị từ chối"),
        QUOTATION_ACCEPTED=("Quotation accepted", "Báo giá được chấp nhận"),
        MESSAGE=("Message", "Tin nhắn"),
    ),
    "InquiryKind": _labels(
        DIRECT=("Direct inquiry", "Hỏi hàng trực tiếp"),
        OPEN=("Open request for quotation", "Yêu cầu báo giá mở"),
    ),
    "InquiryStatus": _labels(OPEN=("Open", "Đang mở"), CLOSED=("Closed", "Đã đóng")),
    "InvitationStatus": _labels(
        INVITED=("Invited", "Được mời"),
        QUOTED=("Quoted", "Đã báo giá"),
        ACCEPTED=("Accepted", "Được chấp nhận"),
        DECLINED=("Declined", "Bị từ chối"),
    ),
    "Locale": _labels(VI=("Vietnamese", "Tiếng Việt"), EN=("English", "Tiếng Anh")),
    "Party": _labels(BUYER=("Buyer", "Bên mua"), PRODUCER=("Producer", "Chủ thể sản xuất")),
    "ProducerType": _labels(
        ENTERPRISE=("Enterprise", "Doanh nghiệp"),
        COOPERATIVE=("Cooperative", "Hợp tác xã"),
        COOPERATIVE_GROUP=("Cooperative group", "Tổ hợp tác"),
        HOUSEHOLD=("Household business", "Hộ sản xuất, kinh doanh"),
    ),
    "ProductGroup": _labels(
        FOOD=("Food", "Thực phẩm"),
        BEVERAGE=("Beverages", "Đồ uống"),
        HERBAL=("Herbal products", "Thảo dược"),
        HANDICRAFT=("Handicrafts and textiles", "Thủ công mỹ nghệ, vải và may mặc"),
        ORNAMENTAL=("Flowers, ornamental plants and animals", "Hoa, cây cảnh và động vật cảnh"),
        TOURISM_SERVICE=("Community tourism services", "Dịch vụ du lịch cộng đồng"),
    ),
    "ProductSearchSort": _labels(
        RELEVANCE=("Most relevant", "Phù hợp nhất"),
        PRICE_ASC=("Price: low to high", "Giá: thấp đến cao"),
        PRICE_DESC=("Price: high to low", "Giá: cao đến thấp"),
        STARS_DESC=("Most stars", "Nhiều sao nhất"),
        NEWEST=("Newest", "Mới nhất"),
    ),
    "ProductSort": _labels(
        NEWEST=("Newest", "Mới nhất"),
        NAME=("Name", "Tên"),
        PRICE_ASC=("Price: low to high", "Giá: thấp đến cao"),
        PRICE_DESC=("Price: high to low", "Giá: cao đến thấp"),
        STARS_DESC=("Most stars", "Nhiều sao nhất"),
    ),
    "ProductStatus": _labels(
        DRAFT=("Draft", "Bản nháp"),
        PUBLISHED=("Published", "Đã đăng"),
        ARCHIVED=("Archived", "Đã lưu trữ"),
    ),
    "QuotationStatus": _labels(
        ACTIVE=("Active", "Đang hiệu lực"),
        ACCEPTED=("Accepted", "Được chấp nhận"),
        DECLINED=("Declined", "Bị từ chối"),
    ),
    "SampleRequestEventKind": _labels(
        SAMPLE_REQUESTED=("Samples requested", "Đã yêu cầu gửi mẫu"),
        SAMPLE_ACCEPTED=("Samples shipped", "Đã gửi mẫu"),
        SAMPLE_DECLINED=("Sample request declined", "Yêu cầu gửi mẫu bị từ chối"),
        SAMPLE_CONVERTED=("Turned into an inquiry", "Đã chuyển thành yêu cầu hỏi hàng"),
    ),
    "SampleRequestStatus": _labels(
        REQUESTED=("Requested", "Đang chờ"),
        ACCEPTED=("Shipped", "Đã gửi mẫu"),
        DECLINED=("Declined", "Bị từ chối"),
    ),
    "Role": _labels(
        ADMIN=("Administrator", "Quản trị viên"),
        COORDINATOR=("Provincial OCOP office", "Văn phòng OCOP tỉnh"),
        PRODUCER=("Producer", "Chủ thể sản xuất"),
        BUYER=("Buyer", "Bên mua"),
    ),
}

# The public trace page of a lot (api/trace_page.py), by text and language.
TRACE_PAGE: dict[str, dict[Locale, str]] = _labels(
    title=("Product traceability", "Truy xuất nguồn gốc sản phẩm"),
    product=("Product", "Sản phẩm"),
    category=("Category", "Loại sản phẩm"),
    ocop=("OCOP rating", "Hạng OCOP"),
    stars=("{n} stars", "{n} sao"),
    certificate=("OCOP certificate", "Giấy chứng nhận OCOP"),
    certificate_valid=("valid until {day}", "còn hiệu lực đến {day}"),
    certificate_expired=("expired on {day}", "đã hết hiệu lực từ {day}"),
    certificate_unknown=("validity not stated", "chưa ghi thời hạn"),
    producer=("Producer", "Chủ thể sản xuất"),
    verified=("verified by the provincial OCOP office", "đã được văn phòng OCOP tỉnh xác minh"),
    place=("Where it is made", "Nơi sản xuất"),
    formerly=("formerly {name}", "trước đây thuộc {name}"),
    lot=("Lot", "Lô hàng"),
    lot_number=("Lot number", "Số lô"),
    produced_on=("Produced on", "Ngày sản xuất"),
    expires_on=("Best before", "Hạn sử dụng"),
    lot_expired=("past its expiry date", "đã quá hạn sử dụng"),
    quantity=("Lot size", "Số lượng trong lô"),
    notes=("Producer's notes", "Ghi chú của chủ thể"),
    code=("Trace code", "Mã truy xuất"),
    other_language=("Tiếng Việt", "English"),
    not_found_title=("Code not found", "Không tìm thấy mã"),
    not_found=(
        "No lot has this trace code. Check the code printed under the QR label, or ask the seller.",
        "Không có lô hàng nào mang mã truy xuất này. Hãy kiểm tra mã in dưới tem QR, hoặc hỏi người bán.",
    ),
    footer=("OCOP marketplace traceability", "Truy xuất nguồn gốc sàn OCOP"),
)
