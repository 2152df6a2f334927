"""Quality control of genotypes and matching of new individuals to a trained model's markers
(chapter "Your data").

:func:`quality_control` filters markers by call rate and minor-allele frequency, removes
monomorphic markers and imputes (or refuses) the missing calls that remain, and reports what
each step removed. :class:`MarkerPanel` remembers the training markers, their counted alleles
and frequencies; :func:`align` puts new individuals' genotypes on that panel: matched by name
in any order, missing markers reported and filled with the training mean, flipped alleles
detected from the map (and fixed) or suspected from allele frequencies (flagged).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .checks import check_genotypes
from .genotypes import Genotypes
from .popgen import allele_frequencies, minor_allele_frequencies

DEFAULTS = {"min_call_rate": 0.95, "min_maf": 0.01, "missing": "mean"}
"""Default thresholds of :func:`quality_control` (PLINK's ``--geno 0.05 --maf 0.01``)."""


@dataclass
class Report:
    """What a quality-control or alignment step did: one row per step, with the number of
    markers (or calls) it touched and the first few names."""

    rows: list[dict] = field(default_factory=list)

    def add(self, step: str, count: int, examples=(), what: str = "markers") -> None:
        self.rows.append({"step": step, "count": int(count), "what": what,
                          "examples": ", ".join(str(e) for e in list(examples)[:3])})

    def count(self, step: str) -> int:
        return sum(r["count"] for r in self.rows if r["step"] == step)

    def lines(self) -> list[str]:
        return [f"{r['step']}: {r['count']} {r['what']}" + (f" (e.g. {r['examples']})" if r["count"] and r["examples"] else "")
                for r in self.rows]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["step", "count", "what", "examples"])

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def quality_control(genotypes: Genotypes, *, min_call_rate: float = DEFAULTS["min_call_rate"],
                    min_maf: float = DEFAULTS["min_maf"], missing: str = DEFAULTS["missing"]) -> tuple[Genotypes, Report]:
    """Filter and impute genotypes, reporting every step.

    In order: (1) markers with a call rate below ``min_call_rate`` are removed; (2) monomorphic
    markers (one genotype in every observed call); (3) markers whose minor-allele frequency is
    below ``min_maf``; (4) the missing calls left are replaced by their marker's mean
    (``missing="mean"``) or refused with an error (``missing="raise"``).

    Returns
    -------
    (Genotypes, Report): the cleaned genotypes (no NaN) and what was removed.
    """
    if not 0 <= min_call_rate <= 1:
        raise ValueError(f"min_call_rate must be within [0, 1]; got {min_call_rate!r}.")
    if not 0 <= min_maf < 0.5:
        raise ValueError(f"min_maf must be within [0, 0.5); got {min_maf!r}.")
    if missing not in ("mean", "raise"):
        raise ValueError(f"missing must be 'mean' or 'raise'; got {missing!r}.")
    g = genotypes
    report = Report()
    report.add("read", g.X.shape[1], what=f"markers, {g.X.shape[0]} individuals")
    call_rate = 1.0 - np.isnan(g.X).mean(axis=0)
    low = call_rate < min_call_rate
    report.add(f"call rate < {min_call_rate:g}", low.sum(), g.markers[low])
    g = g.subset(columns=~low)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mono = np.nanmin(g.X, axis=0) == np.nanmax(g.X, axis=0)
    report.add("monomorphic", mono.sum(), g.markers[mono])
    g = g.subset(columns=~mono)
    rare = minor_allele_frequencies(g.X, "dosage", missing="keep") < min_maf
    report.add(f"minor-allele frequency < {min_maf:g}", rare.sum(), g.markers[rare])
    g = g.subset(columns=~rare)
    if g.X.shape[1] == 0:
        raise ValueError("quality control removed every marker: " + "; ".join(report.lines()))
    nan = np.isnan(g.X)
    if nan.any():
        if missing == "raise":
            i, j = np.argwhere(nan)[0]
            raise ValueError(f"{int(nan.sum())} missing call(s) remain after filtering, e.g. {str(g.ids[i])!r} at marker "
                             f"{str(g.markers[j])!r}; use missing='mean' to impute them or filter harder.")
        with warnings.catch_warnings():  # the report says it instead
            warnings.simplefilter("ignore", UserWarning)
            X = check_genotypes(g.X, "dosage", missing="mean")
        g = Genotypes(X, g.ids, g.markers, g.map, g.source, list(g.notes), g.samples)
    report.add("missing calls imputed with the marker mean", nan.sum(), what="calls")
    report.add("kept", g.X.shape[1], what="markers")
    g.notes.extend(report.lines())
    return g, report


# ----------------------------------------------------------------------------- new individuals
FLIP_ODDS = 1000.0
"""Likelihood ratio (flipped : not flipped) above which :func:`align` calls a marker without
allele letters flipped, so that a handful of candidates rarely looks flipped by chance."""


@dataclass
class MarkerPanel:
    """The training markers a model expects: names in column order, counted / other alleles
    (empty strings when unknown) and the counted allele's training frequency."""

    markers: np.ndarray
    counted: np.ndarray
    other: np.ndarray
    freq: np.ndarray

    @classmethod
    def from_data(cls, data) -> MarkerPanel:
        """From a :class:`Genotypes` or :class:`~gslib.datasets.Dataset` (dosages; frequencies of the
        counted allele)."""
        mp = data.map if data.map is not None else pd.DataFrame(index=data.markers)
        letters = [mp[c].astype(str).to_numpy() if c in mp else np.full(len(data.markers), "") for c in ("counted", "other")]
        return cls(np.asarray(data.markers, dtype=str), *letters,
                   allele_frequencies(data.X, "dosage", missing="keep"))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"marker": self.markers, "counted": self.counted, "other": self.other, "freq": self.freq})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> MarkerPanel:
        f = frame.fillna({"counted": "", "other": ""})
        return cls(f["marker"].astype(str).to_numpy(), f["counted"].astype(str).to_numpy(),
                   f["other"].astype(str).to_numpy(), f["freq"].to_numpy(float))


def align(new: Genotypes, panel: MarkerPanel, *, missing: str = "mean", flip_tolerance: float = 0.1,
          max_missing: float = 0.1, flips: str = "raise") -> tuple[np.ndarray, Report]:
    """Put new individuals' genotypes on a trained model's markers.

    Markers are matched by name (any order; extra markers are ignored and counted). Alleles:
    where both sides name them, a marker whose counted and other alleles are swapped is
    flipped (``2 - x``) and reported; different letters (e.g. a strand flip) are an error.
    Where letters are missing on either side, a marker whose new frequency is near the
    training frequency's complement (within ``flip_tolerance``) but far from the frequency
    itself (more than ``2 * flip_tolerance``), with odds above :data:`FLIP_ODDS` for a flip
    (binomial likelihoods of the new allele counts), looks flipped: ``flips="raise"`` (default) stops
    with an error naming them, ``"accept"`` keeps the values as they are (with a warning),
    ``"flip"`` recodes them ``2 - x`` (reported).
    Missing markers and missing calls are filled with the training mean ``2 * freq``
    (``missing="mean"``) or refused (``missing="raise"``). More than ``max_missing`` (a share,
    default 0.1) of the panel's markers absent from the new data is an error whatever
    ``missing`` says: predictions would be mostly the training mean. Fewer absent markers give
    a warning.

    Returns
    -------
    (X, Report): X float64 (n_new, n_panel) in the panel's marker order, no NaN.
    """
    if missing not in ("mean", "raise"):
        raise ValueError(f"missing must be 'mean' or 'raise'; got {missing!r}.")
    if flips not in ("raise", "accept", "flip"):
        raise ValueError(f"flips must be 'raise', 'accept' or 'flip'; got {flips!r}.")
    if not 0 <= max_missing <= 1:
        raise ValueError(f"max_missing must be a share within [0, 1]; got {max_missing!r}.")
    report = Report()
    pos = pd.Index(new.markers)
    where = pos.get_indexer(panel.markers)
    absent = where < 0
    report.add("training markers missing in the new data", absent.sum(), panel.markers[absent])
    report.add("new markers not used by the model", len(new.markers) - (~absent).sum(),
               np.setdiff1d(new.markers, panel.markers))
    if missing == "raise" and absent.any():
        raise ValueError("; ".join(report.lines()[:1]) + ": pass missing='mean' to fill them with the training mean.")
    share = absent.mean()
    if share > max_missing:
        raise ValueError(f"{int(absent.sum())} of the model's {absent.size} markers ({share:.0%}) are not in the new data "
                         f"(more than max_missing={max_missing:g}), e.g. {[str(m) for m in panel.markers[absent][:3]]}; the new "
                         f"data's markers are e.g. {[str(m) for m in new.markers[:3]]}. Check the marker names (same chip, same "
                         "naming?); pass a larger max_missing to fill them with the training mean anyway.")
    if absent.any():
        warnings.warn(f"{int(absent.sum())} of the model's {absent.size} markers ({share:.1%}) are not in the new data; "
                      "filled with the training mean.", UserWarning, stacklevel=2)
    X = np.full((new.X.shape[0], len(panel.markers)), np.nan)
    X[:, ~absent] = new.X[:, where[~absent]]
    mp = new.map if new.map is not None else pd.DataFrame(index=new.markers)
    nc = mp["counted"].astype(str).to_numpy()[where] if "counted" in mp else np.full(len(where), "")
    no = mp["other"].astype(str).to_numpy()[where] if "other" in mp else np.full(len(where), "")
    known = ~absent & (panel.counted != "") & (nc != "") & (panel.other != "") & (no != "")
    same = known & (nc == panel.counted) & (no == panel.other)
    swapped = known & (nc == panel.other) & (no == panel.counted)
    clash = known & ~same & ~swapped
    if clash.any():
        j = np.flatnonzero(clash)[0]
        raise ValueError(f"{int(clash.sum())} marker(s) have other alleles than in training, e.g. {str(panel.markers[j])!r}: "
                         f"{nc[j]}/{no[j]} here, {panel.counted[j]}/{panel.other[j]} in training (strand?).")
    X[:, swapped] = 2.0 - X[:, swapped]
    report.add("flipped (counted and other allele swapped)", swapped.sum(), panel.markers[swapped])
    unknown = ~absent & ~known
    p_new = allele_frequencies(X, "dosage", missing="keep")
    # evidence for a flip: log likelihood ratio of the new allele counts under 1 - p against p
    # (binomial), so that a small set of candidates does not look flipped by chance
    alleles = 2.0 * (~np.isnan(X)).sum(axis=0)
    p_train = np.clip(panel.freq, 1e-3, 1 - 1e-3)
    with np.errstate(invalid="ignore"):
        log_ratio = (2.0 * np.nan_to_num(p_new) - 1.0) * alleles * np.log((1 - p_train) / p_train)
    suspect = unknown & (np.abs(p_new - (1 - panel.freq)) < flip_tolerance) & \
        (np.abs(p_new - panel.freq) > 2 * flip_tolerance) & (log_ratio > np.log(FLIP_ODDS))
    if suspect.any():
        example = str(panel.markers[np.flatnonzero(suspect)[0]])
        message = (f"{int(suspect.sum())} of {int(unknown.sum())} markers without allele letters look flipped from "
                   f"their allele frequencies (new frequency near 1 - training frequency), e.g. {example!r}")
        if flips == "raise":
            raise ValueError(message + ". The new file probably counts the other allele. Give both files allele "
                             "letters (a map with 'counted' and 'other'), or pass flips='flip' to recode them 2 - x, "
                             "or flips='accept' to keep them as they are.")
        if flips == "accept":
            warnings.warn(message + "; kept as they are (flips='accept').", UserWarning, stacklevel=2)
        else:
            X[:, suspect] = 2.0 - X[:, suspect]
    step = "flipped from allele frequencies" if flips == "flip" else "possibly flipped (from allele frequencies; not changed)"
    report.add(step, suspect.sum(), panel.markers[suspect])
    nan = np.isnan(X) & ~absent[None, :]
    if nan.any() and missing == "raise":
        raise ValueError(f"the new data have {int(nan.sum())} missing call(s); pass missing='mean'.")
    report.add("missing calls filled with the training mean", nan.sum(), what="calls")
    fill = np.isnan(X)
    X[fill] = np.take(2.0 * panel.freq, np.where(fill)[1])
    return X, report
