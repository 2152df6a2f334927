"""The contract every gslib regressor follows: one base class (chapter 2 on).

A marker regressor is a scikit-learn regressor whose ``fit(X, y, covariates=None)`` and
``predict(X, covariates=None)`` take

* ``X``: allele dosages (copies of the counted allele, 0 to 2; what every gslib loader, reader
  and the simulator return), or for models that say so any finite real features, or a
  precomputed kernel;
* ``y``: one trait, NaN for individuals without a record (left out of fitting, still predicted);
* ``covariates``: fixed effects (a table; categorical columns become indicators), declared in
  the signature rather than routed by scikit-learn's metadata routing.

:class:`MarkerRegressor` holds what they share, written once: parameter validation with
scikit-learn's constraints, the marker and phenotype checks, the observed rows, the covariate
design and its rank, ``predict = fixed + genetic``, ``check_is_fitted``, and the one-release
deprecation of the old ``coding=`` parameter. A subclass says what it needs (class attributes
``_inputs`` and ``_covariates``) and implements ``_fit`` and ``_genetic``.

Examples
--------
A new model in a few lines (the ridge regression of chapter 2, on the dosage scale):

>>> import numpy as np
>>> from gslib.base import MarkerRegressor
>>> class Ridge(MarkerRegressor):
...     _parameter_constraints = {"alpha": [float]}
...     def __init__(self, alpha: float = 1.0):
...         self.alpha = alpha
...     def _fit(self, X, y, W):
...         self.beta_ = np.linalg.lstsq(W, y, rcond=None)[0]
...         Z = X - X.mean(axis=0)
...         r = y - W @ self.beta_
...         self.center_ = X.mean(axis=0)
...         self.coef_ = np.linalg.solve(Z.T @ Z + self.alpha * np.eye(X.shape[1]), Z.T @ r)
...     def _genetic(self, X):
...         return (X - self.center_) @ self.coef_
>>> X = np.random.default_rng(0).integers(0, 3, size=(30, 5)).astype(float)
>>> model = Ridge().fit(X, X[:, 0] + 0.1 * np.arange(30) % 1)
>>> model.predict(X[:2]).shape
(2,)
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .checks import (
    CovariateEncoder,
    CovariatesNotRouted,
    check_feature_names,
    check_markers,
    take_rows,
    training_phenotype,
)

DEPRECATED = "deprecated"
"""Default of the old ``coding=`` parameter: not given (the one release it still works)."""

CODING = [StrOptions({"012", "01", "-101", "dosage", DEPRECATED}), None]
"""scikit-learn parameter constraint of the deprecated ``coding=`` (every gslib model, until 0.3)."""

CODING_DEPRECATION = (
    "coding= is deprecated and will be removed in gslib 0.3: models take allele dosages (0/1/2 copies of the "
    "counted allele), which is what load_wheat, load_mice, the file readers and the simulator return. Convert "
    "another coding once, where the data come in: gslib.checks.to_dosage(X, {coding!r})."
)


class MarkerRegressor(CovariatesNotRouted, RegressorMixin, BaseEstimator):
    """Base class of gslib's regressors; see the module docstring.

    Class attributes a subclass may set:

    ``_inputs``
        ``"dosage"``: allele dosages in [0, 2] (VanRaden's G, allele frequencies);
        ``"real"``: any finite numbers (the model standardises or does not care);
        ``"pairwise"``: ``X`` is a kernel, (n_train x n_train) in fit, (n_new x n_train) in predict.
    ``_covariates``
        ``"design"``: ``_fit(X, y, W)`` estimates the fixed effects itself and sets ``beta_``;
        ``"residual"``: fixed effects by least squares first (only when covariates are given),
        ``_fit(X, y - W beta, W)`` then models what they leave.
    ``_min_samples``
        Fewest phenotyped individuals ``fit`` accepts.
    ``_fixed``
        The attribute that holds the fixed effects (``beta_``).
    """

    _inputs = "real"
    _covariates = "design"
    _min_samples = 3
    _fixed = "beta_"  # attribute holding the fixed effects (the BRNN's beta_ is its noise precision)

    # ------------------------------------------------------------------ inputs
    def _pairwise(self) -> bool:
        return self._inputs == "pairwise"

    def _check_coding_deprecation(self, X):
        coding = getattr(self, "coding", DEPRECATED)
        if isinstance(coding, str) and coding == DEPRECATED:
            return None
        warnings.warn(CODING_DEPRECATION.format(coding=coding), FutureWarning, stacklevel=4)
        from .checks import check_genotypes, to_dosage

        if coding is None:
            return check_markers(X, dosage=False)
        return to_dosage(check_genotypes(X, coding), coding)

    def _validate_markers(self, X, *, reset: bool) -> np.ndarray:
        """``X`` checked (feature names, numbers, range) as a float64 matrix."""
        if self._pairwise():
            K = check_markers(X, dosage=False, name="the kernel")
            if reset and K.shape[0] != K.shape[1]:
                raise ValueError(f"the training kernel must be square; got {K.shape}.")
            if not reset and K.shape[1] != self.n_train_:
                raise ValueError(f"the kernel must have {self.n_train_} columns (training individuals); got {K.shape}.")
            return K
        check_feature_names(self, X, reset=reset)
        old = self._check_coding_deprecation(X)
        Xc = old if old is not None else check_markers(X, dosage=self._needs_dosage())
        if not reset and Xc.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xc.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input (markers).")
        return Xc

    def _needs_dosage(self) -> bool:
        return self._inputs == "dosage"

    def _fit_inputs(self, X, y, covariates):
        """The shared fit preamble: parameters, markers, phenotype, observed rows and the
        covariate design. Returns ``(X, y, covariates, W)`` for the phenotyped individuals."""
        self._validate_params()
        X = self._validate_markers(X, reset=True)
        y, obs = training_phenotype(y, X.shape[0])
        if not obs.all():
            X = X[np.ix_(obs, obs)] if self._pairwise() else X[obs]
            y, covariates = y[obs], take_rows(covariates, obs)
        if y.size < self._min_samples:
            raise ValueError(f"need at least {self._min_samples} individuals with phenotypes; got n_samples = {y.size}.")
        self.n_features_in_ = X.shape[1]
        if self._pairwise():
            self.n_train_ = X.shape[0]
        fixed = self._fixed_covariates(covariates)
        self.encoder_ = CovariateEncoder().fit(fixed, y.size)
        W = self.encoder_.transform(fixed, y.size)
        if np.linalg.matrix_rank(W) < W.shape[1]:
            raise ValueError("the fixed covariates are collinear with each other or the intercept.")
        return X, y, covariates, W

    def _fixed_covariates(self, covariates):
        """The covariate columns that are fixed effects (all of them unless a subclass says otherwise)."""
        return covariates

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X, y, covariates=None):
        """Fit on the individuals with an observed phenotype (``covariates``: fixed effects)."""
        X, y, covariates, W = self._fit_inputs(X, y, covariates)
        if self._covariates == "residual":
            if self.encoder_.columns_:
                fixed = np.linalg.lstsq(W, y, rcond=None)[0]
                y = y - W @ fixed
            else:  # the model's own intercept carries the mean
                fixed = np.zeros(1)
            setattr(self, self._fixed, fixed)
        self._fit(X, y, W)
        return self

    def _fit(self, X: np.ndarray, y: np.ndarray, W: np.ndarray) -> None:
        raise NotImplementedError

    def _genetic(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_genetic(self, X) -> np.ndarray:
        """Predicted genetic values: the marker (or kernel) part alone, without fixed effects."""
        check_is_fitted(self, self._fixed)
        return self._genetic(self._validate_markers(X, reset=False))

    def _fixed_part(self, covariates, m: int) -> np.ndarray:
        return self.encoder_.transform(covariates, m) @ getattr(self, self._fixed)

    def __setstate__(self, state):
        """A model saved by gslib 0.1 (before this base class) lacks the covariate encoder and the
        fixed effects of models that had no covariates: they were none."""
        super().__setstate__(state)
        fitted = any(k.endswith("_") and not k.startswith("_") for k in state)
        if fitted and "encoder_" not in state:
            self.encoder_ = CovariateEncoder().fit(None)
            if not hasattr(self, self._fixed):
                setattr(self, self._fixed, np.zeros(1))

    def predict_parts(self, X, covariates=None) -> tuple[np.ndarray, np.ndarray]:
        """``(predict(X, covariates), predict_genetic(X))`` with one pass over ``X``."""
        g = self.predict_genetic(X)
        return self._fixed_part(covariates, g.shape[0]) + g, g

    def predict(self, X, covariates=None) -> np.ndarray:
        """Fixed effects plus genetic values."""
        return self.predict_parts(X, covariates)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self._pairwise()
        return tags
