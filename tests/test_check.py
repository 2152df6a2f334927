"""python -m gslib check: versions, data, a timed Keras fit, notebook times scaled to this machine."""

import json

import pytest

from gslib import check


def test_estimated_times_scale_with_the_fit_time():
    times = {"notebooks": {"a": 60.0, "b": 120.0}, "reference_fit_seconds": 2.0, "cpus": 2}
    assert check.estimated_times(4.0, times) == {"a": 120.0, "b": 240.0}  # a machine twice as slow
    assert check.estimated_times(1.0, times) == {"a": 30.0, "b": 60.0}


def test_versions_name_python_gslib_and_the_libraries():
    v = check.versions()
    assert v["python"].count(".") == 2 and v["gslib"] and v["numpy"] is not None
    assert set(check.PACKAGES) <= set(v)


def test_check_reports_data_and_scaled_times(tmp_path, monkeypatch, capsys, local_data):
    times = tmp_path / "times.json"
    times.write_text(json.dumps({"notebooks": {"01-genomic-data": 30.0}, "reference_fit_seconds": 1.5, "cpus": 2}))
    monkeypatch.setattr(check, "TIMES", times)
    monkeypatch.setattr(check, "keras_fit_seconds", lambda: 3.0)
    assert check.main([]) == 0
    out = capsys.readouterr().out
    assert "wheat.RData" in out and str(local_data) in out
    assert "x 2.00" in out and "01-genomic-data" in out and "0.5 min ->   1.0 min" in out


def test_check_says_when_data_cannot_be_had(tmp_path, monkeypatch, capsys, fake_files):
    monkeypatch.setenv("GSLIB_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(check, "keras_fit_seconds", lambda: 3.0)
    monkeypatch.setattr(check, "TIMES", tmp_path / "none.json")
    assert check.main([]) == 1
    assert "NOT AVAILABLE" in capsys.readouterr().out


@pytest.mark.slow
def test_keras_fit_is_timed():
    assert 0 < check.keras_fit_seconds(epochs=2) < 60


def test_every_notebook_states_its_measured_run_time():
    from pathlib import Path

    import nbformat

    from gslib.check import TIMES, run_time_note

    times = json.loads(TIMES.read_text())
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")):
        assert path.stem in times["notebooks"], f"{path.name} has no measured run time in {TIMES.name}"
        assert times["notebooks"][path.stem] < 120, f"{path.name} takes over 2 minutes on 2 cores"
        nb = nbformat.read(path, as_version=4)
        assert any(c.cell_type == "code" and f'run_time_note("{path.stem}")' in c.source for c in nb.cells), \
            f"{path.name}: a generated cell states its run time (gslib.check.run_time_note)"
    note = run_time_note("03-deep-nets", {"cpus": 2, "notebooks": {"03-deep-nets": 61.6}})
    assert "62 s on 2 CPU cores" in getattr(note, "data", note)
