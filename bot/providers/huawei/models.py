"""Pydantic models of the Huawei Cloud OSM (service ticket) v2 API, field for field as the official SDK
(huaweicloud-sdk-osm/huaweicloudsdkosm/v2/model/*.py) declares them, keeping unknown fields.

Response fields are all optional here even where the SDK marks them required: the SDK enforces
"required" only when building requests, and a reply missing one field must not stop the bridge.
SDK `datetime` fields stay raw (`str | int`): the wire format is not documented, so
`huawei.parse_time` reads them. Only the models the bridge uses are mirrored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Huawei's date-time fields arrive as strings in several shapes, and some APIs send epoch milliseconds.
RawTime = str | int


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(_Model):
    """{error_code, error_msg}: every error, and also the success answer of writes (then empty)."""

    error_code: str | int | None = None
    error_msg: str | None = None


# ------------------------------------------------------------------ create a message


class CreateMessageDoV2(_Model):
    content: str = Field(max_length=2000)  # the doc's limit
    accessory_ids: list[str] | None = None


class CreateMessageV2Req(_Model):
    message: CreateMessageDoV2
    # Huawei Cloud IAM group id; mandatory when working on other tickets of the same group.
    group_id: str | None = Field(default=None, max_length=64)


class CreateMessagesResponse(ErrorBody):
    pass


# ------------------------------------------------------------------ list messages


class ListMessagesQuery(_Model):
    """The query of ListMessagesRequest (case_id is the path; X-* are headers)."""

    group_id: str | None = Field(default=None, max_length=64)
    offset: int | None = Field(default=None, ge=0, le=65535)
    limit: int | None = Field(default=None, ge=0, le=100)


class SimpleAccessoryV2(_Model):
    accessory_id: str | None = None
    file_actual_name: str | None = None


class QueryMessageInfoV2(_Model):
    type: int | None = None  # 0 customer message, 1 Huawei engineer message
    replier_type: int | None = None  # 0 customer, 1 Huawei engineer, 2 third party
    replier: str | None = None  # replier id
    content: str | None = None
    create_time: RawTime | None = None
    replier_name: str | None = None
    is_first_message: int | None = None
    iam_user_type: int | None = None
    accessory_list: list[SimpleAccessoryV2] | None = None


class ListMessagesResponse(ErrorBody):
    count: int | None = None  # total, not the page size
    message_list: list[QueryMessageInfoV2] | None = None


# ------------------------------------------------------------------ case detail


class IncidentMessageV2(_Model):
    type: int | None = None
    replier: str | None = None
    content: str | None = None
    message_id: str | None = None
    replier_name: str | None = None
    create_time: RawTime | None = None
    is_first_message: int | None = None
    accessory_list: list[SimpleAccessoryV2] | None = None


class IncidentSatisfactionV2Do(_Model):
    value: int | None = None
    satisfaction_id: int | None = None
    satisfaction_value: int | None = None
    satisfaction_name: str | None = None
    per_value: int | None = None
    sat_category_id: str | None = None
    sat_category_name: str | None = None


class IncidentDetailExtInfoV2(_Model):
    area_code: str | None = None
    remind_mobile: str | None = None
    remind_mail: str | None = None
    contact_type: str | None = None
    remind_time: str | None = None
    cc_email: str | None = None
    commodity_id: str | None = None


class IncidentDetailInfoV2(_Model):
    xcustomer_id: str | None = None
    xcustomer_name: str | None = None
    status: int | None = None  # see STATUS_NAMES in huawei.py
    judgement: str | None = None
    incident_id: str | None = None
    business_type_name: str | None = None
    incident_type_name: str | None = None
    customer_id: str | None = None
    dc_name: str | None = None
    simple_description: str | None = None
    source_name: str | None = None
    create_time: RawTime | None = None
    message_list: list[IncidentMessageV2] | None = None
    incident_satisfaction: list[IncidentSatisfactionV2Do] | None = None
    severity_name: str | None = None
    business_ownership: int | None = None  # 0 Huawei Cloud, 1 BP partner, 2 ISV
    resolve_time: int | None = None
    ext_info: IncidentDetailExtInfoV2 | None = None


class ShowCaseDetailResponse(ErrorBody):
    incident_detail_info: IncidentDetailInfoV2 | None = None


# ------------------------------------------------------------------ instant messages (many cases at once)


class ImStatusV2(_Model):
    status: int | None = None
    incident_id: str | None = None


class UserInstantIncidentMsgV2(_Model):
    incident_id: str | None = None
    message_list: list[QueryMessageInfoV2] | None = None


class ListNewInstantMessagesResponse(ErrorBody):
    """ListNewInstantMessages: the new messages of the cases asked for, and the cursor to pass back."""

    imstatus: list[ImStatusV2] | None = None
    immsg: list[UserInstantIncidentMsgV2] | None = None
    last_message_time_id: str | None = None
