"""Labels of enum values in Vietnamese and English, for a UI's menus, chips and badges.

They come from the message catalogue (market/core/messages.py, ENUM_LABELS), as the error messages do, so
one file holds every text a client shows.
"""

from enum import Enum
from typing import Annotated

import strawberry

from market.core.messages import ENUM_LABELS
from schema.enums import describe_enum


class Locale(Enum):
    VI = "vi"
    EN = "en"


describe_enum(
    Locale,
    "A language of the texts the API gives: error messages and enum labels.",
    {Locale.VI: "Vietnamese.", Locale.EN: "English."},
)


@strawberry.type(description="One value of an enum with its labels.")
class EnumValueLabel:
    value: str = strawberry.field(description="The value as the schema spells it, e.g. `FOOD`.")
    label: str = strawberry.field(description="Its label in the language asked for, e.g. `Thực phẩm`.")
    vi: str = strawberry.field(description="Its Vietnamese label.")
    en: str = strawberry.field(description="Its English label.")


@strawberry.type(description="The labels of one enum's values, in the schema's order.")
class EnumLabels:
    enum: str = strawberry.field(description="The enum's name in the schema, e.g. `ProductGroup`.")
    values: list[EnumValueLabel] = strawberry.field(description="Each of its values with its labels.")


@strawberry.type
class LabelsQuery:
    @strawberry.field(
        description="Vietnamese and English labels of the values of every enum of this schema (ProductGroup, "
        "Certification, DealState...), for a UI to show instead of the raw values. Facets and filters use the "
        "same values."
    )
    def enum_labels(
        self,
        info: strawberry.Info,
        locale: Annotated[
            Locale | None,
            strawberry.argument(
                description="The language of `label`; by default the request's (`Accept-Language`: Vietnamese "
                "when it prefers `vi`, else English)."
            ),
        ] = None,
    ) -> list[EnumLabels]:
        lang = locale.value if locale is not None else getattr(info.context, "locale", "en")
        return [
            EnumLabels(
                enum=name,
                values=[
                    EnumValueLabel(
                        value=value, label=texts["vi" if lang == "vi" else "en"], vi=texts["vi"], en=texts["en"]
                    )
                    for value, texts in values.items()
                ],
            )
            for name, values in sorted(ENUM_LABELS.items())
        ]
