"""`classify`, `triage_eval` and `train_triage` as a user runs them: output, files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from inference.triage.encoder_classifier import EncoderClassifier
from inference.triage.evaluation import read_jsonl

ROOT = Path(__file__).resolve().parents[2]


def test_classify_prints_the_level_and_every_probability(tiny_classifier_settings, capsys):
    call_command("classify", "She is not breathing and her lips are blue")
    out = capsys.readouterr().out
    assert out.startswith("level ") and "tiny-ft" in out
    for label in ("P0 immediate", "P1 emergent", "P2 urgent", "P3 less urgent", "P4 non-urgent"):
        assert label in out
    assert out.count("*") == 1  # the chosen level is marked


def test_classify_refuses_empty_text_with_exit_code_2(tiny_classifier_settings):
    with pytest.raises(CommandError) as error:
        call_command("classify", "   ")
    assert error.value.returncode == 2 and "empty" in str(error.value)


def test_triage_eval_reports_and_writes_the_documented_figures(tiny_classifier_settings, tmp_path, capsys):
    data = tmp_path / "calls.jsonl"
    rows = [{"text": "not breathing, no pulse", "priority": 0},
            {"text": "needs a repeat prescription", "priority": 4, "output_tokens": 120},
            {"text": "twisted ankle, walking with a limp", "priority": 3}]
    data.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    out_json = tmp_path / "figures.json"
    call_command("triage_eval", "--data", str(data), "--json", str(out_json))
    printed = capsys.readouterr().out
    assert "macro-F1" in printed and "under-triage of true levels 0-1" in printed
    figures = json.loads(out_json.read_text())
    for key in ("accuracy", "macro_f1", "under_triage_rate", "under_triage_rate_critical",
                "over_triage_rate", "confusion"):
        assert key in figures
    assert sum(map(sum, figures["confusion"])) == 3
    assert figures["length_count"] == 1 and figures["length_predictor"] == "learned"
    assert figures["length_kendall_tau"] is None  # one row cannot be ordered
    assert figures["length_mae_tokens"] >= 0 and figures["length_bucket_accuracy"] in (0.0, 1.0)


def test_triage_eval_takes_reply_lengths_from_the_shipped_table_by_row_id(tiny_classifier_settings, tmp_path):
    from inference.reply_lengths import read_table, table_path

    table = read_table(table_path("smollm2-135m-instruct", settings.TRIAGE_LENGTH_MAX_NEW_TOKENS))
    known = {entry.id for entry in table}
    rows = [r for r in read_jsonl(settings.TRIAGE_CORPUS_DIR / "test.jsonl") if r.id in known][:12]
    data = tmp_path / "calls.jsonl"
    data.write_text("".join(json.dumps({"id": r.id, "text": r.text, "priority": r.priority}) + "\n"
                            for r in rows) + json.dumps({"text": "no id, no length", "priority": 2}) + "\n")
    out_json = tmp_path / "figures.json"
    call_command("triage_eval", "--data", str(data), "--json", str(out_json))
    figures = json.loads(out_json.read_text())
    assert figures["length_count"] == 12  # the row without an id has no known length
    assert set(figures["length_baselines"]) == {"level-baseline", "level-median"}
    assert figures["length_baselines"]["level-baseline"]["count"] == 12


def test_triage_eval_names_the_bad_line_of_a_malformed_file(tiny_classifier_settings, tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "fine", "priority": 1}\n{"text": "bad level", "priority": 9}\n')
    with pytest.raises(CommandError) as error:
        call_command("triage_eval", "--data", str(data))
    assert error.value.returncode == 2 and "bad.jsonl:2:" in str(error.value)


def test_a_missing_model_tells_the_user_how_to_build_it(missing_classifier_settings):
    with pytest.raises(CommandError) as error:
        call_command("classify", "chest pain")
    assert "train_triage" in str(error.value)


def test_train_triage_builds_a_loadable_artefact_and_skips_when_present(tiny_encoder_dir, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"text": f"call number {i} about level {i % 5}", "priority": i % 5})
             for i in range(20)]
    (corpus / "train.jsonl").write_text("\n".join(lines) + "\n")
    (corpus / "validation.jsonl").write_text("\n".join(lines[:10]) + "\n")
    out = tmp_path / "artefact"
    call_command("train_triage", "--train", str(corpus / "train.jsonl"),
                 "--validation", str(corpus / "validation.jsonl"), "--out", str(out), "--epochs", "1",
                 "--base-encoder", str(tiny_encoder_dir))
    assert EncoderClassifier.load(out).classify(["help"])[0].priority in range(5)
    stamp = (out / "metadata.json").stat().st_mtime_ns
    call_command("train_triage", "--out", str(out), "--if-missing")
    assert (out / "metadata.json").stat().st_mtime_ns == stamp


def test_the_command_line_exit_code_is_2_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "manage.py", "triage_eval", "--data", str(tmp_path / "nope.jsonl")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "nope.jsonl" in done.stderr
