"""Issue 19, defects found on the way: ``casework alerts import`` on a GBK CSV (Excel's default "CSV" on a Chinese
Windows) answers with a message and exit code 2, never a traceback — through the one reader it shares with
``casework verification import`` (adapters.csv_text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.csv_text import NOT_UTF8, CsvUnreadable, read_csv_dicts
from adapters.db.economic_records import ExtractRefused, parse_extract
from cli.main import main
from domain.verification import RecordSource

ALERTS = "resident_id,alert,occurred_on\n11010519491231002X,death,2027-03-02\n"


def test_issue19_alerts_import_refuses_a_gbk_file_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gbk = tmp_path / "死亡比对.csv"
    gbk.write_bytes((ALERTS + "# 彩云镇\n").encode("gbk"))

    code = main(["alerts", "import", str(gbk), "--source", "民政殡葬数据比对 2027-03", "--by", "cr-01"])

    captured = capsys.readouterr()
    assert code == 2
    assert NOT_UTF8 in captured.err
    assert "Traceback" not in captured.err
    assert "11010519491231002X" not in captured.err  # nothing of the file's content


def test_issue19_alerts_import_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["alerts", "import", str(tmp_path / "none.csv"), "--source", "s", "--by", "cr-01"])

    assert code == 2
    assert "no such file" in capsys.readouterr().err


def test_issue19_one_reader_both_imports_refuse_gbk_alike() -> None:
    data = "resident_id,kind,amount,detail\n11010519491231002X,vehicle,1,禄丰市金山镇\n".encode("gbk")

    with pytest.raises(CsvUnreadable, match="CSV UTF-8"):
        read_csv_dicts(data)
    with pytest.raises(ExtractRefused) as refused:
        parse_extract(data, RecordSource.VEHICLE, "b1")
    assert refused.value.errors[0].reason == NOT_UTF8


def test_the_reader_accepts_utf8_with_a_byte_order_mark() -> None:
    rows = read_csv_dicts(("\ufeff" + ALERTS).encode("utf-8"))

    assert rows == [{"resident_id": "11010519491231002X", "alert": "death", "occurred_on": "2027-03-02"}]
