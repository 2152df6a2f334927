"""Quality control reports what it removed; new individuals are put on the training markers."""

import warnings

import numpy as np
import pandas as pd
import pytest

from gslib.io import Genotypes
from gslib.qc import MarkerPanel, align, quality_control


def _population(n=200, p=50, seed=1):
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.2, 0.8, p)
    X = rng.binomial(2, freq, size=(n, p)).astype(float)
    markers = np.array([f"m{j}" for j in range(p)])
    mp = pd.DataFrame({"chr": "1", "pos": np.arange(p, dtype=float), "counted": "A", "other": "G"},
                      index=pd.Index(markers, name="marker"))
    return Genotypes(X, [f"i{k}" for k in range(n)], markers, mp, "sim")


def test_quality_control_removes_and_reports_each_step():
    g = _population()
    X = g.X.copy()
    X[:30, 3] = np.nan          # call rate 0.85: removed
    X[:, 7] = 1.0               # monomorphic
    X[:, 11] = 0.0
    X[0, 11] = 1.0              # minor-allele frequency 1/400 = 0.0025: removed
    X[5, 20] = np.nan           # one missing call: imputed
    g = Genotypes(X, g.ids, g.markers, g.map, "sim")
    clean, report = quality_control(g)
    assert list(clean.markers) == [m for m in g.markers if m not in ("m3", "m7", "m11")]
    assert report.count("call rate < 0.95") == 1 and report.count("monomorphic") == 1
    assert report.count("minor-allele frequency < 0.01") == 1
    assert report.count("missing calls imputed with the marker mean") == 1
    j = list(clean.markers).index("m20")
    assert clean.X[5, j] == pytest.approx(np.nanmean(X[:, 20]))
    assert not np.isnan(clean.X).any() and "m3" in str(report)
    # stricter settings and refusal
    assert quality_control(g, min_maf=0.3)[0].X.shape[1] < clean.X.shape[1]
    with pytest.raises(ValueError, match="1 missing call.*'i5'.*'m20'"):
        quality_control(g, missing="raise")
    with pytest.raises(ValueError, match="min_maf"):
        quality_control(g, min_maf=0.6)


def _training_and_new():
    """150 training individuals with their marker panel, and 50 new ones."""
    g = _population()
    train, new = g.subset(rows=np.arange(150)), g.subset(rows=np.arange(150, 200))
    return train, new, MarkerPanel.from_data(train)


def test_align_matches_shuffled_and_missing_markers():
    train, new, panel = _training_and_new()
    order = np.random.default_rng(3).permutation(50)
    shuffled = new.subset(columns=order)
    X, report = align(shuffled, panel)
    assert np.array_equal(X, new.X)  # order-independent
    dropped = shuffled.subset(columns=np.flatnonzero(~np.isin(shuffled.markers, ["m4", "m9"])))
    X, report = align(dropped, panel)
    assert report.count("training markers missing in the new data") == 2
    assert np.allclose(X[:, 4], 2 * panel.freq[4]) and np.array_equal(X[:, 5], new.X[:, 5])
    with pytest.raises(ValueError, match="2 markers"):
        align(dropped, panel, missing="raise")


def test_align_flips_swapped_alleles_and_rejects_strand_clashes():
    train, new, panel = _training_and_new()
    flipped_map = new.map.copy()
    flipped_map.loc["m2", ["counted", "other"]] = ["G", "A"]
    X2 = new.X.copy()
    X2[:, 2] = 2 - X2[:, 2]  # the same calls, counted from the other allele
    X, report = align(Genotypes(X2, new.ids, new.markers, flipped_map), panel)
    assert np.array_equal(X, new.X) and report.count("flipped (counted and other allele swapped)") == 1
    clash = new.map.copy()
    clash.loc["m6", ["counted", "other"]] = ["T", "C"]
    with pytest.raises(ValueError, match="other alleles than in training.*'m6'"):
        align(Genotypes(new.X, new.ids, new.markers, clash), panel)


def test_align_refuses_a_flip_from_frequencies_unless_told_to_accept_or_flip():
    rng = np.random.default_rng(5)
    freq = np.array([0.15, 0.5, 0.8, 0.3])
    X = rng.binomial(2, freq, size=(400, 4)).astype(float)
    markers = np.array(["a", "b", "c", "d"])
    train = Genotypes(X[:300], [f"t{i}" for i in range(300)], markers)
    panel = MarkerPanel.from_data(train)
    Xn = X[300:].copy()
    Xn[:, 0] = 2 - Xn[:, 0]  # coded from the other allele, and nothing says so
    Xn[:, 1] = 2 - Xn[:, 1]  # frequency 0.5: a flip cannot be seen, and is not flagged
    new = Genotypes(Xn, [f"n{i}" for i in range(100)], markers)
    # default: an error naming the marker and the two ways out (before: a warning and wrong predictions)
    with pytest.raises(ValueError, match=r"1 of 4 markers.*look flipped.*'a'.*flips='flip'.*flips='accept'"):
        align(new, panel)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out, report = align(new, panel, flips="accept")
    assert report.count("possibly flipped (from allele frequencies; not changed)") == 1
    assert "a" in report.to_frame().set_index("step").loc["possibly flipped (from allele frequencies; not changed)", "examples"]
    assert np.array_equal(out, Xn) and any("look flipped" in str(w.message) for w in caught)
    out, report = align(new, panel, flips="flip")
    assert report.count("flipped from allele frequencies") == 1
    assert np.array_equal(out[:, 0], X[300:, 0]) and np.array_equal(out[:, 1:], Xn[:, 1:])
    with pytest.raises(ValueError, match="flips must be"):
        align(new, panel, flips="maybe")


def test_align_refuses_new_data_missing_most_markers_and_warns_on_a_few():
    train, new, panel = _training_and_new()
    renamed = Genotypes(new.X, new.ids, np.char.add("rs", new.markers), new.map.set_axis(np.char.add("rs", new.markers)))
    # before: constant predictions (every marker filled with its mean) and only a count in the report
    with pytest.raises(ValueError, match=r"50 of the model's 50 markers \(100%\).*max_missing=0.1.*'m0'.*'rsm0'"):
        align(renamed, panel)
    few = new.subset(columns=np.arange(10, 50))  # 10 of 50 absent: 20%
    with pytest.raises(ValueError, match=r"10 of the model's 50 markers \(20%\)"):
        align(few, panel)
    with pytest.warns(UserWarning, match="10 of the model's 50 markers"):
        X, _ = align(few, panel, max_missing=0.25)
    assert np.allclose(X[:, 0], 2 * panel.freq[0])
    with pytest.warns(UserWarning, match="2 of the model's 50 markers"):
        align(new.subset(columns=np.arange(2, 50)), panel)


def test_marker_panel_round_trips_through_a_frame():
    panel = MarkerPanel.from_data(_population())
    again = MarkerPanel.from_frame(panel.to_frame())
    assert np.array_equal(again.markers, panel.markers) and np.allclose(again.freq, panel.freq)
    assert np.array_equal(again.counted, panel.counted)
