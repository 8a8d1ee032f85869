"""Built models are reused across clones only when everything they are built from is the same."""

from __future__ import annotations

from pathlib import Path

from inference.build_cache import inputs_key, restore_or_build


def build_into(target: Path, content: str, builds: list[str]):
    def build() -> None:
        target.mkdir(parents=True)
        (target / "weights.bin").write_text(content)
        builds.append(content)
    return build


def test_a_second_clone_copies_the_model_instead_of_building_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_BUILD_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "corpus.jsonl"
    source.write_text("rows")
    builds: list[str] = []
    first, second = tmp_path / "clone1" / "model", tmp_path / "clone2" / "model"
    assert restore_or_build(first, inputs_key([source]), build_into(first, "w1", builds)) is False
    assert restore_or_build(second, inputs_key([source]), build_into(second, "w2", builds)) is True
    assert builds == ["w1"] and (second / "weights.bin").read_text() == "w1"
    assert not any(p.name.startswith(".cache") for p in second.iterdir())


def test_changed_inputs_build_again(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_BUILD_CACHE", str(tmp_path / "cache"))
    code = tmp_path / "training"
    code.mkdir()
    (code / "train.py").write_text("lr = 1e-3")
    builds: list[str] = []
    first, second = tmp_path / "a" / "model", tmp_path / "b" / "model"
    restore_or_build(first, inputs_key([code]), build_into(first, "old", builds))
    (code / "train.py").write_text("lr = 2e-3")
    assert restore_or_build(second, inputs_key([code]), build_into(second, "new", builds)) is False
    assert builds == ["old", "new"] and (second / "weights.bin").read_text() == "new"
