"""Rendering: sandbox, literal debtor data, missing fields, e-mail HTML escaping."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml
from jinja2.exceptions import SecurityError
from jinja2.utils import Cycler, generate_lorem_ipsum

from cobranca_kit.errors import CobrancaKitError, RenderError
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library import Library, Template, TemplateMeta, compile_template, render
from cobranca_kit.library.render import TEXT_ENV
from cobranca_kit.script import WhatsAppScript, script_from_parts

SCRIPTS = yaml.safe_load((Path(__file__).parent / "data" / "library" / "scripts.yaml").read_text("utf-8"))


def template(channel: str, parts: list[tuple[str, str]], version: int = 1) -> Template:
    """A template as if read from a (possibly hand-edited) file: no save-time checks."""
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal=channel, estagio="atraso_curto")
    return Template(meta=meta, version=version, created_at=dt.datetime(2026, 11, 22), parts=parts)


def whatsapp(*messages: str) -> Template:
    return template("whatsapp", [(f"mensagem_{i}", m) for i, m in enumerate(messages, 1)])


def test_render_sample_debtor_with_pt_br_filters() -> None:
    t = template("whatsapp", list(SCRIPTS["whatsapp"].items()))
    out = render(t, sample_debtor())
    assert out.template_id == t.id and out.version == 1 and out.channel == "whatsapp"
    assert out.html is None
    first, second, pix = (text for _, text in out.parts)
    assert first.startswith("Olá, Mariana! Aqui é da Conecta Fibra Telecom Ltda. (CNPJ 11.222.333/0001-81")
    assert "no valor de R$ 389,90, venceu em 10/11/2026" in second
    assert pix == sample_debtor()["pagamento"]["pix_copia_e_cola"]


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ 7*7 }}",
        "{% for x in range(3) %}x{% endfor %}",
        "{{ ''.__class__.__mro__ }}",
        "{% raw %}{{ cliente }}{% endraw %}",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_debtor_data_renders_literally(hostile: str) -> None:
    data = sample_debtor()
    data["cliente"]["primeiro_nome"] = hostile
    out = render(whatsapp("Olá, {{ cliente.primeiro_nome }}! Tudo bem com você?"), data)
    assert out.parts == [("mensagem_1", f"Olá, {hostile}! Tudo bem com você?")]


# Known ways out of a Jinja sandbox. Each must end as a RenderError, never as output.
ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cliente.nome.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ '{0.__class__.__mro__}'.format(cliente.nome) }}",
    "{{ '{x.__class__}'.format_map({'x': cliente.nome}) }}",
    "{{ cliente.nome | attr('__class__') }}",
    "{{ divida.valor.__class__.__subclasses__() }}",
    "{{ range.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escapes_fail_with_clear_error(source: str) -> None:
    t = whatsapp(f"Olá {source} tudo bem?")
    with pytest.raises(RenderError) as info:
        render(t, sample_debtor())
    message = str(info.value)
    assert t.ref in message
    assert "recursos internos" in message or "Variável desconhecida" in message


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escapes_refused_on_save(tmp_path: Path, source: str) -> None:
    bad = WhatsAppScript.model_construct(channel="whatsapp", mensagens=[f"Olá {source} tudo bem?"])
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal="whatsapp", estagio="atraso_curto")
    with pytest.raises(CobrancaKitError):
        Library(tmp_path).save(bad, meta)
    assert not any(tmp_path.rglob("*.yaml"))


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ lipsum.__globals__ }}",
        "{{ '{0.__class__}'.format(nome) }}",
        "{{ nome.__class__.__mro__ }}",
    ],
)
def test_sandbox_layer_itself_blocks_escapes(source: str) -> None:
    # Even with the dangerous helpers handed over as data, the sandbox refuses.
    tools = {"cycler": Cycler(1, 2), "lipsum": generate_lorem_ipsum, "nome": "Ana"}
    with pytest.raises(SecurityError):
        TEXT_ENV.from_string(source).render(**tools)


def test_jinja_globals_are_removed() -> None:
    assert TEXT_ENV.globals == {}


def test_missing_field_names_template_field_and_row() -> None:
    t = template("whatsapp", list(SCRIPTS["whatsapp"].items()))
    data = sample_debtor()
    del data["divida"]["valor"]
    with pytest.raises(RenderError) as info:
        render(t, data, row=7)
    message = str(info.value)
    assert t.ref in message and "'divida.valor'" in message and "linha 7" in message
    data = sample_debtor()
    del data["pagamento"]
    with pytest.raises(RenderError, match=r"pagamento\.link.*pagamento\.pix_copia_e_cola"):
        render(t, data)


def test_empty_field_is_an_error_not_the_word_none() -> None:
    data = sample_debtor()
    data["cliente"]["primeiro_nome"] = None
    with pytest.raises(RenderError, match=r"campo vazio.*cliente\.primeiro_nome") as info:
        render(whatsapp("Olá, {{ cliente.primeiro_nome }}! Tudo bem?"), data, row=3)
    assert "linha 3" in str(info.value)
    data["cliente"]["primeiro_nome"] = float("nan")
    with pytest.raises(RenderError, match="campo vazio"):
        render(whatsapp("Olá, {{ cliente.primeiro_nome }}! Tudo bem?"), data)


def test_invalid_value_for_filter() -> None:
    data = sample_debtor()
    data["divida"]["vencimento"] = "ontem"
    with pytest.raises(RenderError, match=r"valor inválido.*ontem"):
        render(whatsapp("Venceu em {{ divida.vencimento | data }}, tudo bem?"), data, row=2)


def test_unknown_placeholder_in_hand_edited_template_suggests_close_match() -> None:
    with pytest.raises(RenderError, match=r"Você quis dizer '\{\{ divida.valor \}\}'"):
        render(whatsapp("Valor: {{ divida.valr }} em aberto."), sample_debtor())


def test_syntax_error_names_template_and_part() -> None:
    t = whatsapp("Olá", "Valor {{ divida.valor | moeda ")
    with pytest.raises(RenderError, match=r"parte 'mensagem_2'.*sintaxe"):
        render(t, sample_debtor())


def test_compiled_once_per_version_and_text() -> None:
    t = template("whatsapp", list(SCRIPTS["whatsapp"].items()))
    assert compile_template(t) is compile_template(copy.deepcopy(t))
    other_text = template("whatsapp", [("mensagem_1", "Olá, {{ cliente.primeiro_nome }}! Tudo bem?")])
    assert compile_template(other_text) is not compile_template(t)


def test_email_html_is_escaped_and_identifies_creditor() -> None:
    t = template("email", list(SCRIPTS["email"].items()))
    data = sample_debtor()
    data["cliente"]["primeiro_nome"] = "<b>Ana</b> & Cia"
    out = render(t, data)
    assert out.html is not None
    assert "&lt;b&gt;Ana&lt;/b&gt; &amp; Cia" in out.html
    assert "<b>Ana</b>" not in out.html
    assert "Olá, <b>Ana</b> & Cia." in out.part("corpo")  # text part stays literal
    assert '<a href="https://pagar.exemplo.com.br/f/8KQ2ZC"' in out.html
    assert "CNPJ 11.222.333/0001-81" in out.html and "Rua das Acácias" in out.html
    assert out.html.count("<p>") >= 3  # paragraphs kept


def test_rendered_script_round_trip() -> None:
    t = template("sms", list(SCRIPTS["sms"].items()))
    out = render(t, sample_debtor())
    assert out.script() == script_from_parts("sms", out.parts)
    assert out.ref == f"{t.id}@v1"
    assert out.text() == out.part("texto")


def test_email_links_are_escaped_anchors() -> None:
    t = template("email", list(SCRIPTS["email"].items()))
    data = sample_debtor()
    data["pagamento"]["link"] = 'https://pagar.exemplo.com.br/f?a=1&b=2"onmouseover="alert(1)'
    html = render(t, data).html
    assert html is not None
    assert '<a href="https://pagar.exemplo.com.br/f?a=1&amp;b=2">' in html
    assert 'onmouseover="' not in html and "&#34;onmouseover=&#34;alert(1)" in html


def test_company_name_ending_with_period_does_not_double_it() -> None:
    data = copy.deepcopy(sample_debtor())
    data["empresa"]["nome"] = "Conecta Fibra Ltda."
    tmpl = whatsapp("Escrevemos em nome da {{ empresa.nome }}. Aguardamos seu retorno...")
    text = render(tmpl, data).parts[0][1]
    assert text == "Escrevemos em nome da Conecta Fibra Ltda. Aguardamos seu retorno..."
