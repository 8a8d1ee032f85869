"""Hardware settings: the built-ins carry the published numbers; bad files fail by name."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from scheduling.cli import main
from scheduling.hardware import (GIB, SettingError, builtin_setting_names, load_builtin_setting,
                                 load_setting_file, setting_from_mapping)

# The reference table (arXiv 2506.12204 simulator), and the roofline figures in H100_8B.yaml.
REFERENCE = {
    "A100_4B": dict(c1=5.91298857e-09, c2=1.195828e-02, prefill_a=1.46584975e-09,
                    prefill_b=1.0515576e-04, kv_reload_s_per_token=1e-4, gpu_memory_gib=40,
                    num_params_b=4.0, hidden_size=2560, num_layers=40),
    "A100_7B": dict(c1=1.34911080e-08, c2=1.330198e-02, prefill_a=5.13462572e-07,
                    prefill_b=1.48057167e-04, kv_reload_s_per_token=1e-4, gpu_memory_gib=40,
                    num_params_b=7.0, hidden_size=4096, num_layers=32),
    "A5000_4B": dict(c1=2.86938135e-06, c2=3.00834536e-02, prefill_a=1.58625005e-09,
                     prefill_b=1.30542054e-04, kv_reload_s_per_token=3e-4, gpu_memory_gib=24,
                     num_params_b=4.0, hidden_size=2560, num_layers=40),
    "H100_8B": dict(c1=5.59e-08, c2=6.85e-03, prefill_a=1.06e-09, prefill_b=3.25e-05,
                    kv_reload_s_per_token=5.24e-06, gpu_memory_gib=80, num_params_b=8.03,
                    hidden_size=4096, num_layers=32, kv_hidden_size=1024),
}

GOOD = {
    "name": "mine", "gpu_memory_gib": 24, "num_params_b": 1.5, "hidden_size": 2048,
    "num_layers": 24, "c1": 1e-8, "c2": 0.01, "prefill_a": 1e-9, "prefill_b": 1e-4,
    "kv_reload_s_per_token": 1e-4,
}


def test_every_builtin_setting_is_listed_and_loads():
    assert set(builtin_setting_names()) >= set(REFERENCE)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_builtin_settings_carry_the_reference_coefficients(name):
    setting = load_builtin_setting(name)
    assert setting.name == name
    for key, value in REFERENCE[name].items():
        assert getattr(setting, key) == pytest.approx(value, rel=1e-12), key
    assert setting.block_size == 32
    assert setting.num_kv_blocks > 500


def test_a100_7b_kv_capacity_follows_the_reference_rule():
    setting = load_builtin_setting("A100_7B")
    expected = math.floor((40 * GIB * 0.75 - 14e9) / (4 * 4096 * 32 * 32))
    assert setting.num_kv_blocks == expected == 1085
    assert setting.kv_capacity_tokens == expected * 32
    assert setting.kv_bytes_per_token == 4 * 4096 * 32


def test_gqa_shrinks_the_kv_per_token():
    h100 = load_builtin_setting("H100_8B")
    assert h100.kv_bytes_per_token == 2 * 2 * 1024 * 32
    expected = math.floor((80 * GIB * 0.75 - 8.03e9 * 2) / (2 * 2 * 1024 * 32 * 32))
    assert h100.num_kv_blocks == expected


def test_an_unknown_builtin_names_the_choices():
    with pytest.raises(SettingError, match="A100_7B") as info:
        load_builtin_setting("B200_1T")
    assert "B200_1T" in str(info.value)


def _yaml(mapping: dict) -> str:
    return yaml.safe_dump(mapping)  # floats as 1.0e-08: PyYAML reads a bare 1e-08 as a string


def test_a_yaml_setting_file_loads(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(_yaml({**GOOD, "preemption_mode": "swap", "sources": ["a note"]}))
    setting = load_setting_file(path)
    assert (setting.name, setting.c2, setting.preemption_mode, setting.sources) == (
        "mine", 0.01, "swap", ("a note",))
    assert isinstance(setting.gpu_memory_gib, float) and setting.gpu_memory_gib == 24.0


def test_a_json_setting_file_loads_and_takes_its_name_from_the_file(tmp_path):
    data = dict(GOOD)
    del data["name"]
    path = tmp_path / "from_json.json"
    path.write_text(json.dumps(data))
    setting = load_setting_file(path)
    assert setting.name == "from_json"
    assert setting == setting_from_mapping({**GOOD, "name": "from_json"})


@pytest.mark.parametrize("change,named", [
    ({"warp_speed": 9}, "warp_speed"),                 # unknown key
    ({"c2": None}, "c2"),                              # wrong type (null)
    ({"hidden_size": 2048.5}, "hidden_size"),          # float for an int
    ({"c1": "fast"}, "c1"),                            # string for a number
    ({"num_layers": True}, "num_layers"),              # bool is not an int
    ({"prefill_b": -1e-4}, "prefill_b"),               # negative
    ({"gpu_memory_gib": 0}, "gpu_memory_gib"),         # not > 0
    ({"gpu_memory_gib": 2}, "KV cache"),               # weights leave no room
    ({"preemption_mode": "pray"}, "preemption_mode"),
    ({"sources": [1, 2]}, "sources"),
])
def test_a_bad_value_is_a_setting_error_naming_the_key_and_file(tmp_path, change, named):
    path = tmp_path / "bad.yaml"
    path.write_text(_yaml({**GOOD, **change}))
    with pytest.raises(SettingError) as info:
        load_setting_file(path)
    message = str(info.value)
    assert named in message and str(path) in message
    assert "\n" not in message


def test_a_missing_key_is_named(tmp_path):
    data = dict(GOOD)
    del data["c1"], data["prefill_a"]
    path = tmp_path / "short.yaml"
    path.write_text(_yaml(data))
    with pytest.raises(SettingError, match=r"missing key\(s\) c1, prefill_a") as info:
        load_setting_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("name,text", [
    ("broken.yaml", "c1: [1, 2\nc2: 3\n"),
    ("broken.json", '{"c1": 1,}'),
    ("list.yaml", "- 1\n- 2\n"),
    ("empty.yaml", ""),
])
def test_a_malformed_file_is_a_setting_error_naming_the_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SettingError) as info:
        load_setting_file(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_yaml_file_may_write_coefficients_in_plain_scientific_notation(tmp_path):
    path = tmp_path / "sci.yaml"
    path.write_text(_yaml(GOOD).replace("1.0e-08", "1e-8").replace("0.0001", "1e-4"))
    assert "c1: 1e-8" in path.read_text()
    setting = load_setting_file(path)
    assert (setting.c1, setting.prefill_b) == (1e-8, 1e-4)


def test_a_missing_file_is_a_setting_error(tmp_path):
    with pytest.raises(SettingError, match="nowhere.yaml"):
        load_setting_file(tmp_path / "nowhere.yaml")


@pytest.mark.parametrize("text", ["c1: [1, 2\n", _yaml({**GOOD, "c2": -1})])
def test_the_cli_reports_a_bad_setting_file_in_one_line(tmp_path, capsys, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["simulate", "--setting-file", str(path), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]
    assert "Traceback" not in captured.err


def test_the_cli_runs_with_a_good_setting_file(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text(_yaml(GOOD))
    assert main(["simulate", "--setting-file", str(path), "--policy", "fcfs", "--no-progress",
                 "--max_concurrent_user_requests", "2", "--num-epochs", "3"]) == 0
    assert "setting mine" in capsys.readouterr().out
