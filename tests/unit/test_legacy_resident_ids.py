"""Legacy 15-digit resident ID numbers in bulk data (GB 11643-1999; SPEC §10.1: converted only in data
migration): the data-comparison alerts and the information-check extracts convert them to the 18-digit number
they are stored and matched as; the window's member schema refuses them as legacy numbers."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel, ValidationError

from adapters.db.economic_records import ExtractRefused, parse_extract
from api.routes.alerts import AlertBatchCreate
from api.schemas import MemberCreate
from domain.verification import RecordSource
from services.data_alerts import AlertBatch, AlertRow, _update_id

LEGACY, CONVERTED = "532331800101123", "532331198001011231"  # SPEC §10.1's vector, before and after


def test_a_data_comparison_alert_with_a_legacy_number_is_routed_by_the_converted_number() -> None:
    """GB 11643-1999: the CSV (``casework alerts import``) and the API body both hold the 18-digit number, and
    the same match sent in either form is the same Update (nothing raised twice)."""
    from_csv = AlertBatch(source="民政殡葬数据比对", alerts=[
        {"resident_id": LEGACY, "alert": "death", "occurred_on": "2026-11-01"}])  # type: ignore[list-item]
    from_api = AlertBatchCreate(source="民政殡葬数据比对", alerts=[
        {"resident_id": f" {LEGACY} ", "alert": "death", "occurred_on": "2026-11-01"}])  # type: ignore[list-item]
    modern = AlertRow(resident_id=CONVERTED, alert="death", occurred_on=date(2026, 11, 1))  # type: ignore[arg-type]
    assert from_csv.alerts[0].resident_id == from_api.alerts[0].resident_id == CONVERTED
    assert _update_id("民政殡葬数据比对", from_csv.alerts[0]) == _update_id("民政殡葬数据比对", modern)


@pytest.mark.parametrize("model", [AlertBatch, AlertBatchCreate])
def test_a_bad_legacy_number_in_an_alert_is_refused_naming_the_row_and_reason_not_the_number(
    model: type[BaseModel],
) -> None:
    """GB 11643-1999: a 15-digit number whose positions 7-12 are no date (30 February) cannot be converted."""
    with pytest.raises(ValidationError) as exc:
        model(source="x", alerts=[{"resident_id": "532331800230123", "alert": "death", "occurred_on": "2026-11-01"}])
    [error] = exc.value.errors(include_input=False)
    assert error["loc"][:3] == ("alerts", 0, "resident_id")
    assert "15-digit legacy number" in error["msg"] and "birth date" in error["msg"]
    assert "532331800230123" not in error["msg"] and "800230" not in error["msg"]


def test_an_extract_row_with_a_legacy_number_is_stored_under_the_converted_number() -> None:
    """S1 Art. 17 information check; GB 11643-1999: a department's extract may still carry 15-digit numbers."""
    data = f"resident_id,kind,amount\n{LEGACY},wages,1200.00\n{CONVERTED},other,300.00\n".encode()
    records = parse_extract(data, RecordSource.INCOME, "b1")
    assert [r.resident_id for r in records] == [CONVERTED, CONVERTED]
    with pytest.raises(ExtractRefused) as exc:
        parse_extract(b"resident_id,kind,amount\n992302800101123,wages,1.00\n", RecordSource.INCOME, "b2")
    [row_error] = exc.value.errors
    assert (row_error.row, row_error.column) == (2, "resident_id") and "address code" in row_error.reason


def test_a_legacy_number_at_the_window_is_refused_as_such_not_as_too_short() -> None:
    """GB 11643-1999; SPEC §10.1: the member schema says it is a legacy number and asks for the 18-digit one,
    where pydantic alone said "String should have at least 18 characters"."""
    with pytest.raises(ValidationError) as exc:
        MemberCreate(name="张三", resident_id=LEGACY, relation="applicant")  # type: ignore[arg-type]
    [error] = exc.value.errors(include_input=False)
    assert error["loc"] == ("resident_id",)
    assert "15-digit legacy resident ID number" in error["msg"] and "18-digit" in error["msg"]
    assert "at least 18" not in error["msg"]
    with pytest.raises(ValidationError, match="at least 18 characters"):
        MemberCreate(name="张三", resident_id=CONVERTED[:17], relation="applicant")  # type: ignore[arg-type]
