"""Two real processes saving the same template id at the same time."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from cobranca_kit.library import Library

SAVES_PER_PROCESS = 6

WORKER = r"""
import json, sys, time
from pathlib import Path
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import WhatsAppScript

folder, go_file, tag, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])

# A slow disk: widen the window between choosing a version number and writing
# the file, so a missing or broken lock shows up as lost or duplicate versions.
_write = Library._write_atomic
def _slow_write(target, text):
    time.sleep(0.03)
    _write(target, text)
Library._write_atomic = staticmethod(_slow_write)
lib = Library(folder)
meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal="whatsapp", estagio="atraso_curto", autor=tag)
base = ("Olá, {{ cliente.primeiro_nome }}! Aqui é da {{ empresa.nome }} (CNPJ {{ empresa.cnpj }}, "
        "endereço {{ empresa.endereco }}). Sua fatura de {{ divida.valor | moeda }} venceu. "
        "Se já pagou, desconsidere esta mensagem.")
print("ready", flush=True)
while not go_file.exists():
    time.sleep(0.005)
refs = []
for i in range(count):
    ref = lib.save(WhatsAppScript(mensagens=[base, f"Mensagem {tag} numero {i}."]), meta)
    refs.append([ref.id, ref.version, f"Mensagem {tag} numero {i}."])
print(json.dumps(refs), flush=True)
"""


def test_two_processes_saving_same_id_get_distinct_versions(tmp_path: Path) -> None:
    folder = tmp_path / "biblioteca"
    go_file = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(folder), str(go_file), tag, str(SAVES_PER_PROCESS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("A", "B")
    ]
    # Start both at once, after each has paid its import cost.
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.05)
    go_file.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.extend(json.loads(out.strip().splitlines()[-1]))

    versions = [version for _, version, _ in results]
    assert sorted(versions) == list(range(1, 2 * SAVES_PER_PROCESS + 1))  # distinct, no gaps
    lib = Library(folder)
    assert lib.problems == []
    stored = {t.version: t for t in lib.versions(results[0][0])}
    assert len(stored) == 2 * SAVES_PER_PROCESS
    for _, version, last_message in results:  # nothing lost or swapped
        assert stored[version].parts[-1][1] == last_message
    authors = {t.meta.autor for t in stored.values()}
    assert authors == {"A", "B"}
    leftovers = [p.name for p in folder.rglob("*.tmp")]
    assert leftovers == []
    for path in folder.rglob("v*.yaml"):
        yaml.safe_load(path.read_text("utf-8"))  # every file complete
