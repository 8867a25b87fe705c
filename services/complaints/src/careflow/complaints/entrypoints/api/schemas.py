"""HTTP bodies of the complaints API (not contract models, not tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from careflow.complaints.application.clinics import ImportReport
from careflow.complaints.domain.cases import AnswerChannel, Case, Kind, Reply
from careflow.complaints.domain.clinics import Clinic, Verdict
from careflow.complaints.domain.delivery import Endpoint
from careflow.complaints.domain.identifiers import HSA_ID_PATTERN, REGION_CODE_PATTERN
from careflow.complaints.domain.regions import Region

HsaId = Annotated[str, StringConstraints(pattern=HSA_ID_PATTERN)]
RegionCode = Annotated[str, StringConstraints(pattern=REGION_CODE_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=255)]
#: The largest import file (bytes of text): 100,000 rows of HSA-ids with room to spare.
MAX_IMPORT = 4_000_000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegionIn(_In):
    name: Name


class BoardIn(_In):
    hsa_id: HsaId
    name: Name


class BoardOut(BaseModel):
    hsa_id: str
    name: str


class RegionOut(BaseModel):
    code: str
    name: str
    patient_board: BoardOut | None
    open: bool = Field(description="Whether residents of the region can send cases.")
    closed_reason: str | None = Field(description="Why residents cannot send cases yet.")
    clinics: int | None = None

    @classmethod
    def of(cls, region: Region, clinics: int | None = None) -> RegionOut:
        board = region.board
        return cls(
            code=region.code,
            name=region.name,
            patient_board=BoardOut(hsa_id=board.hsa_id, name=board.name) if board else None,
            open=region.is_open,
            closed_reason=region.closed_reason,
            clinics=clinics,
        )


class ClinicIn(_In):
    hsa_id: HsaId


class ClinicOut(BaseModel):
    hsa_id: str
    name: str
    region_code: str

    @classmethod
    def of(cls, clinic: Clinic) -> ClinicOut:
        return cls(hsa_id=clinic.hsa_id, name=clinic.name, region_code=clinic.region_code)


class ImportIn(_In):
    format: Literal["txt", "csv"] = Field(description="txt: one HSA-id a line; csv: first column.")
    content: Annotated[str, StringConstraints(max_length=MAX_IMPORT)]
    apply: bool = Field(
        default=False, description="false: a dry run (verdicts only); true: add the valid rows."
    )


class RowVerdictOut(BaseModel):
    line: int
    hsa_id: str
    verdict: Verdict


class ImportOut(BaseModel):
    applied: int = Field(description="Clinics added by this run (0 in a dry run).")
    counts: dict[str, int]
    rows: list[RowVerdictOut]

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            applied=report.applied,
            counts=report.counts,
            rows=[
                RowVerdictOut(line=v.line, hsa_id=v.hsa_id, verdict=v.verdict)
                for v in report.verdicts
            ],
        )


class EndpointIn(_In):
    # No whitespace or control character anywhere (the edges refuse those in bodies).
    url: Annotated[
        str, StringConstraints(pattern=r"^https?://[^\u0000-\u0020\u007F-\u009F]{1,1990}$")
    ]
    system_id: Subject = Field(description="Token subject of the system's status reports.")


class EndpointOut(BaseModel):
    hsa_id: str
    url: str
    system_id: str

    @classmethod
    def of(cls, endpoint: Endpoint) -> EndpointOut:
        return cls(hsa_id=endpoint.hsa_id, url=endpoint.url, system_id=endpoint.system_id)


class ComplaintIn(_In):
    region_code: RegionCode
    kind: Kind
    clinic_hsa_id: HsaId | None = Field(
        default=None, description="The clinic; leave out to send to the patient board."
    )
    unknown_clinic: Text | None = Field(
        default=None,
        description="When the clinic is unknown: the resident's description, to the board.",
    )
    where: Text = Field(description="Where it happened.")
    description: Text
    anonymous: bool = False
    answer_channel: AnswerChannel | None = Field(
        default=None, description="How the resident wants an answer; none for no answer."
    )
    for_child: Subject | None = Field(
        default=None, description="Subject of a child in the caller's token (guardian sending)."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"anonymous": {"const": True}}, "required": ["anonymous"]},
                    "then": {"properties": {"answer_channel": {"type": "null"}}},
                },
                {
                    "if": {
                        "required": ["clinic_hsa_id"],
                        "properties": {"clinic_hsa_id": {"type": "string"}},
                    },
                    "then": {"properties": {"unknown_clinic": {"type": "null"}}},
                },
            ]
        },
    )

    @model_validator(mode="after")
    def _rules(self) -> ComplaintIn:
        if self.anonymous and self.answer_channel is not None:
            raise ValueError("an anonymous case gets no answer")
        if self.clinic_hsa_id is not None and self.unknown_clinic is not None:
            raise ValueError("name a clinic or describe an unknown one, not both")
        return self


class CaseOut(BaseModel):
    case_id: UUID
    kind: Kind
    region_code: str
    place_hsa_id: str
    place_kind: str
    handled_in: str
    status: str
    anonymous: bool
    answer_wanted: bool
    submitted_at: datetime
    due_at: datetime
    answered_at: datetime | None
    overdue: bool
    group_id: UUID | None = None
    handler_id: str | None = None
    external_status: str | None = None

    @classmethod
    def of(cls, case: Case, now: datetime) -> CaseOut:
        return cls(
            case_id=case.case_id,
            kind=case.kind,
            region_code=case.region_code,
            place_hsa_id=case.place_hsa_id,
            place_kind=case.place_kind.value,
            handled_in=case.handled_in.value,
            status=case.status.value,
            anonymous=case.anonymous,
            answer_wanted=case.answer_channel is not None,
            submitted_at=case.submitted_at,
            due_at=case.due_at,
            answered_at=case.answered_at,
            overdue=case.overdue(now),
            group_id=case.group_id,
            handler_id=case.handler_id,
            external_status=case.external_status,
        )


class ReplyOut(BaseModel):
    author: str
    final: bool
    text: str
    at: datetime


class CaseDetailOut(CaseOut):
    where: str
    description: str
    unknown_clinic: str | None
    answer_channel: AnswerChannel | None
    replies: list[ReplyOut]

    @classmethod
    def detail(cls, case: Case, replies: list[Reply], now: datetime) -> CaseDetailOut:
        return cls(
            **CaseOut.of(case, now).model_dump(),
            where=case.where,
            description=case.description,
            unknown_clinic=case.unknown_clinic,
            answer_channel=case.answer_channel,
            replies=[
                ReplyOut(author=r.author, final=r.final, text=r.text, at=r.at) for r in replies
            ],
        )


class CasesOut(BaseModel):
    items: list[CaseOut]


class GroupIn(_In):
    name: Name
    members: list[Subject] = Field(default_factory=list, max_length=200)


class GroupOut(BaseModel):
    group_id: UUID
    name: str
    members: list[str]


class GroupsOut(BaseModel):
    items: list[GroupOut]


class DistributionIn(_In):
    group_id: UUID | None = None
    handler_id: Subject | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["group_id"],
                    "properties": {"group_id": {"type": "string"}, "handler_id": {"type": "null"}},
                },
                {
                    "required": ["handler_id"],
                    "properties": {"handler_id": {"type": "string"}, "group_id": {"type": "null"}},
                },
            ]
        },
    )

    @model_validator(mode="after")
    def _one(self) -> DistributionIn:
        if (self.group_id is None) == (self.handler_id is None):
            raise ValueError("give the case to one group or one handler")
        return self


class ReplyIn(_In):
    text: Text
    final: bool = Field(description="true: the answer (closes the case); false: a partial reply.")


class TargetIn(_In):
    clinic_hsa_id: HsaId


class StatusIn(_In):
    status: Literal["received", "answered"]
