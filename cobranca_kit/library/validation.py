"""Static validation of a script before it becomes (or is approved as) a template.

1. every variable is in the placeholder schema (unknown names get a close match);
2. the parts compile in the sandbox and render with the sample debtor;
3. the rendered text goes through the compliance checker; its report is stored;
4. the template text itself must be a real pt-BR message (``cobranca_kit.quality``: no
   copy of the prompt example, no filler, no literal personal data): each problem is a
   blocking finding in the stored report, so such a template cannot be approved.
"""

from __future__ import annotations

from typing import Any

from cobranca_kit.compliance import CheckContext, check
from cobranca_kit.errors import LibraryError, PlaceholderError
from cobranca_kit.fields import check_placeholders, sample_debtor
from cobranca_kit.formatting import contagem
from cobranca_kit.library.errors import ApprovalRefused
from cobranca_kit.library.models import TemplateMeta
from cobranca_kit.library.render import compile_parts, render_compiled
from cobranca_kit.quality import quality_problems
from cobranca_kit.script import Script, script_from_parts


def check_parts_placeholders(parts: list[tuple[str, str]]) -> None:
    """Raise ``PlaceholderError`` naming the part that uses a variable outside the schema."""
    for name, source in parts:
        try:
            check_placeholders(source)
        except PlaceholderError as exc:
            raise PlaceholderError(f"Parte '{name}': {exc}") from exc


def validate_template(parts: list[tuple[str, str]], meta: TemplateMeta, label: str) -> dict[str, Any]:
    """Run the static checks on ``parts``; return the compliance report as a dict.

    ``label`` names the template in error messages (``id@novo``, ``id@v3``).
    """
    check_parts_placeholders(parts)
    compiled = compile_parts(label, tuple(parts))
    sample = sample_debtor()
    rendered = render_compiled(compiled, sample)
    context = CheckContext(
        stage=meta.estagio,
        objection=meta.objecao,
        payment_methods=list(meta.pagamentos),
        template=False,
        creditor_name=sample["empresa"]["nome"],
    )
    report = check(script_from_parts(meta.canal, rendered), context=context).to_dict()
    problems = quality_problems(meta.canal, parts)
    if problems:
        report["findings"] = [p.to_finding() for p in problems] + report["findings"]
        report["passed"] = False
    return report


def validate_script(script: Script, meta: TemplateMeta) -> dict[str, Any]:
    """Checks done by ``Library.save``: channel match, schema, sample render, compliance."""
    if script.channel != meta.canal:
        raise LibraryError(
            f"O roteiro é do canal '{script.channel}', mas os metadados dizem '{meta.canal}'. "
            "Corrija o canal antes de salvar."
        )
    return validate_template(script.parts(), meta, f"{meta.id}@novo")


def describe_findings(findings: list[dict[str, Any]]) -> str:
    lines = []
    for f in findings:
        part = f" ({f.get('part')})" if f.get("part") else ""
        excerpt = f" «{f['excerpt']}»" if f.get("excerpt") else ""
        article = f" [{f['article']}]" if f.get("article") else ""
        lines.append(f"- {f.get('rule_id')}{part}{excerpt}: {f.get('message')}{article}")
    return "\n".join(lines)


def require_no_blocks(report: dict[str, Any], ref: str) -> None:
    blocks = [f for f in report.get("findings", []) if f.get("severity") == "block"]
    if blocks:
        raise ApprovalRefused(
            f"Aprovação recusada para {ref}: {contagem(len(blocks), 'problema bloqueante')}. "
            f"Corrija o texto e salve uma nova versão.\n{describe_findings(blocks)}",
            blocks,
        )
