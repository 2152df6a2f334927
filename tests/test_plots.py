import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from gslib import plots  # noqa: E402


def test_manhattan_places_chromosomes_and_highlights():
    values = np.arange(10.0)
    chrom = np.array(["1"] * 4 + ["2"] * 3 + ["10"] * 3)
    ax = plots.manhattan(values, chrom, highlight=[2, 3])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "10"]  # map order, not sorted
    assert np.allclose(ax.get_xticks(), [1.5, 5.0, 8.0])  # centre of each chromosome's markers
    colours = ax.collections[0].get_facecolors()
    assert np.allclose(colours[0], colours[3]) and not np.allclose(colours[3], colours[4])
    assert len(ax.patches) == 2  # one band per highlighted marker
    ax1 = plots.manhattan(values)
    assert ax1.get_xlabel() == "marker (map order)"
