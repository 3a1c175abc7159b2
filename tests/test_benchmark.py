"""The harness of the benchmark scripts: formatting, resume/merge, the runner's time limit."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklimpute.benchmark import (
    RESULTS, Cell, Method, command_line, fit_transform_timed, format_pm, frame_markdown, mask_split,
    load_split_data, make_split, merge_results, output_dir, pm, run_cell, run_cells, run_tasks, script_parser)


def _slow_square(x):
    """Sleeps ``x`` seconds, returns ``x ** 2``; fails for x < 0 (module level: workers import it)."""
    if x < 0:
        raise RuntimeError(f"broken task {x}")
    time.sleep(x)
    return x * x


def test_format_pm_and_pm_write_mean_and_spread_in_one_format():
    assert format_pm(0.12344, 0.00051) == "0.1234 ± 0.0005"
    assert format_pm(0.5, np.nan, digits=2) == "0.50"
    assert format_pm(np.nan, 0.1) == ""
    # the sample standard deviation by default, the population one with ddof=0
    assert pm([1.0, 2.0, 3.0], digits=3) == "2.000 ± 1.000"
    assert pm([1.0, 3.0], digits=3, ddof=0) == "2.000 ± 1.000"
    assert pm([1.0, 3.0], digits=3) == f"2.000 ± {np.sqrt(2):.3f}"
    assert pm([0.25]) == "0.2500"


def test_merge_results_replaces_the_rerun_rows_and_keeps_the_others(tmp_path):
    path = tmp_path / "r.csv"
    first = [dict(method=m, seed=s, error=10 * i + s) for i, m in enumerate("ab") for s in (0, 1)]
    merged = merge_results(path, first, ["method", "seed"])
    assert len(merged) == 4 and pd.read_csv(path).equals(merged)
    # a partial rerun of (b, 1): its row replaced, the other three kept
    merged = merge_results(path, [dict(method="b", seed=1, error=99)], ["method", "seed"])
    assert merged.values.tolist() == [["a", 0, 0], ["a", 1, 1], ["b", 0, 10], ["b", 1, 99]]
    # what the run attempted (ran) goes even when it brought no row back
    merged = merge_results(path, [], ["method", "seed"], ran={("a", 0), ("a", 1)})
    assert merged["method"].tolist() == ["b", "b"]
    # floats read back from the CSV still match the new keys
    path2 = tmp_path / "f.csv"
    merge_results(path2, [dict(rate=0.3, e=1.0), dict(rate=0.7, e=2.0)], ["rate"])
    merged = merge_results(path2, [dict(rate=0.3, e=5.0)], ["rate"], sort=["rate"])
    assert merged.values.tolist() == [[0.3, 5.0], [0.7, 2.0]]


def test_run_tasks_returns_results_in_order_and_none_for_a_timeout_or_an_error():
    lines, seen = [], []
    results = run_tasks(_slow_square, [2.0, -7.0, 0.0], jobs=3, log=lines.append,
                        on_result=lambda task, result: seen.append((task, result)))
    assert results == [4.0, None, 0.0]
    assert sorted(seen) == [(0.0, 0.0), (2.0, 4.0)]
    assert any("ERROR: RuntimeError: broken task -7.0" in line for line in lines)
    # a task that cannot finish in time: its process is killed, the run goes on
    results = run_tasks(_slow_square, [600.0], timeout=5, log=lines.append)
    assert results == [None] and "TIMEOUT: over 5 s" in lines[-1]


def test_run_cells_marks_a_cell_over_its_time_limit_and_scores_the_others():
    cells = [Cell("mean", Method("mean"), "wine", rate=0.3, seed=1),
             Cell("mean again", Method("mean"), "wine", rate=0.3, seed=1)]
    slow, ok = run_cells(cells[:1], timeout=0.01, log=None), run_cells(cells[1:], log=None)
    assert slow.loc[0, "status"] == "timeout" and "over" in slow.loc[0, "error"]
    assert ok.loc[0, "status"] == "ok"
    # the worker's numbers are those of the same cell run here
    assert ok.loc[0, "mae"] == pytest.approx(run_cell(cells[1])["mae"], rel=1e-12)


def _fill_zeros(shape, random_state):
    """An imputer that writes 0 in every hole (module level: a cell's factory)."""
    from sklearn.impute import SimpleImputer

    return SimpleImputer(strategy="constant", fill_value=0.0)


def test_run_cell_standardizes_tables_with_the_observed_entries_only():
    # under MNAR the complete table's mean (0 after load_split_data's
    # z-scoring) is not the observed one: a fill with 0 must land on the
    # training part's observed mean, the mean imputation, not on the truth's
    zeros = run_cell(Cell("zeros", _fill_zeros, "wine", "mnar", rate=0.4, seed=0))
    mean = run_cell(Cell("mean", Method("mean"), "wine", "mnar", rate=0.4, seed=0))
    assert zeros["mae"] == pytest.approx(mean["mae"], rel=1e-9)
    X, _ = load_split_data("wine")
    Xtr, Xte_m, Xte, hidden = make_split(X, mechanism="mnar", rate=0.4, seed=0)
    assert abs(np.abs(Xte[hidden]).mean() - mean["mae"]) > 0.05  # 0 would be a different fill


def test_mask_split_draws_the_mask_once_then_splits_the_rows():
    X = np.zeros((500, 6))
    missing, tr, te = mask_split(X, 0.3, 5)
    assert missing.shape == X.shape and abs(missing.mean() - 0.3) < 0.03
    assert len(tr) == 400 and len(te) == 100
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(500))
    again = mask_split(X, 0.3, 5)
    assert (again[0] == missing).all() and (again[1] == tr).all()
    grouped, _, _ = mask_split(X, 0.5, 5, groups=[2, 4])
    assert (grouped[:, :2] == grouped[:, [0]]).all() and (grouped[:, 2:] == grouped[:, [2]]).all()
    assert grouped[:, 0].any() and not grouped[:, 0].all()


def test_script_flags_and_output_folder(tmp_path):
    parser = script_parser("The title.\n\nMore text.", jobs=2)
    assert parser.description == "The title."
    args = parser.parse_args(["--quick"])
    assert args.jobs == 2 and output_dir(args, "x").name == "x_quick"
    assert output_dir(args, "x") != RESULTS
    args = parser.parse_args(["--out", str(tmp_path / "o"), "--report-only", "--timeout", "5"])
    assert output_dir(args, "x") == tmp_path / "o" and (tmp_path / "o").is_dir()
    assert args.report_only and args.timeout == 5
    assert output_dir(parser.parse_args([]), "x") == RESULTS
    assert RESULTS == Path(__file__).resolve().parent.parent / "benchmarks" / "results"
    assert command_line("/a/b/run.py", ["--quick", 3]) == "python benchmarks/run.py --quick 3"
    parser = script_parser("T.", seeds=4, methods=["GAIN", "KNN", "Mean"])
    args = parser.parse_args(["--methods", "Mean, GAIN"])
    assert args.methods == ["Mean", "GAIN"] and args.seeds == 4
    assert parser.parse_args([]).methods == ["GAIN", "KNN", "Mean"]
    with pytest.raises(SystemExit):  # a misspelt name is an error, not an empty run
        parser.parse_args(["--methods", "Gain"])


def test_fit_transform_timed_fits_on_one_part_and_imputes_another():
    X_fit = np.array([[1.0, 10.0], [3.0, np.nan], [np.nan, 30.0]])
    out, fit_s, transform_s = fit_transform_timed(Method("mean")(None, 0), X_fit, np.array([[np.nan, 5.0]]))
    assert out.tolist() == [[2.0, 5.0]] and out.dtype == np.float64
    assert fit_s >= 0 and transform_s >= 0


def test_frame_markdown_writes_cells_as_they_are():
    frame = pd.DataFrame({"m": ["a", "b"], "v": ["**1.0**", 2]}).set_index("m")
    assert frame_markdown(frame, index=True) == "| m | v |\n|---|---|\n| a | **1.0** |\n| b | 2 |\n"
    assert frame_markdown(frame).startswith("| v |\n|---|\n| **1.0** |")
