"""Village codes at intake (issue 19 item 5; SPEC §10.2): a Lufeng code must be one of its 168 villages and
communities (the division code table), else 422 naming ``village_code``; the console names the village."""

from __future__ import annotations

import httpx

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.builders import JINSHAN, application_body


async def test_a_code_missing_from_the_table_is_refused_naming_the_field(http: httpx.AsyncClient,
                                                                         auth: TokenFactory) -> None:
    body = application_body(village_code="532302101099")  # 金山镇 has no village 099
    refused = await http.post("/v1/cases", json=body, headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert any(e["loc"][-1] == "village_code" and "division code table" in e["msg"]
               for e in problem["detail"]), problem
    ok = await http.post("/v1/cases", json=application_body(village_code="532302101005"),
                         headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert ok.status_code == 201, ok.text
    detail = await http.get(f"/v1/cases/{ok.json()['case_id']}", headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert detail.json()["village_code"] == "532302101005"
