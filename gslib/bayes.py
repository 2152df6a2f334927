"""The Bayesian alphabet: Gibbs samplers for marker-effect regression (chapter 2).

``y = W b + X beta + e``, ``e ~ N(0, s2_e I)``, with a flat prior on the fixed effects ``b``
(an intercept at least) and one of these priors on the marker effects:

============  ===============================================================================
BayesRR       ``beta_j ~ N(0, s2_b)``, one common variance: uniform shrinkage (Bayesian ridge)
BayesA        ``beta_j ~ N(0, s2_j)``, ``s2_j ~ scaled-inv-chi2(df, S)``, ``S ~ Gamma``: a
              t prior, differential shrinkage (Meuwissen et al. 2001; ``S`` sampled as BGLR)
BayesB        ``beta_j = 0`` with probability ``1 - pi``, else as BayesA with fixed ``S``;
              ``pi`` fixed: variable selection (Meuwissen et al. 2001)
BayesCpi      ``beta_j = 0`` w.p. ``1 - pi``, else ``N(0, s2_b)`` with one common variance;
              ``pi ~ Beta`` sampled (Habier et al. 2011)
BayesDpi      as BayesB, with ``pi`` sampled and the scale ``S`` sampled (Habier et al. 2011)
BayesLasso    ``beta_j ~ N(0, tau2_j s2_e)``, ``tau2_j ~ Exp(lambda2 / 2)``, ``lambda2 ~ Gamma``:
              a double-exponential prior (Park and Casella 2008; Legarra et al. 2011)
============  ===============================================================================

Here ``pi`` is the prior probability that a marker has a *non-zero* effect, BGLR's
``probIn``; Habier et al. (2011) write ``pi`` for the complement, the probability of a zero
effect.

Default hyper-parameters follow BGLR (Perez and de los Campos 2014): residual and marker
variances have scaled-inverse-chi-square priors with 5 degrees of freedom, scaled so that a
share ``R2 = 0.5`` of the phenotypic variance is expected from the markers; ``pi`` has a Beta
prior worth 10 observations centred on ``prob_in``. Every default can be overridden.

The inner loop visits markers one at a time with residual updating: ``e`` always holds
``y - W b - X beta``, and changing ``beta_j`` costs two passes over column ``j`` (its dot
product with ``e`` and the update of ``e``); ``X beta`` is never rebuilt. In BayesB, Cpi and
Dpi each indicator is sampled with its effect integrated out, so a marker can leave and
re-enter the model (a sampler that conditions on the effect sticks once a variance reaches
zero). The loops are compiled with numba (``cache=True``: compiled once per machine).
"""

from __future__ import annotations

import time
import warnings
from numbers import Integral, Real

import numpy as np
from numba import njit
from sklearn.utils._param_validation import Interval

from .base import CODING, DEPRECATED, MarkerRegressor


# ----------------------------------------------------------------------------- compiled sweeps
@njit(cache=True, fastmath=True, inline="always")
def _column_dot(X, j, e):  # pragma: no cover (compiled)
    """x_j' e."""
    total = 0.0
    for i in range(X.shape[0]):
        total += X[i, j] * e[i]
    return total


@njit(cache=True, fastmath=True, inline="always")
def _update_residual(X, j, e, change):  # pragma: no cover (compiled)
    """e <- e - x_j * change (residual updating)."""
    if change != 0.0:
        for i in range(X.shape[0]):
            e[i] -= X[i, j] * change


@njit(cache=True, fastmath=True)
def _sweep_normal(X, xx, e, beta, prior_var, sigma2_e, z):  # pragma: no cover (compiled)
    """One pass of single-site updates beta_j | rest ~ N(.,.) with prior N(0, prior_var[j])."""
    for j in range(X.shape[1]):
        rhs = _column_dot(X, j, e) + xx[j] * beta[j]
        c = xx[j] / sigma2_e + 1.0 / prior_var[j]
        b_new = rhs / sigma2_e / c + z[j] / np.sqrt(c)
        _update_residual(X, j, e, b_new - beta[j])
        beta[j] = b_new


@njit(cache=True, fastmath=True)
def _sweep_spike(X, xx, e, beta, delta, prior_var, log_odds, sigma2_e, z, u):  # pragma: no cover
    """Single-site updates of (delta_j, beta_j) with beta_j integrated out for delta_j."""
    for j in range(X.shape[1]):
        rhs = _column_dot(X, j, e) + xx[j] * beta[j]
        c = xx[j] / sigma2_e + 1.0 / prior_var[j]
        m = rhs / sigma2_e
        # log Bayes factor of delta_j = 1 against 0, beta_j integrated out
        lo = -0.5 * np.log(prior_var[j] * c) + 0.5 * m * m / c + log_odds
        p_in = 1.0 / (1.0 + np.exp(-lo)) if lo > 0 else np.exp(lo) / (1.0 + np.exp(lo))
        if u[j] < p_in:
            delta[j] = 1
            b_new = m / c + z[j] / np.sqrt(c)
        else:
            delta[j] = 0
            b_new = 0.0
        _update_residual(X, j, e, b_new - beta[j])
        beta[j] = b_new


def _arviz():
    """Import ArviZ without its start-up FutureWarning about the coming refactor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz

    return arviz


def _inv_chi2(rng, df: float, scale, size=None):
    """Scaled-inverse-chi-square draws: df * scale / chi2(df)."""
    return df * scale / rng.chisquare(df, size=size)


# ----------------------------------------------------------------------------- estimator
class _BayesBase(MarkerRegressor):
    """Shared machinery of the samplers; see the subclasses."""

    _method = "base"
    _parameter_constraints = {
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "burn_in": [Interval(Integral, 0, None, closed="left")],
        "thin": [Interval(Integral, 1, None, closed="left")],
        "n_chains": [Interval(Integral, 1, None, closed="left")],
        "R2": [Interval(Real, 0, 1, closed="neither")],
        "df0": [Interval(Real, 0, None, closed="neither")],
        "prob_in": [Interval(Real, 0, 1, closed="right")],
        "counts": [Interval(Real, 0, None, closed="neither")],
        "fixed_variances": ["array-like", None],
        "coding": CODING,
        "random_state": ["random_state"],
    }

    def __init__(self, n_iter: int = 3000, burn_in: int = 1000, thin: int = 5, n_chains: int = 1,
                 R2: float = 0.5, df0: float = 5.0, prob_in: float = 0.5, counts: float = 10.0,
                 random_state: int | None = 0, coding: str | None = DEPRECATED):
        self.n_iter = n_iter
        self.burn_in = burn_in
        self.thin = thin
        self.n_chains = n_chains
        self.R2 = R2
        self.df0 = df0
        self.prob_in = prob_in
        self.counts = counts
        self.coding = coding
        self.random_state = random_state

    # -- input
    def _check_params(self) -> None:
        """What the parameter constraints (checked first, in ``fit``) cannot say: relations between them."""
        if not self.burn_in < self.n_iter:
            raise ValueError(f"burn_in must be in [0, n_iter); got {self.burn_in} with n_iter={self.n_iter}.")
        if (self.n_iter - self.burn_in) // self.thin < 1:
            raise ValueError("no sample is kept: n_iter - burn_in must be at least thin.")

    # -- hooks for the subclasses
    def _init_state(self, rng, p: int, vy: float, msx: float) -> dict:
        raise NotImplementedError

    def _sample_markers(self, state, X, xx, e, beta, sigma2_e, rng) -> None:
        raise NotImplementedError

    def _sample_hyper(self, state, beta, sigma2_e, rng) -> None:
        raise NotImplementedError

    def _residual_prior_extra(self, state, beta) -> tuple[float, float]:
        """Extra (df, sum of squares) for the residual variance (BayesLasso's prior is scaled by it)."""
        return 0.0, 0.0

    def _record(self, state) -> dict:
        return {}

    # -- fit
    def fit(self, X, y, covariates=None):
        """Run ``n_chains`` Gibbs chains and keep posterior means and thinned traces."""
        Xc, y, covariates, W = self._fit_inputs(X, y, covariates)
        self._check_params()
        n, p = Xc.shape
        self.center_ = Xc.mean(axis=0)
        Xz = np.asfortranarray(Xc - self.center_)
        xx = (Xz * Xz).sum(axis=0)
        xx = np.where(xx > 0, xx, 1.0)  # a monomorphic marker: its effect stays at the prior
        WtW_inv = np.linalg.inv(W.T @ W)
        chol_WtW_inv = np.linalg.cholesky(WtW_inv)
        vy = float(np.var(y, ddof=1))
        msx = float(np.sum(np.var(Xz, axis=0, ddof=1)))
        if msx <= 0:
            raise ValueError("every marker is monomorphic.")
        seeds = np.random.SeedSequence(self.random_state).spawn(self.n_chains)
        keep = set(range(self.burn_in + self.thin - 1, self.n_iter, self.thin))
        fixed = getattr(self, "fixed_variances", None)
        traces: dict[str, list] = {}
        beta_sum = np.zeros(p)
        b_sum = np.zeros(W.shape[1])
        start = time.perf_counter()
        for seed in seeds:
            rng = np.random.default_rng(seed)
            state = self._init_state(rng, p, vy, msx)
            beta = np.zeros(p)
            b = WtW_inv @ (W.T @ y)
            e = y - W @ b
            sigma2_e = vy * (1 - self.R2) if fixed is None else float(fixed[1])
            df_e, s_e = self.df0, vy * (1 - self.R2) * (self.df0 + 2)
            chain_trace: dict[str, list] = {}
            for it in range(self.n_iter):
                # fixed effects (flat prior), as a block
                e += W @ b
                b = WtW_inv @ (W.T @ e) + np.sqrt(sigma2_e) * chol_WtW_inv @ rng.standard_normal(W.shape[1])
                e -= W @ b
                # marker effects (compiled single-site sweep) and their hyper-parameters
                self._sample_markers(state, Xz, xx, e, beta, sigma2_e, rng)
                self._sample_hyper(state, beta, sigma2_e, rng)
                # residual variance
                extra_df, extra_ss = self._residual_prior_extra(state, beta)
                sigma2_e = float(_inv_chi2(rng, df_e + n + extra_df,
                                           (s_e + e @ e + extra_ss) / (df_e + n + extra_df)))
                if fixed is not None:
                    sigma2_e = float(fixed[1])
                if it in keep:
                    beta_sum += beta
                    b_sum += b
                    rec = {"sigma2_e": sigma2_e, **self._record(state)}
                    for k, v in rec.items():
                        chain_trace.setdefault(k, []).append(v)
            for k, v in chain_trace.items():
                traces.setdefault(k, []).append(v)
            if not np.isfinite(e).all():
                raise FloatingPointError("the sampler diverged (non-finite residuals).")
        self.seconds_ = time.perf_counter() - start
        draws = len(keep) * self.n_chains
        self.coef_ = beta_sum / draws
        self.beta_ = b_sum / draws
        self.trace_ = {k: np.asarray(v) for k, v in traces.items()}  # (chains, draws)
        self.sigma2_e_ = float(self.trace_["sigma2_e"].mean())
        for k, v in self.trace_.items():
            if k != "sigma2_e":
                setattr(self, f"{k}_", float(v.mean()))
        return self

    # -- prediction
    def _genetic(self, X) -> np.ndarray:
        """Posterior-mean genomic values ``(X - training means) beta``."""
        return (X - self.center_) @ self.coef_

    # -- diagnostics
    def to_inference_data(self):
        """The traces as an ArviZ ``InferenceData`` (chains x draws)."""
        if not hasattr(self, "trace_"):
            raise ValueError("fit the model first.")
        return _arviz().from_dict(posterior=dict(self.trace_))

    def diagnostics(self):
        """Effective sample size (bulk) and R-hat of every traced parameter (ArviZ).

        R-hat needs two chains or more (``n_chains``); with one chain it is NaN.
        """
        import pandas as pd

        az = _arviz()
        idata = self.to_inference_data()
        ess = az.ess(idata)
        rows = {}
        for k in self.trace_:
            rhat = float(az.rhat(idata)[k]) if self.n_chains > 1 else float("nan")
            rows[k] = {"mean": float(self.trace_[k].mean()), "ess_bulk": float(ess[k]), "r_hat": rhat}
        return pd.DataFrame(rows).T


def _scale_prior(vy: float, R2: float, msx: float, df0: float, prob_in: float = 1.0) -> float:
    """BGLR's scale of a marker-variance prior: var(y) R2 / (MSx prob_in) (df0 + 2)."""
    return vy * R2 / msx / prob_in * (df0 + 2)


class BayesRR(_BayesBase):
    """Bayesian ridge regression: one common marker variance (uniform shrinkage).

    ``fixed_variances=(sigma2_b, sigma2_e)`` holds both variances fixed instead of sampling
    them; the posterior mean of the effects is then exactly rrBLUP's with
    ``lambda = sigma2_e / sigma2_b`` (a test checks it to Monte Carlo error).
    """

    _method = "BayesRR"

    def __init__(self, n_iter: int = 3000, burn_in: int = 1000, thin: int = 5, n_chains: int = 1,
                 R2: float = 0.5, df0: float = 5.0, fixed_variances: tuple | None = None,
                 random_state: int | None = 0, coding: str | None = DEPRECATED):
        super().__init__(n_iter=n_iter, burn_in=burn_in, thin=thin, n_chains=n_chains, R2=R2, df0=df0,
                         random_state=random_state, coding=coding)
        self.fixed_variances = fixed_variances

    def _init_state(self, rng, p, vy, msx):
        s0 = _scale_prior(vy, self.R2, msx, self.df0) / (self.df0 + 2)
        if self.fixed_variances is not None:
            s0 = float(self.fixed_variances[0])
        return {"sigma2_b": s0, "S0": _scale_prior(vy, self.R2, msx, self.df0), "p": p}

    def _sample_markers(self, state, X, xx, e, beta, sigma2_e, rng):
        _sweep_normal(X, xx, e, beta, np.full(beta.size, state["sigma2_b"]), sigma2_e,
                      rng.standard_normal(beta.size))

    def _sample_hyper(self, state, beta, sigma2_e, rng):
        if self.fixed_variances is None:
            df = self.df0 + state["p"]
            state["sigma2_b"] = float(_inv_chi2(rng, df, (state["S0"] + beta @ beta) / df))

    def _record(self, state):
        return {"sigma2_b": state["sigma2_b"]}



class BayesA(_BayesBase):
    """BayesA: marker-specific variances with a scaled-inverse-chi-square prior (a t prior on effects).

    The scale ``S`` of that prior has a Gamma(1.1, 0.1 / S0) prior and is sampled, as in BGLR.
    """

    _method = "BayesA"

    def _init_state(self, rng, p, vy, msx):
        S0 = _scale_prior(vy, self.R2, msx, self.df0) / (self.df0 + 2)
        return {"S": S0, "var": np.full(p, S0), "shape0": 1.1, "rate0": 0.1 / S0}

    def _sample_markers(self, state, X, xx, e, beta, sigma2_e, rng):
        _sweep_normal(X, xx, e, beta, state["var"], sigma2_e, rng.standard_normal(beta.size))

    def _sample_hyper(self, state, beta, sigma2_e, rng):
        df = self.df0
        state["var"] = _inv_chi2(rng, df + 1, (df * state["S"] + beta**2) / (df + 1), size=beta.size)
        shape = state["shape0"] + beta.size * df / 2
        rate = state["rate0"] + df / 2 * np.sum(1 / state["var"])
        state["S"] = float(rng.gamma(shape, 1 / rate))

    def _record(self, state):
        return {"S": state["S"]}


class _SpikeSlab(_BayesBase):
    """Shared code of BayesB, BayesCpi and BayesDpi."""

    common_variance = False
    sample_pi = True
    sample_scale = True

    def _init_state(self, rng, p, vy, msx):
        S0 = _scale_prior(vy, self.R2, msx, self.df0, self.prob_in) / (self.df0 + 2)
        return {"pi": float(self.prob_in), "S": S0, "var": np.full(p, S0), "delta": np.zeros(p, np.int64),
                "shape0": 1.1, "rate0": 0.1 / S0, "S0": S0}

    def _sample_markers(self, state, X, xx, e, beta, sigma2_e, rng):
        pi = min(max(state["pi"], 1e-12), 1 - 1e-12)
        _sweep_spike(X, xx, e, beta, state["delta"], state["var"], np.log(pi / (1 - pi)), sigma2_e,
                     rng.standard_normal(beta.size), rng.random(beta.size))

    def _sample_hyper(self, state, beta, sigma2_e, rng):
        df, delta = self.df0, state["delta"]
        m_in = int(delta.sum())
        p = beta.size
        if self.common_variance:
            dfp = df + m_in
            s = float(_inv_chi2(rng, dfp, (df * state["S"] + beta @ beta) / dfp))
            state["var"][:] = s
        else:
            # included markers: posterior; excluded ones: a fresh draw from the prior
            post = _inv_chi2(rng, df + 1, (df * state["S"] + beta**2) / (df + 1), size=p)
            prior = _inv_chi2(rng, df, state["S"], size=p)
            state["var"] = np.where(delta == 1, post, prior)
            if self.sample_scale:
                shape = state["shape0"] + p * df / 2
                rate = state["rate0"] + df / 2 * np.sum(1 / state["var"])
                state["S"] = float(rng.gamma(shape, 1 / rate))
        if self.sample_pi:
            a = self.counts * self.prob_in + m_in
            b = self.counts * (1 - self.prob_in) + p - m_in
            state["pi"] = float(rng.beta(a, b))

    def _record(self, state):
        rec = {"n_in": float(state["delta"].sum())}
        if self.sample_pi:
            rec["pi"] = state["pi"]
        if self.common_variance:
            rec["sigma2_b"] = float(state["var"][0])
        elif self.sample_scale:
            rec["S"] = state["S"]
        return rec



class BayesB(_SpikeSlab):
    """BayesB (Meuwissen et al. 2001): fixed ``prob_in`` (default 0.05), marker-specific variances, fixed scale."""

    _method = "BayesB"
    sample_pi = False
    sample_scale = False

    def __init__(self, n_iter: int = 3000, burn_in: int = 1000, thin: int = 5, n_chains: int = 1,
                 R2: float = 0.5, df0: float = 5.0, prob_in: float = 0.05, random_state: int | None = 0,
                 coding: str | None = DEPRECATED):
        super().__init__(n_iter=n_iter, burn_in=burn_in, thin=thin, n_chains=n_chains, R2=R2, df0=df0,
                         prob_in=prob_in, random_state=random_state, coding=coding)


class BayesCpi(_SpikeSlab):
    """BayesC-pi (Habier et al. 2011): one common variance for the included markers, ``pi`` sampled."""

    _method = "BayesCpi"
    common_variance = True


class BayesDpi(_SpikeSlab):
    """BayesD-pi (Habier et al. 2011): marker-specific variances, ``pi`` and the scale ``S`` sampled."""

    _method = "BayesDpi"


class BayesLasso(_BayesBase):
    """Bayesian LASSO (Park and Casella 2008): double-exponential prior on the effects.

    ``beta_j | tau2_j ~ N(0, tau2_j s2_e)``, ``tau2_j ~ Exp(lambda2 / 2)``, ``lambda2 ~
    Gamma(1.1, rate)`` with the rate set, as BGLR does, so that the prior mode of ``lambda2``
    is ``2 (1 - R2) / R2 * MSx``.
    """

    _method = "BayesLasso"

    def _init_state(self, rng, p, vy, msx):
        lambda2 = 2 * (1 - self.R2) / self.R2 * msx
        return {"lambda2": lambda2, "tau2": np.full(p, 1.0 / lambda2), "shape0": 1.1,
                "rate0": 0.1 / lambda2, "sigma2_e": vy * (1 - self.R2)}

    def _sample_markers(self, state, X, xx, e, beta, sigma2_e, rng):
        state["sigma2_e"] = sigma2_e
        _sweep_normal(X, xx, e, beta, state["tau2"] * sigma2_e, sigma2_e, rng.standard_normal(beta.size))

    def _sample_hyper(self, state, beta, sigma2_e, rng):
        b2 = np.maximum(beta**2, 1e-300)
        mu = np.sqrt(state["lambda2"] * sigma2_e / b2)
        state["tau2"] = 1.0 / rng.wald(mu, state["lambda2"])
        shape = state["shape0"] + beta.size
        rate = state["rate0"] + state["tau2"].sum() / 2
        state["lambda2"] = float(rng.gamma(shape, 1 / rate))

    def _residual_prior_extra(self, state, beta):
        return float(beta.size), float(np.sum(beta**2 / state["tau2"]))

    def _record(self, state):
        return {"lambda": float(np.sqrt(state["lambda2"]))}


SAMPLERS = {cls._method: cls for cls in (BayesRR, BayesA, BayesB, BayesCpi, BayesDpi, BayesLasso)}
"""The samplers by name."""


def trace_plot(model, params=None):
    """Trace and density of each traced parameter, one colour per chain (ArviZ)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return _arviz().plot_trace(model.to_inference_data(), var_names=params, compact=False)
