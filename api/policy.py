"""Who may call what: one table, read by the route dependencies (and by the authorization-matrix tests).

Object-level checks (is this case inside the actor's jurisdiction?) happen in the routes and the domain.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from domain.actors import HUMAN_ROLES, Role
from domain.programmes.dibao.procedure import SUBMIT_ROLES


class Permission(StrEnum):
    CASE_CREATE = "case.create"
    CASE_READ = "case.read"
    CASE_COMMAND = "case.command"
    DATA_ALERT_RAISE = "data_alert.raise"
    PAYMENT_ROLL_GENERATE = "payment_roll.generate"
    PAYMENT_ROLL_READ = "payment_roll.read"
    #: The bank file of a roll (惠民惠农财政补贴资金"一卡通", issue 19 item 7): full account and ID numbers.
    PAYMENT_BANK_FILE = "payment_roll.bank_file"
    PAYEE_WRITE = "payee.write"
    STANDARD_CHANGE_PREVIEW = "standard_change.preview"
    STANDARD_CHANGE_APPLY = "standard_change.apply"
    CASE_LIST = "case.list"
    REPORT_READ = "report.read"
    AUDIT_READ = "audit.read"
    PAYLOAD_DECODE = "payload.decode"
    #: Referrals between programmes (转介, S4 Art. 60): listed for the windows and caseworkers who take them up.
    REFERRAL_READ = "referral.read"
    #: 特困 (S3 Art. 16): the county's random check of a township's submissions.
    TEKUN_CHECK_DRAW = "tekun.check_draw"
    #: 特困 (S4 Art. 19): the support institutions, their beds and waiting lists.
    TEKUN_INSTITUTIONS_READ = "tekun.institutions.read"
    #: A property-level right: who sees members' resident ID numbers in full (the others see them masked).
    RESIDENT_ID_FULL = "resident_id.full"
    RESERVE_FUND_READ = "reserve_fund.read"
    RESERVE_FUND_REPLENISH = "reserve_fund.replenish"
    EMERGENCY_REPORT = "emergency.report"


_ROLL_MAKERS = frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.TOWNSHIP_APPROVER})

POLICY: MappingProxyType[Permission, frozenset[Role]] = MappingProxyType(
    {
        Permission.CASE_CREATE: SUBMIT_ROLES,
        Permission.CASE_READ: HUMAN_ROLES,
        # Which role may take which step is the domain's rule (domain/case.py); auditors only read.
        Permission.CASE_COMMAND: HUMAN_ROLES - {Role.AUDITOR},
        # Data-comparison matches come from the county's checking centre or the township (S6 §三).
        Permission.DATA_ALERT_RAISE: frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_CASEWORKER}),
        # Payment rolls (发放名册, S1 Art. 25): drawn up by township or county, read by supervision too.
        Permission.PAYMENT_ROLL_GENERATE: _ROLL_MAKERS,
        Permission.PAYMENT_ROLL_READ: _ROLL_MAKERS | {Role.SUPERVISOR, Role.AUDITOR},
        # The bank file pays the roll: full account and ID numbers go to the bank (S1 Art. 25). It is sent by the
        # authority that decided the benefit and orders its payment, the county civil-affairs bureau (S1 Arts.
        # 21, 25; 一卡通 payments go out through the county's finance bureau), never by the township or
        # supervision, who check the roll with masked numbers (PIPL Arts. 6, 28: only what the task needs).
        Permission.PAYMENT_BANK_FILE: frozenset({Role.COUNTY_APPROVER}),
        # The account a household is paid into is taken at the window or by the township caseworker.
        Permission.PAYEE_WRITE: frozenset({Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER}),
        # 物价联动: the county previews a new standard's impact; only the county approver applies it (S4 Art. 10).
        Permission.STANDARD_CHANGE_PREVIEW: frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.SUPERVISOR,
                                                       Role.AUDITOR}),
        Permission.STANDARD_CHANGE_APPLY: frozenset({Role.COUNTY_APPROVER}),
        # The case list (codes and stages, no personal data) is the administrative work queue and register:
        # every role, each inside its jurisdiction. The village committee assists the procedure in its own
        # village (S1 Arts. 6, 16, 19, 24: it hands in applications as agent, takes part in the investigation,
        # posts the 公示 and 公布) and lists its own village's cases, never the township's (issue 19).
        Permission.CASE_LIST: HUMAN_ROLES,
        # Reports (stage funnel, SLA breaches, monthly caseload and payments) are for supervision and the
        # deciding authorities (S1 Arts. 35-37; S4 Art. 57), not for the front line.
        Permission.REPORT_READ: frozenset({Role.SUPERVISOR, Role.AUDITOR, Role.COUNTY_REVIEWER,
                                           Role.COUNTY_APPROVER, Role.TOWNSHIP_APPROVER}),
        # Audit (issue 6): the full event histories hold everything the household declared, so exporting and
        # replaying them, reading the ledger and re-evaluating decisions is for audit and supervision only
        # (S1 Arts. 35-37; PIPL Art. 28). The trail (no personal data) stays CASE_READ.
        Permission.AUDIT_READ: frozenset({Role.AUDITOR, Role.SUPERVISOR}),
        # The codec server shows the Temporal Web UI decrypted payloads: the same people (issue 7).
        Permission.PAYLOAD_DECODE: frozenset({Role.AUDITOR, Role.SUPERVISOR}),
        # Referrals are taken up at the window; the township and county follow them; supervision oversees.
        Permission.REFERRAL_READ: frozenset({Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER,
                                             Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.SUPERVISOR}),
        # 特困: the county reviewer draws the ≥ 30 % random check of each township's submissions (S3 Art. 16).
        Permission.TEKUN_CHECK_DRAW: frozenset({Role.COUNTY_REVIEWER}),
        # Beds and waiting lists are for the county (visible to it, S4 Art. 19), the township placing people, and
        # supervision.
        Permission.TEKUN_INSTITUTIONS_READ: frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER,
                                                      Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER,
                                                      Role.SUPERVISOR}),
        # Full resident ID numbers (PIPL Art. 28: sensitive personal information; Art. 6 and 35: only what the
        # task needs; S1 Art. 66: staff keep applicants' information confidential). In full for the roles that
        # must identify the person or sign a decision on them: the window checks the ID at 受理 (S4 Art. 60),
        # the township investigates, checks the family's economic records by ID and issues the 初审意见
        # (S1 Arts. 15-19), the county reviews and decides (S1 Arts. 20-21). The village committee only
        # assists (S1 Arts. 6, 16); supervision and audit review how cases were handled (S1 Arts. 35-37;
        # S4 Art. 57): they see ``532302********0029``, the address code and last four (enough to tell
        # members apart).
        Permission.RESIDENT_ID_FULL: frozenset({Role.FRONT_OFFICE, Role.TOWNSHIP_CASEWORKER,
                                                Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER,
                                                Role.COUNTY_APPROVER}),
        # 临时救助备用金 (S8 §三(三)): the township that grants from it and the county that fills it read it, and
        # supervision and audit; only the county approver replenishes it (finance, S4 Art. 64, audits it).
        Permission.RESERVE_FUND_READ: frozenset({Role.TOWNSHIP_CASEWORKER, Role.TOWNSHIP_APPROVER,
                                                 Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.SUPERVISOR,
                                                 Role.AUDITOR}),
        Permission.RESERVE_FUND_REPLENISH: frozenset({Role.COUNTY_APPROVER}),
        # 先行救助: an emergency is reported by the household at the window, the village committee, or township and
        # county staff (a hotline call, a case found in data; SPEC §5.3; S5 item 14).
        Permission.EMERGENCY_REPORT: frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP_CASEWORKER,
                                                Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER,
                                                Role.COUNTY_APPROVER}),
    }
)
