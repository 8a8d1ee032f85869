"""Trace replay: a good CSV becomes requests; every malformed line is reported by number."""

from __future__ import annotations

import pytest

from scheduling.predictors import GIVEN_PREDICTIONS_KEY
from scheduling.workloads import TraceError, read_trace_csv

HEADER = "arrival_time_s,prompt_tokens,output_tokens,priority"


def _write(tmp_path, text: str, name: str = "trace.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_reads_a_good_trace_sorted_by_arrival_with_ids_in_order(tmp_path):
    path = _write(tmp_path, "\n".join([
        HEADER,
        "2.5,100,20,3",
        "0.0,10,5,0",
        "1.0,30,7,4",
        "1.0,31,8,2",  # ties keep file order
        "",
    ]))
    requests = read_trace_csv(path)
    assert [r.request_id for r in requests] == [0, 1, 2, 3]
    assert [(r.arrival_time_s, r.prompt_tokens, r.output_tokens, r.priority) for r in requests] == [
        (0.0, 10, 5, 0), (1.0, 30, 7, 4), (1.0, 31, 8, 2), (2.5, 100, 20, 3)]
    # Without predicted columns, predictions start as the truth and nothing is marked given.
    assert all(r.predicted_priority == r.priority for r in requests)
    assert all(r.predicted_output_tokens == r.output_tokens for r in requests)
    assert all(GIVEN_PREDICTIONS_KEY not in r.extra for r in requests)


def test_it_reads_optional_prediction_columns_and_marks_them_given(tmp_path):
    path = _write(tmp_path, "\n".join([
        "priority,output_tokens,predicted_output_tokens,arrival_time_s,prompt_tokens,"
        "predicted_priority,note",
        "1,50,40,0.5,12,2,hello",
        "3,60,,0.25,13,,",  # empty cells: not given
        "0,70,90,0.75,14,,x",
    ]))
    first, second, third = read_trace_csv(path)
    assert (second.arrival_time_s, second.priority, second.predicted_priority) == (0.5, 1, 2)
    assert second.predicted_output_tokens == 40
    assert second.extra[GIVEN_PREDICTIONS_KEY] == {"predicted_priority", "predicted_output_tokens"}
    assert (first.predicted_priority, first.predicted_output_tokens) == (3, 60)
    assert GIVEN_PREDICTIONS_KEY not in first.extra
    assert (third.predicted_priority, third.predicted_output_tokens) == (0, 90)
    assert third.extra[GIVEN_PREDICTIONS_KEY] == {"predicted_output_tokens"}


def test_it_tolerates_spaces_a_byte_order_mark_and_blank_lines(tmp_path):
    path = tmp_path / "trace.csv"
    path.write_text("\ufeff\n arrival_time_s , prompt_tokens,output_tokens,priority\n\n"
                    " 1.5 , 2 , 3 , 4 \n", encoding="utf-8")
    (request,) = read_trace_csv(path)
    assert (request.arrival_time_s, request.prompt_tokens, request.output_tokens,
            request.priority) == (1.5, 2, 3, 4)


@pytest.mark.parametrize("rows, line, problem", [
    (["0,10,5,9"], 2, "priority must be an integer in 0..4, got '9'"),
    (["0,10,5,-1"], 2, "priority must be an integer in 0..4, got '-1'"),
    (["0,10,5,1.0"], 2, "priority must be an integer in 0..4, got '1.0'"),
    (["0,10,5,1", "1,10,5,2", "-0.5,10,5,1"], 4,
     "arrival_time_s must be a finite number >= 0, got '-0.5'"),
    (["soon,10,5,1"], 2, "arrival_time_s must be a finite number >= 0, got 'soon'"),
    (["nan,10,5,1"], 2, "arrival_time_s must be a finite number >= 0, got 'nan'"),
    (["inf,10,5,1"], 2, "arrival_time_s must be a finite number >= 0, got 'inf'"),
    (["0,12.5,5,1"], 2, "prompt_tokens must be an integer >= 1, got '12.5'"),
    (["0,0,5,1"], 2, "prompt_tokens must be an integer >= 1, got '0'"),
    (["0,,5,1"], 2, "prompt_tokens must be an integer >= 1, got ''"),
    (["0,10,0,1"], 2, "output_tokens must be an integer >= 1, got '0'"),
    (["0,10,-4,1"], 2, "output_tokens must be an integer >= 1, got '-4'"),
    (["0,10,lots,1"], 2, "output_tokens must be an integer >= 1, got 'lots'"),
    (["0,10,5,1", "", "0,10,5"], 4, "expected 4 fields like the header, got 3"),
    (["0,10,5,1,7"], 2, "expected 4 fields like the header, got 5"),
])
def test_each_malformed_row_is_reported_with_its_line_number(tmp_path, rows, line, problem):
    path = _write(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    with pytest.raises(TraceError) as excinfo:
        read_trace_csv(path)
    assert str(excinfo.value) == f"{path} line {line}: {problem}"


@pytest.mark.parametrize("row, problem", [
    ("0,10,5,1,5,3", "predicted_priority must be an integer in 0..4, got '5'"),
    ("0,10,5,1,2,0", "predicted_output_tokens must be an integer >= 1, got '0'"),
    ("0,10,5,1,2,3.5", "predicted_output_tokens must be an integer >= 1, got '3.5'"),
])
def test_bad_optional_columns_are_reported_too(tmp_path, row, problem):
    path = _write(tmp_path, f"{HEADER},predicted_priority,predicted_output_tokens\n{row}\n")
    with pytest.raises(TraceError) as excinfo:
        read_trace_csv(path)
    assert str(excinfo.value) == f"{path} line 2: {problem}"


@pytest.mark.parametrize("text, problem", [
    ("", "line 1: empty file"),
    ("\n\n", "line 2: empty file"),
    ("arrival_time_s,prompt_tokens,priority\n0,1,1\n", "line 1: missing column(s) output_tokens"),
    ("time,prompt,output\n", "line 1: missing column(s) arrival_time_s,prompt_tokens,"
                             "output_tokens,priority"),
    (f"{HEADER},priority\n0,1,1,1,1\n", "line 1: duplicate column(s) priority"),
    (f"{HEADER}\n", "line 1: no requests after the header"),
    (f'{HEADER}\n0,1,1,"1\n', "malformed CSV"),
])
def test_bad_files_are_reported_with_a_line_number(tmp_path, text, problem):
    path = _write(tmp_path, text)
    with pytest.raises(TraceError) as excinfo:
        read_trace_csv(path)
    message = str(excinfo.value)
    assert message.startswith(f"{path} line ")
    assert problem in message


def test_every_message_is_one_line_and_long_cells_are_cut(tmp_path):
    path = _write(tmp_path, f'{HEADER}\n0,"12\n{"9" * 500}",5,1\n')
    with pytest.raises(TraceError) as excinfo:
        read_trace_csv(path)
    message = str(excinfo.value)
    assert "\n" not in message
    assert len(message) < len(str(path)) + 120


def test_a_missing_file_is_a_trace_error(tmp_path):
    with pytest.raises(TraceError, match="cannot read trace"):
        read_trace_csv(tmp_path / "nope.csv")


def test_trace_error_is_a_value_error():
    assert issubclass(TraceError, ValueError)
