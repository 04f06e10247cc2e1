"""Render :mod:`domain.notices` models to printable HTML5 pages in Chinese (A4, SPEC §3.3, §9).

Templates live in ``templates/`` next to this module (shipped as package data). Autoescaping is on for every
template, so names and free text are always HTML-escaped; ``StrictUndefined`` turns a template typo into an
error instead of a blank on a legal document.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from domain.notices import (
    MEASURES,
    AcceptanceNotice,
    ApprovalNotice,
    BenefitChangeNotice,
    DeficiencyNotice,
    Notice,
    PublicationList,
    PublicityNotice,
    RejectionNotice,
    StopNotice,
    date_label,
    month_label,
    yuan,
)
from domain.programmes.allowance import notices as allowance_notices
from domain.programmes.tekun import notices as tekun_notices
from domain.programmes.temporary import notices as temporary_notices  # noqa: E402

TEMPLATE_DIR = Path(__file__).parent / "templates"

_TEMPLATES: dict[type, str] = {
    DeficiencyNotice: "deficiency.html",
    AcceptanceNotice: "acceptance.html",
    PublicityNotice: "publicity.html",
    PublicationList: "publication.html",
    RejectionNotice: "rejection.html",
    ApprovalNotice: "approval.html",
    BenefitChangeNotice: "benefit_change.html",
    StopNotice: "stop.html",
    # 临时救助
    temporary_notices.TemporaryAcceptanceNotice: "temporary_acceptance.html",
    temporary_notices.TemporaryPublicityNotice: "temporary_publicity.html",
    temporary_notices.TemporaryDecisionNotice: "temporary_decision.html",
    temporary_notices.TemporaryRefusalNotice: "temporary_refusal.html",
}
# 特困 (S3): the programme's own notices (subclasses of the models above, so the lookup is by exact type).
_TEMPLATES.update({
    tekun_notices.TekunAcceptanceNotice: "tekun_acceptance.html",
    tekun_notices.TekunPublicityNotice: "tekun_publicity.html",
    tekun_notices.TekunApprovalNotice: "tekun_approval.html",
    tekun_notices.TekunRejectionNotice: "tekun_rejection.html",
    tekun_notices.TekunPublicationList: "tekun_publication.html",
    tekun_notices.TerminationPublicityNotice: "termination_publicity.html",
    tekun_notices.TerminationDecisionNotice: "termination_decision.html",
})
# 残疾人两项补贴 (S12) and 高龄津贴 (SPEC §6.3): individual decision notices.
_TEMPLATES.update({
    allowance_notices.SubsidyApprovalNotice: "subsidy_approval.html",
    allowance_notices.SubsidyRejectionNotice: "subsidy_rejection.html",
    allowance_notices.SubsidyChangeNotice: "subsidy_change.html",
    allowance_notices.SubsidyStopNotice: "subsidy_stop.html",
    allowance_notices.OldAgeApprovalNotice: "old_age_approval.html",
    allowance_notices.OldAgeRejectionNotice: "old_age_rejection.html",
    allowance_notices.BandChangeNotice: "band_change.html",
    allowance_notices.SuspensionNotice: "suspension.html",
    allowance_notices.ResumptionNotice: "resumption.html",
    allowance_notices.OldAgeStopNotice: "old_age_stop.html",
})


def template_environment() -> Environment:
    """The environment of every printed document (notices, payment rolls): autoescaped, strict, with the
    yuan / month / date filters."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(yuan=yuan, month_label=month_label, date_label=date_label)
    env.globals.update(measures=MEASURES)
    return env


# Stateless after construction (no settings, no I/O until a template is first loaded), so one per process.
_ENV = template_environment()


def render_notice(notice: Notice) -> str:
    """Render one notice as a complete, printable HTML5 page.

    Args:
        notice: any of the notice models of :mod:`domain.notices`.

    Returns:
        The HTML text (UTF-8 when encoded), ``<html lang="zh-CN">``.

    Raises:
        TypeError: if ``notice`` is not one of the notice models.
    """
    name = _TEMPLATES.get(type(notice))
    if name is None:
        raise TypeError(f"no notice template for {type(notice).__name__}")
    return _ENV.get_template(name).render(notice=notice)
