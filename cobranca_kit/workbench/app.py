"""The drafting workbench: pick the situation, generate checked drafts, edit them,
re-check, preview with the sample debtor, save to the library and approve.

The view only wires widgets to package functions (drafting, compliance,
library); every callback goes through :func:`safe_callback`, so a failure is a
pt-BR message in the UI and never a silent traceback in the kernel log.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as widgets

from cobranca_kit.catalog import get_catalog
from cobranca_kit.compliance import CheckContext, check
from cobranca_kit.config import Config
from cobranca_kit.drafting import DraftRequest, draft_checked, get_drafter
from cobranca_kit.errors import DraftError
from cobranca_kit.formatting import contagem
from cobranca_kit.library import (
    ExportError,
    Library,
    Origin,
    Template,
    TemplateMeta,
    parse_ref,
    render,
    whatsapp_delivery,
)
from cobranca_kit.library.syntax import check_template_syntax
from cobranca_kit.workbench.cards import CARD_CSS, DraftCard, blocks_of
from cobranca_kit.workbench.preview import preview_data, preview_html, whatsapp_sent_html
from cobranca_kit.workbench.safe import error_html, friendly_message, info_html, safe_callback
from cobranca_kit.workbench.workspace import WorkspaceAccess

LABEL_STYLE = {"description_width": "120px"}
STATUS_LABELS = {"rascunho": "Rascunho", "aprovado": "Aprovado", "arquivado": "Arquivado"}
CONTROL_LAYOUT = {"width": "430px"}
MAX_VARIANTS = 5

# (attribute, catalog kind, pt-BR description, default id, CSS class)
_CHOICES = [
    ("objection", "objecoes", "Objeção", "nenhuma", "cobranca-objecao"),
    ("tone", "tons", "Tom", "amigavel", "cobranca-tom"),
    ("channel", "canais", "Canal", "whatsapp", "cobranca-canal"),
    ("stage", "estagios", "Estágio", "atraso_curto", "cobranca-estagio"),
    ("profile", "perfis", "Perfil", "desconhecido", "cobranca-perfil"),
]


class Workbench(WorkspaceAccess, widgets.VBox):
    """The ``01_bancada`` notebook's UI, usable headless in tests.

    ``config``, ``library`` and ``drafter`` default to the workspace's
    (``cobranca.toml``, its ``[pastas] biblioteca`` and the configured backend).
    """

    def __init__(
        self, config: Config | None = None, library: Library | None = None, drafter: Any = None
    ) -> None:
        self._config = config
        self._library = library
        self._drafter = drafter
        self._request: DraftRequest | None = None
        self.cards: list[DraftCard] = []
        catalog = get_catalog()

        self.status = widgets.HTML()
        self.status.add_class("cobranca-status")
        guarded = safe_callback(self.status)

        rows: list[widgets.Widget] = []
        self.guidance: dict[str, widgets.HTML] = {}
        for attr, kind, description, default, css in _CHOICES:
            dropdown = widgets.Dropdown(
                options=catalog.options(kind),
                value=default,
                description=description,
                style=LABEL_STYLE,
                layout=CONTROL_LAYOUT,
            )
            dropdown.add_class(css)
            hint = widgets.HTML(layout={"width": "auto", "max_width": "520px"})
            hint.add_class("cobranca-orientacao")
            setattr(self, attr, dropdown)
            self.guidance[attr] = hint
            dropdown.observe(guarded(lambda change, a=attr, k=kind: self._show_guidance(a, k)), names="value")
            self._show_guidance(attr, kind)
            rows.append(widgets.HBox([dropdown, hint]))

        self.payments = widgets.SelectMultiple(
            options=catalog.options("pagamentos"),
            value=("pix", "link"),
            description="Pagamento",
            rows=4,
            style=LABEL_STYLE,
            layout=CONTROL_LAYOUT,
        )
        self.payments.add_class("cobranca-pagamentos")
        # The choice in words, so it does not depend on the highlight colour of the list.
        self.payments_chosen = widgets.HTML()
        self.payments_chosen.add_class("cobranca-pagamentos-escolhidos")
        self.payments.observe(guarded(lambda _c: self._show_payments()), names="value")
        self._show_payments()
        self.instructions = widgets.Textarea(
            description="Instruções",
            style=LABEL_STYLE,
            placeholder="Instruções extras para o rascunho (opcional)",
            layout={"width": "640px", "height": "60px"},
        )
        self.instructions.add_class("cobranca-instrucoes")
        self.variants = widgets.BoundedIntText(
            value=1,
            min=1,
            max=MAX_VARIANTS,
            description="Variantes",
            style=LABEL_STYLE,
            layout={"width": "200px"},
        )
        self.variants.add_class("cobranca-variantes")
        self.author = widgets.Text(
            description="Seu nome",
            style=LABEL_STYLE,
            layout=CONTROL_LAYOUT,
            placeholder="quem salva e aprova os modelos",
        )
        self.author.add_class("cobranca-autor")
        self.backend = widgets.HTML()
        self.backend.add_class("cobranca-backend")

        self.generate_button = widgets.Button(
            description="Gerar rascunho",
            icon="magic",
            button_style="primary",
            layout={"width": "auto", "min_width": "180px"},
        )
        self.generate_button.add_class("cobranca-gerar")
        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, description="Gerando…", style=LABEL_STYLE, layout={"visibility": "hidden"}
        )
        self.progress.add_class("cobranca-progresso")
        self.cards_box = widgets.VBox()
        self.cards_box.add_class("cobranca-cards")
        self.generate_button.on_click(guarded(self._on_generate))

        # Asked before "Gerar rascunho" throws away edited, unsaved texts.
        self.confirm_text = widgets.HTML()
        self.confirm_discard = widgets.Button(
            description="Descartar e gerar",
            icon="trash",
            button_style="danger",
            layout={"width": "auto", "min_width": "180px"},
        )
        self.confirm_discard.add_class("cobranca-confirmar-descartar")
        self.confirm_cancel = widgets.Button(
            description="Cancelar", icon="times", layout={"width": "auto", "min_width": "120px"}
        )
        self.confirm_cancel.add_class("cobranca-cancelar-descartar")
        self.confirm_box = widgets.HBox(
            [self.confirm_text, self.confirm_discard, self.confirm_cancel], layout={"display": "none"}
        )
        self.confirm_box.add_class("cobranca-confirmacao-gerar")
        self.confirm_discard.on_click(guarded(lambda _b: self._on_generate(confirmed=True)))
        self.confirm_cancel.on_click(guarded(lambda _b: self._hide_confirmation()))

        # Open a saved version to read it or to edit it into a new version.
        self.saved_template = widgets.Dropdown(
            description="Modelo salvo", style=LABEL_STYLE, layout={"width": "640px"}
        )
        self.saved_template.add_class("cobranca-abrir-modelo")
        self.open_button = widgets.Button(
            description="Abrir na bancada", icon="folder-open", layout={"width": "auto", "min_width": "180px"}
        )
        self.open_button.add_class("cobranca-abrir")
        self.open_button.on_click(guarded(lambda _b: self.open_template(self.saved_template.value)))

        self._init_workspace()
        super().__init__(
            [
                widgets.HTML(CARD_CSS),
                self.backend,
                *rows,
                widgets.HBox([self.payments, self.payments_chosen]),
                self.instructions,
                widgets.HBox([self.variants, self.author]),
                widgets.HBox([self.generate_button, self.progress]),
                self.confirm_box,
                widgets.HBox([self.saved_template, self.open_button]),
                self.status,
                self.cards_box,
            ]
        )
        self.add_class("cobranca-bancada")

    # ---- workspace (config, library, backend) -------------------------------------------------

    def _init_workspace(self) -> None:
        """Load config and backend once for the indicator; on failure say so and stay usable."""
        try:
            config = self.config
            self.author.value = config.aprovacao.aprovador_padrao or ""
            drafter = self.drafter
            name, model = getattr(drafter, "name", "?"), getattr(drafter, "model", "?")
            url = getattr(drafter, "base_url", None)  # never the key
            where = "modo offline, sem rede" if name == "offline" else f"endpoint {url or 'configurado'}"
            self.backend.value = (
                f"<div>Modelo: <b>{html.escape(str(name))}</b> · "
                f"<code>{html.escape(str(model))}</code> ({where}) · Biblioteca: "
                f"<code>{html.escape(str(config.path('biblioteca')))}</code></div>"
            )
        except Exception as exc:
            self.backend.value = error_html(f"Modelo indisponível: {friendly_message(exc)}")
        try:
            self.refresh_saved()
        except Exception as exc:  # a broken library must not hide the workbench
            self.status.value = error_html(friendly_message(exc))

    def refresh_saved(self) -> None:
        """Fill the "Modelo salvo" list with every version in the library, newest first."""
        catalog = get_catalog()
        options: list[tuple[str, str]] = [("(escolha um modelo salvo)", "")]
        for t in sorted(self.library.list(), key=lambda t: (t.id, -t.version)):
            title = t.meta.titulo or catalog.label("canais", t.meta.canal)
            options.append((f"{t.ref} · {STATUS_LABELS.get(t.status, t.status)} · {title}", t.ref))
        current = self.saved_template.value
        self.saved_template.options = options
        self.saved_template.value = current if current in {v for _, v in options} else ""

    @property
    def drafter(self) -> Any:
        if self._drafter is None:
            self._drafter = get_drafter(self.config)
        return self._drafter

    # ---- controls -----------------------------------------------------------------------------

    def _show_guidance(self, attr: str, kind: str) -> None:
        entry = get_catalog().get(kind, getattr(self, attr).value)
        hint = f'<span style="color:#555;font-size:12px">{html.escape(entry.orientacao)}</span>'
        self.guidance[attr].value = hint

    def _show_payments(self) -> None:
        catalog = get_catalog()
        chosen = [catalog.label("pagamentos", p) for p in self.payments.value]
        text = ", ".join(chosen) if chosen else "nenhum (escolha ao menos um; Ctrl+clique marca vários)"
        self.payments_chosen.value = (
            f'<span style="color:#374151;font-size:12px">Selecionados: {html.escape(text)}</span>'
        )

    def request(self) -> DraftRequest:
        """The drafting request described by the controls."""
        return DraftRequest(
            objecao=self.objection.value,
            tom=self.tone.value,
            canal=self.channel.value,
            estagio=self.stage.value,
            perfil=self.profile.value,
            pagamentos=list(self.payments.value),
            instrucoes=self.instructions.value.strip(),
            variantes=int(self.variants.value),
        )

    def context(self, request: DraftRequest | None = None) -> CheckContext:
        request = request or self._request or self.request()
        # Same context as the drafting loop, so "Verificar" agrees with the verdict it gave.
        return CheckContext(
            stage=request.estagio,
            objection=request.objecao,
            payment_methods=list(request.pagamentos),
            template=True,
        )

    # ---- generate -----------------------------------------------------------------------------

    def _hide_confirmation(self) -> None:
        self.confirm_box.layout.display = "none"
        self.confirm_text.value = ""

    def unsaved_cards(self) -> list[DraftCard]:
        """Cards whose edited text is in no library version yet."""
        return [card for card in self.cards if card.has_unsaved_edits()]

    def _on_generate(self, _button: Any = None, *, confirmed: bool = False) -> None:
        unsaved = self.unsaved_cards()
        if unsaved and not confirmed:
            names = ", ".join(card.title for card in unsaved)
            self.confirm_text.value = error_html(
                f"Há texto editado e não salvo ({names}). Gerar novos rascunhos descarta essas edições."
            )
            self.confirm_box.layout.display = "flex"
            self.status.value = ""
            return
        self._hide_confirmation()
        request = self.request()
        self.generate_button.disabled = True
        self.progress.max = request.variantes
        self.progress.value = 0
        self.progress.layout.visibility = "visible"
        self.status.value = info_html(f"Gerando {contagem(request.variantes, 'rascunho')}…")
        try:
            drafter = self.drafter
            rounds = self.config.llm.rodadas_revisao
            cards: list[DraftCard] = []
            failures: list[str] = []
            notes: list[str] = []  # e.g. instructions the offline drafter could not follow
            for variant in range(request.variantes):
                try:
                    draft = draft_checked(
                        request, drafter=drafter, max_rounds=rounds, variant=variant, config=self.config
                    )
                except Exception as exc:  # one failed variant must not hide the others
                    failures.append(f"Variante {variant + 1}: {friendly_message(exc)}")
                else:
                    if draft.script is None:
                        failures.append(
                            f"Variante {variant + 1}: "
                            f"{friendly_message(DraftError(draft.error or 'sem texto'))}"
                        )
                    else:
                        cards.append(self._make_card(variant, request, draft))
                        notes += [n for n in getattr(draft, "notes", []) if n not in notes]
                self.progress.value = variant + 1
            self._request = request
            self.cards = cards
            self.cards_box.children = tuple(cards)
            if failures:
                self.status.value = error_html(" ".join(failures))
            else:
                self.status.value = info_html(
                    " ".join(
                        [f"{contagem(len(cards), 'rascunho pronto')}. Edite, verifique e salve.", *notes]
                    )
                )
        finally:
            self.generate_button.disabled = False
            self.progress.layout.visibility = "hidden"

    def _make_card(self, variant: int, request: DraftRequest, draft: Any) -> DraftCard:
        source = f"{draft.backend} · {draft.model}"
        if getattr(draft, "prompt_version", None):
            source += f" · prompt {draft.prompt_version}"
        warning = ""
        if draft.error:  # a later round failed; the text shown is the last good one
            warning = (
                "A revisão automática não terminou; o texto abaixo é da última rodada válida. "
                + friendly_message(DraftError(draft.error))
            )
        card = DraftCard(
            index=variant,
            channel=request.canal,
            parts=draft.script.parts(),
            report=draft.report,
            rounds=draft.rounds,
            source=source,
            warning=warning,
        )
        card.request, card.draft = request, draft
        self._wire(card)
        return card

    def _wire(self, card: DraftCard) -> None:
        self._refresh_metrics(card)
        guarded = safe_callback(card.status)
        card.verify_button.on_click(guarded(lambda _b, c=card: self.verify(c)))
        card.preview_button.on_click(guarded(lambda _b, c=card: self.preview(c)))
        card.save_button.on_click(guarded(lambda _b, c=card: self.save(c)))
        card.approve_button.on_click(guarded(lambda _b, c=card: self.approve(c)))

    def open_template(self, ref: str | None, version: int | None = None) -> DraftCard | None:
        """Open a saved version (``id@vN``, or id and version) as a card at the top.

        Editing it and saving makes the next version of the same template; the other
        cards stay as they are.
        """
        if not ref:
            self.status.value = error_html("Escolha um modelo salvo para abrir.")
            return None
        template_id, ref_version = parse_ref(ref)
        version = version or ref_version
        template = self.library.version(template_id, version) if version else self.library.latest(template_id)
        meta = template.meta
        request = DraftRequest(
            objecao=meta.objecao,
            tom=meta.tom,
            canal=meta.canal,
            estagio=meta.estagio,
            perfil=meta.perfil or "desconhecido",
            pagamentos=list(meta.pagamentos),
        )
        status = STATUS_LABELS.get(template.status, template.status)
        card = DraftCard(
            index=0,
            channel=meta.canal,
            parts=template.parts,
            report=check(template.script, meta.canal, self.context(request)),
            title=f"Modelo {template.ref} ({status})",
            source=meta.titulo,
        )
        card.title = template.ref
        card.request, card.draft, card.base_meta = request, None, meta
        card.ref, card.saved_parts = template.template_ref, list(template.parts)
        card.ref_html.value = f'<span class="cobranca-ref-id">Aberto: <code>{html.escape(template.ref)}</code> ({status})</span>'
        self._wire(card)
        card.status.value = info_html(
            f"{template.ref} aberto. Edite, verifique e salve: o texto alterado vira a próxima versão."
        )
        self.cards = [card, *self.cards]
        self.cards_box.children = tuple(self.cards)
        self.status.value = info_html(f"{template.ref} aberto na bancada.")
        return card

    # ---- card actions -------------------------------------------------------------------------

    def _sample_data(self, stage: str | None = None) -> dict[str, Any]:
        empresa = self.config.empresa
        return preview_data(stage, empresa.model_dump() if empresa is not None else None)

    def _unsaved_template(self, card: DraftCard) -> Template:
        script = card.script()  # validates placeholders first, with a close-match suggestion
        meta = self._meta(card)
        return Template(meta=meta, version=1, created_at=dt.datetime.now(dt.UTC), parts=script.parts())

    def _refresh_metrics(self, card: DraftCard) -> None:
        """Metrics on the text as the debtor reads it (sample debtor); template text as fallback."""
        try:
            rendered = render(
                self._unsaved_template(card), self._sample_data(getattr(card.request, "estagio", None))
            )
            card.show_report(
                card.report, "\n\n".join(t for _, t in rendered.parts), "com o devedor de exemplo"
            )
        except Exception:
            card.show_report(card.report, None, "texto do modelo, com variáveis")

    def verify(self, card: DraftCard) -> Any:
        """Re-check the edited text and repaint the card (and its preview, if open).

        Template mistakes (syntax, unknown filter such as ``| moedaa``) are reported
        here in pt-BR, naming part and line, before any rendering.
        """
        check_template_syntax(card.parts())
        script = card.script()
        report = check(script, card.channel, self.context(card.request))
        card.report = report
        self._refresh_metrics(card)
        if card.preview_open:
            self.preview(card)
        n = len(report.findings)
        card.status.value = info_html(
            "Verificado: nenhum achado." if not n else f"Verificado: {contagem(n, 'achado')}."
        )
        return report

    def preview(self, card: DraftCard) -> str:
        """Show what the sample debtor receives (library's sandboxed renderer).

        WhatsApp shows the messages actually sent: ONE template message (as exported
        to the Cloud API) and, only after a reply, the Pix code as a session message.
        """
        check_template_syntax(card.parts())
        template = self._unsaved_template(card)
        data = self._sample_data(getattr(card.request, "estagio", None))
        card.preview_open = True
        if card.channel == "whatsapp":
            try:
                delivery = whatsapp_delivery(template, data, self.config)
            except ExportError as exc:
                card.preview.value = error_html(
                    f"O cliente não receberia nada: este texto não pode ser enviado pelo WhatsApp. {exc}"
                )
                card.status.value = ""
                return card.preview.value
            card.preview.value = whatsapp_sent_html(delivery)
        else:
            rendered = render(template, data)
            sender = self.config.empresa.nome if self.config.empresa else None
            card.preview.value = preview_html(card.channel, rendered.parts, sender)
        card.status.value = info_html("Pré-visualização com o devedor de exemplo (dados fictícios).")
        return card.preview.value

    def _meta(self, card: DraftCard) -> TemplateMeta:
        base = card.base_meta
        if base is not None:  # an opened version: same template id, new author
            return base.model_copy(update={"autor": self.author.value.strip() or base.autor}, deep=True)
        request = card.request
        catalog = get_catalog()
        draft = card.draft
        title = " · ".join(
            [
                catalog.label("objecoes", request.objecao),
                catalog.label("tons", request.tom),
                catalog.label("canais", request.canal),
            ]
        )
        return TemplateMeta(
            objecao=request.objecao,
            tom=request.tom,
            canal=request.canal,
            estagio=request.estagio,
            perfil=request.perfil,
            pagamentos=list(request.pagamentos),
            titulo=title,
            autor=self.author.value.strip(),
            notas=request.instrucoes,
            origem=Origin(
                backend=draft.backend,
                modelo=draft.model,
                prompt_version=draft.prompt_version,
                seed=draft.seed,
            ),
        )

    def save(self, card: DraftCard) -> Any:
        """Verify, then save the edited text as a new library version; shows ``id@vN``."""
        report = self.verify(card)
        outcome = self.library.save_version(card.script(), self._meta(card))
        ref = outcome.ref
        card.ref = ref
        card.saved_parts = card.parts()
        word = "Salvo" if outcome.created else "Já na biblioteca"
        card.ref_html.value = (
            f'<span class="cobranca-ref-id">{word}: <code>{html.escape(str(ref))}</code></span>'
        )
        note = " Há bloqueios: corrija antes de aprovar." if blocks_of(report) else ""
        card.status.value = info_html(f"{outcome.message()}{note}")
        self.refresh_saved()
        return ref

    def approve(self, card: DraftCard) -> Any:
        """Approve the saved version when it has no blocking finding; records who approved."""
        if card.ref is None:
            card.status.value = error_html("Salve como modelo antes de aprovar.")
            return None
        if card.saved_parts != card.parts():
            card.status.value = error_html(
                "O texto mudou desde que foi salvo: salve de novo antes de aprovar."
            )
            return None
        if card.stale:
            self.verify(card)
        blocks = blocks_of(card.report)
        if blocks:
            card.status.value = error_html(
                f"Não é possível aprovar: {contagem(len(blocks), 'problema grave', 'problemas graves')}. "
                "Corrija o texto, verifique e salve."
            )
            return None
        who = self.author.value.strip() or (self.config.aprovacao.aprovador_padrao or "")
        if not who:
            card.status.value = error_html("Informe quem aprova no campo 'Seu nome'.")
            return None
        result = self.library.approve(card.ref.id, card.ref.version, by=who)
        card.ref_html.value = (
            f'<span class="cobranca-ref-id">Aprovado: <code>{html.escape(str(card.ref))}'
            f"</code> por {html.escape(who)}</span>"
        )
        card.status.value = info_html(f"{card.ref} aprovado por {who}.")
        self.refresh_saved()
        return result
