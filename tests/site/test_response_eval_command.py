"""`manage.py response_eval` on the tiny LM: the figures and per-call rows the issue names."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

ROWS = [{"text": "My husband is not breathing and his lips are blue", "priority": 0},
        {"text": "She is choking on a sweet and cannot cough", "priority": 0},
        {"text": "I need a sick note for work", "priority": 4},
        {"text": "My son cut his finger on a knife, it's bleeding a bit", "priority": 3}]


@pytest.mark.django_db
def test_it_writes_the_figures_and_one_row_per_call(tiny_classifier_settings, tiny_lm_dir, tmp_path, capsys):
    data = tmp_path / "calls.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    figures_path, rows_path = tmp_path / "out.json", tmp_path / "rows.jsonl"
    call_command("response_eval", "--data", str(data), "--limit", "3", "--model-dir", str(tiny_lm_dir),
                 "--max-new-tokens", "4", "--json", str(figures_path), "--replies-jsonl", str(rows_path))
    figures = json.loads(figures_path.read_text())
    for key in ("replies", "passed_rate", "passed_rate_by_level", "shown_harmful", "key_action_recall_p0_p1",
                "tokens_per_s"):
        assert key in figures
    assert figures["replies"] == 3 and figures["passed_rate"] == 0.0  # 4 tokens: every reply cut
    assert figures["shown_harmful"] == 0 and figures["key_action_recall_p0_p1"] == 1.0  # the cards were shown
    rows = [json.loads(line) for line in rows_path.read_text().splitlines()]
    assert [row["text"] for row in rows] == [r["text"] for r in ROWS[:2]] + [ROWS[3]["text"]]  # seeded sample
    assert {"text", "priority", "card", "reply", "passed", "shown"} <= set(rows[0])
    assert rows[0]["card"] == "cardiac_arrest" and "Push down hard and fast" in rows[0]["shown"]
    assert "replies passing the checker 0.0%" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_missing_file_is_one_line_and_exit_code_2(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("response_eval", "--data", str(tmp_path / "nope.jsonl"))
    assert error.value.returncode == 2
