"""Compliance checker: CDC art. 42/42-A/71, channel rules and best practices as declarative rules.

Rules live in ``rules/*.yaml`` (one file per category; ``contextos.yaml`` holds
the lawful contexts they share); ``check`` runs them over a text or a script and returns a :class:`Report` whose findings point at the
exact words, the law and a better way to say it.
"""

from cobranca_kit.compliance.channels import SmsInfo, sms_info
from cobranca_kit.compliance.engine import UnusableTextError, check
from cobranca_kit.compliance.normalize import normalize
from cobranca_kit.compliance.readability import flesch_pt
from cobranca_kit.compliance.report import CheckContext, Finding, Report
from cobranca_kit.compliance.rules import CATEGORIES, CATEGORY_LABELS, LEGAL_CATEGORIES, Rule, load_rules
from cobranca_kit.compliance.schedule import (
    CapDecision,
    allowed_send_time,
    contact_allowed,
    next_allowed_slot,
)
from cobranca_kit.compliance.summary import rules_summary

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "LEGAL_CATEGORIES",
    "CapDecision",
    "CheckContext",
    "Finding",
    "Report",
    "Rule",
    "SmsInfo",
    "UnusableTextError",
    "allowed_send_time",
    "check",
    "contact_allowed",
    "flesch_pt",
    "load_rules",
    "next_allowed_slot",
    "normalize",
    "rules_summary",
    "sms_info",
]
