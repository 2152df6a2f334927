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
``y - W b - X beta``, and changing ``beta_j`` costs the dot product of column ``j`` with ``e``
and the update of ``e`` (made in the pass that computes the next marker's dot product: one
pass over ``e`` per marker); ``X beta`` is never rebuilt. In BayesB, Cpi and
Dpi each indicator is sampled with its effect integrated out, so a marker can leave and
re-enter the model (a sampler that conditions on the effect sticks once a variance reaches
zero).

Storage. Genotypes whose every value is 0, 1 or 2 (checked once, in ``fit``) are kept as an
int8 copy, one byte a value instead of eight, with the centring folded into the arithmetic:
with ``x_j = g_j - c_j``, ``x_j' e = g_j' e - c_j sum(e)``, and the residual update subtracts
``g_j * change`` alone while ``c_j * change`` is added to every residual once, at the end of
the sweep (``sum(e)`` is carried along). This is exact for 0/1/2 up to rounding; any other
markers (standardised features, imputed dosages) are kept centred in float64 as before.
``storage_`` says which copy a fit used.

Compilation. Each chain runs in compiled code (numba, ``cache=True``: compiled once per
machine), a block of iterations per call: fixed effects, the sweep, the hyper-parameters, the
residual variance and the running sums, with every reduction a plain loop (no BLAS thread).
The random numbers come from the chain's NumPy ``Generator`` in the order (and with the
calls) of the former Python loop, so a seed gives the chain it gave before up to rounding
(BayesLasso's inverse-Gaussian draws for near-zero effects magnify rounding: its traces agree
to about 1e-10 relative, as the former loop's own do under two BLAS kernels).
"""

from __future__ import annotations

import time
import warnings
from numbers import Integral, Real

import numpy as np
from numba import njit
from sklearn.utils._param_validation import Interval

from .base import CODING, DEPRECATED, MarkerRegressor

# ----------------------------------------------------------------------------- compact storage
_ROW_BLOCK = 32
"""Rows of the int8 genotypes are padded with zeros to a multiple of this: the compiled column
loops then run whole vector blocks, without a scalar tail."""


@njit(cache=True)
def _to_int8(X: np.ndarray, n_pad: int) -> tuple[bool, np.ndarray]:  # pragma: no cover (compiled)
    """``X`` (n x p) as int8 genotypes, transposed: (p x n_pad), rows n.. zero.

    The transpose of the result is the Fortran-ordered (n_pad x p) matrix the sweeps read.
    Returns ``(False, partial copy)`` at the first value that is not 0, 1 or 2.
    """
    n, p = X.shape
    G = np.zeros((p, n_pad), np.int8)
    for i0 in range(0, n, 64):  # a block of rows at a time: reads and writes stay in cache
        i1 = min(i0 + 64, n)
        for j in range(p):
            for i in range(i0, i1):
                v = X[i, j]
                if v == 1.0:
                    G[j, i] = 1
                elif v == 2.0:
                    G[j, i] = 2
                elif v != 0.0:
                    return False, G
    return True, G


@njit(cache=True)
def _column_stats(G: np.ndarray, center: np.ndarray,
                  n: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover (compiled)
    """Column sums of ``G`` (exact) and sums of squares of the centred columns ``g_j - c_j``."""
    p = G.shape[1]
    colsum = np.zeros(p)
    xx = np.zeros(p)
    for j in range(p):
        total = 0
        ss = 0.0
        for i in range(n):
            total += G[i, j]
            d = G[i, j] - center[j]
            ss += d * d
        colsum[j] = total
        xx[j] = ss
    return colsum, xx


# ----------------------------------------------------------------------------- compiled sweeps
@njit(cache=True, fastmath=True, inline="always")
def _column_dot(A: np.ndarray, j: int, e: np.ndarray) -> float:  # pragma: no cover (compiled)
    """a_j' e (every row, padding included: its entries are zero)."""
    total = 0.0
    for i in range(A.shape[0]):
        total += A[i, j] * e[i]
    return total


@njit(cache=True, fastmath=True, inline="always")
def _subtract_column(A: np.ndarray, j: int, e: np.ndarray, change: float) -> None:  # pragma: no cover
    """e <- e - a_j * change."""
    for i in range(A.shape[0]):
        e[i] -= A[i, j] * change


@njit(cache=True, fastmath=True, inline="always")
def _subtract_and_dot(A: np.ndarray, k: int, change: float, j: int,
                      e: np.ndarray) -> float:  # pragma: no cover (compiled)
    """e <- e - a_k * change, then a_j' e, in one pass over ``e``."""
    total = 0.0
    for i in range(A.shape[0]):
        v = e[i] - A[i, k] * change
        e[i] = v
        total += A[i, j] * v
    return total


@njit(cache=True)
def _add_to_rows(e: np.ndarray, n_obs: int, shift: float) -> None:  # pragma: no cover (compiled)
    """e[:n_obs] += shift: the centring of the sweep's updates, applied once."""
    if shift != 0.0:
        for i in range(n_obs):
            e[i] += shift


@njit(cache=True)
def _sum_rows(e: np.ndarray, n_obs: int) -> float:  # pragma: no cover (compiled)
    """sum(e[:n_obs])."""
    total = 0.0
    for i in range(n_obs):
        total += e[i]
    return total


@njit(cache=True, fastmath=True, inline="always")
def _read_column(A, j, e, pending, pending_change):  # pragma: no cover (compiled)
    """``g_j' e``, making the previous marker's pending update of ``e`` in the same pass."""
    if pending >= 0:
        return _subtract_and_dot(A, pending, pending_change, j, e)
    return _column_dot(A, j, e)


@njit(cache=True, fastmath=True, inline="always")
def _carry(j, change, center, colsum, pending_change, shift, s):  # pragma: no cover (compiled)
    """Record ``beta_j``'s change: its update of ``e`` waits for the next column's pass, and the
    centring's share goes to the shift of every residual and to ``sum(e)``. Returns the new
    ``(pending, pending_change, shift, s)``."""
    if change != 0.0:
        return j, change, shift + center[j] * change, s - colsum[j] * change
    return -1, pending_change, shift, s


@njit(cache=True, fastmath=True)
def _sweep_normal(A: np.ndarray, center: np.ndarray, colsum: np.ndarray, xx: np.ndarray, n_obs: int,
                  e: np.ndarray, beta: np.ndarray, prior_var: np.ndarray, sigma2_e: float,
                  z: np.ndarray) -> None:  # pragma: no cover (compiled)
    """One pass of single-site updates beta_j | rest ~ N(.,.) with prior N(0, prior_var[j]).

    Column j of the markers is ``A[:, j] - center[j]`` (``center`` zero for the float64 copy,
    which is centred already); see the module docstring for the folded centring. The update of
    ``e`` by marker j is made in the pass that reads column j + 1 for its dot product: one pass
    over ``e`` per marker.
    """
    s = _sum_rows(e, n_obs)  # sum of the residuals as stored (the shift not applied yet)
    shift = 0.0
    pending = -1  # the marker whose update of e is made in the pass that reads the next column
    pending_change = 0.0
    for j in range(A.shape[1]):
        dot = _read_column(A, j, e, pending, pending_change)
        rhs = dot - center[j] * s + xx[j] * beta[j]
        c = xx[j] / sigma2_e + 1.0 / prior_var[j]
        b_new = rhs / sigma2_e / c + z[j] / np.sqrt(c)
        pending, pending_change, shift, s = _carry(j, b_new - beta[j], center, colsum, pending_change, shift, s)
        beta[j] = b_new
    if pending >= 0:
        _subtract_column(A, pending, e, pending_change)
    _add_to_rows(e, n_obs, shift)


@njit(cache=True, fastmath=True)
def _sweep_spike(A: np.ndarray, center: np.ndarray, colsum: np.ndarray, xx: np.ndarray, n_obs: int,
                 e: np.ndarray, beta: np.ndarray, delta: np.ndarray, prior_var: np.ndarray, log_odds: float,
                 sigma2_e: float,
                 z: np.ndarray, u: np.ndarray) -> None:  # pragma: no cover (compiled)
    """Single-site updates of (delta_j, beta_j) with beta_j integrated out for delta_j.

    ``delta_j = 1`` when ``u_j < P(delta_j = 1 | rest)``, tested as ``logit(u_j) < log odds``: the
    logarithms (of ``u_j`` and of the part of the Bayes factor that does not depend on the
    residuals) are taken before the sweep, in a loop of their own, not one marker at a time.
    """
    p = A.shape[1]
    log_u = np.empty(p)
    log_prior = np.empty(p)
    for j in range(p):
        log_u[j] = np.log(u[j] / (1.0 - u[j]))
        log_prior[j] = -0.5 * np.log(prior_var[j] * (xx[j] / sigma2_e + 1.0 / prior_var[j])) + log_odds
    s = _sum_rows(e, n_obs)
    shift = 0.0
    pending = -1
    pending_change = 0.0
    for j in range(p):
        dot = _read_column(A, j, e, pending, pending_change)
        rhs = dot - center[j] * s + xx[j] * beta[j]
        c = xx[j] / sigma2_e + 1.0 / prior_var[j]
        m = rhs / sigma2_e
        # log Bayes factor of delta_j = 1 against 0 (beta_j integrated out), plus the prior log odds
        if log_prior[j] + 0.5 * m * m / c > log_u[j]:
            delta[j] = 1
            b_new = m / c + z[j] / np.sqrt(c)
        else:
            delta[j] = 0
            b_new = 0.0
        pending, pending_change, shift, s = _carry(j, b_new - beta[j], center, colsum, pending_change, shift, s)
        beta[j] = b_new
    if pending >= 0:
        _subtract_column(A, pending, e, pending_change)
    _add_to_rows(e, n_obs, shift)


# ----------------------------------------------------------------------------- compiled chain
_RR, _A, _SPIKE, _LASSO = 0, 1, 2, 3
"""Kinds of marker prior the compiled chain knows (``_BayesBase._kind``)."""

_SIGMA2_E, _SIGMA2_B, _S, _PI, _LAMBDA2 = 0, 1, 2, 3, 4
"""Positions of the scalar state in the ``hyp`` array."""

_DF0, _S0, _SHAPE0, _RATE0, _COUNTS, _PROB_IN, _DF_E, _S_E, _FIXED_E = 0, 1, 2, 3, 4, 5, 6, 7, 8
"""Positions of the constants in the ``const`` array."""


@njit(cache=True)
def _sum_squares(v: np.ndarray, n: int) -> float:  # pragma: no cover (compiled)
    """sum(v[:n] ** 2), a plain loop (no BLAS call, no BLAS thread)."""
    total = 0.0
    for i in range(n):
        total += v[i] * v[i]
    return total


@njit(cache=True)
def _sum_inverse(v: np.ndarray) -> float:  # pragma: no cover (compiled)
    """sum(1 / v)."""
    total = 0.0
    for i in range(v.size):
        total += 1.0 / v[i]
    return total


@njit(cache=True)
def _fixed_effects(W: np.ndarray, WtW_inv: np.ndarray, chol: np.ndarray, e: np.ndarray, b: np.ndarray,
                   sigma2_e: float, rng: np.random.Generator,
                   n_obs: int) -> None:  # pragma: no cover (compiled)
    """b | rest under a flat prior, as a block: N((W'W)^-1 W' (e + W b), s2_e (W'W)^-1)."""
    q = b.size
    for i in range(n_obs):
        acc = 0.0
        for k in range(q):
            acc += W[i, k] * b[k]
        e[i] += acc
    r = np.zeros(q)
    for k in range(q):
        acc = 0.0
        for i in range(n_obs):
            acc += W[i, k] * e[i]
        r[k] = acc
    zq = np.empty(q)
    for k in range(q):
        zq[k] = rng.standard_normal()
    sd = np.sqrt(sigma2_e)
    for k in range(q):
        mean = 0.0
        noise = 0.0
        for m in range(q):
            mean += WtW_inv[k, m] * r[m]
            noise += sd * chol[k, m] * zq[m]
        b[k] = mean + noise
    for i in range(n_obs):
        acc = 0.0
        for k in range(q):
            acc += W[i, k] * b[k]
        e[i] -= acc


@njit(cache=True)
def _inverse_gaussian(rng: np.random.Generator, mean: float, shape: float) -> float:  # pragma: no cover
    """One draw from the inverse Gaussian (Wald) distribution, safe for any ``mean / shape``.

    The method of Michael, Schucany and Haas (1976), as in ``numpy.random.Generator.wald`` and
    with the same two random numbers (a standard normal, then a uniform), but the smaller root
    is computed as ``mean / (1 + w + sqrt(w^2 + 2 w))`` with ``w = mean z^2 / (2 shape)``,
    instead of ``mean (1 + w - sqrt(w^2 + 2 w))``: when ``w`` is large (a marker effect near
    zero gives BayesLasso's ``1 / tau2`` a huge mean) the second form cancels to exactly 0,
    and ``1 / 0`` stopped the chain. Draws are capped at 1e300 (so ``tau2`` stays a normal float).
    """
    z = rng.standard_normal()
    w = mean * z * z / (2.0 * shape)
    x = mean / (1.0 + w + np.sqrt(w * (w + 2.0)))
    if rng.random() <= mean / (mean + x):
        return x
    return min(mean / x * mean, 1e300)


@njit(cache=True)
def _gibbs(kind: int, common_variance: bool, sample_pi: bool, sample_scale: bool, fixed_b: bool,
           fixed_e: bool, A: np.ndarray, center: np.ndarray, colsum: np.ndarray, xx: np.ndarray, n_obs: int,
           W: np.ndarray, WtW_inv: np.ndarray, chol: np.ndarray, e: np.ndarray, b: np.ndarray,
           beta: np.ndarray, delta: np.ndarray, var: np.ndarray, hyp: np.ndarray, const: np.ndarray,
           rng: np.random.Generator, start: int, stop: int, keep: np.ndarray, beta_sum: np.ndarray,
           b_sum: np.ndarray, trace: np.ndarray, row: int) -> int:  # pragma: no cover (compiled)
    """Iterations ``start`` to ``stop - 1`` of one chain.

    The random numbers are drawn in the order of the former Python loop: the fixed effects'
    normals, the sweep's normals (then its uniforms), the hyper-parameters, the residual variance.

    Parameters
    ----------
    kind : int
        ``_RR``, ``_A``, ``_SPIKE`` or ``_LASSO``.
    common_variance, sample_pi, sample_scale : bool
        The spike-and-slab variant (BayesB, Cpi, Dpi); False for the others.
    fixed_b, fixed_e : bool
        BayesRR's ``fixed_variances``: keep ``sigma2_b`` (``hyp``), and ``sigma2_e`` at ``const``.
    A, center, colsum, xx : ndarray
        The markers (see ``_BayesBase._marker_storage``).
    n_obs : int
        Individuals (rows of ``A`` past ``n_obs`` are padding).
    W, WtW_inv, chol : ndarray
        Fixed-effect design, ``(W'W)^-1`` and its Cholesky factor.
    e, b, beta, delta, var, hyp : ndarray
        The state, updated in place: residuals (``len(A)``), fixed effects, marker effects,
        indicators, marker variances (BayesLasso: tau2) and the scalars at ``_SIGMA2_E`` ...
    const : ndarray
        Prior constants at ``_DF0`` ...
    rng : numpy.random.Generator
        The chain's generator.
    start, stop : int
        Iterations to run.
    keep : ndarray of bool
        Iterations kept (after burn-in, thinned): added to ``beta_sum`` and ``b_sum`` and
        written to ``trace`` (``sigma2_e`` then the sampler's parameters), from row ``row``.

    Returns
    -------
    int
        The next free row of ``trace``.
    """
    p = beta.size
    z = np.empty(p)
    u = np.empty(p)
    prior_var = np.empty(p)
    post = np.empty(p)
    df = const[_DF0]
    for it in range(start, stop):
        sigma2_e = hyp[_SIGMA2_E]
        _fixed_effects(W, WtW_inv, chol, e, b, sigma2_e, rng, n_obs)
        # marker effects (single-site sweep)
        for j in range(p):
            z[j] = rng.standard_normal()
        if kind == _SPIKE:
            for j in range(p):
                u[j] = rng.random()
            pi = min(max(hyp[_PI], 1e-12), 1 - 1e-12)
            _sweep_spike(A, center, colsum, xx, n_obs, e, beta, delta, var, np.log(pi / (1 - pi)), sigma2_e,
                         z, u)
        else:
            for j in range(p):
                if kind == _RR:
                    prior_var[j] = hyp[_SIGMA2_B]
                elif kind == _A:
                    prior_var[j] = var[j]
                else:
                    prior_var[j] = var[j] * sigma2_e
            _sweep_normal(A, center, colsum, xx, n_obs, e, beta, prior_var, sigma2_e, z)
        # hyper-parameters
        extra_df = 0.0
        extra_ss = 0.0
        if kind == _RR:
            if not fixed_b:
                dfp = df + p
                hyp[_SIGMA2_B] = dfp * ((const[_S0] + _sum_squares(beta, p)) / dfp) / rng.chisquare(dfp)
        elif kind == _LASSO:
            lambda2 = hyp[_LAMBDA2]
            for j in range(p):
                b2 = max(beta[j] * beta[j], 1e-300)
                var[j] = 1.0 / _inverse_gaussian(rng, np.sqrt(lambda2 * sigma2_e / b2), lambda2)
            total = 0.0
            for j in range(p):
                total += var[j]
            hyp[_LAMBDA2] = rng.gamma(const[_SHAPE0] + p, 1 / (const[_RATE0] + total / 2))
            extra_df = float(p)
            for j in range(p):
                extra_ss += beta[j] * beta[j] / var[j]
        else:
            m_in = 0
            if kind == _SPIKE:
                for j in range(p):
                    m_in += delta[j]
            if kind == _SPIKE and common_variance:
                dfp = df + m_in
                s = dfp * ((df * hyp[_S] + _sum_squares(beta, p)) / dfp) / rng.chisquare(dfp)
                for j in range(p):
                    var[j] = s
            else:
                # BayesA: every marker; BayesB/Dpi: included markers from this posterior, the
                # others from a fresh prior draw (all p drawn, then all p prior draws)
                S = hyp[_S]
                for j in range(p):
                    post[j] = (df + 1) * ((df * S + beta[j] * beta[j]) / (df + 1)) / rng.chisquare(df + 1)
                if kind == _A:
                    for j in range(p):
                        var[j] = post[j]
                else:
                    for j in range(p):
                        prior = df * S / rng.chisquare(df)
                        var[j] = post[j] if delta[j] == 1 else prior
                if kind == _A or sample_scale:
                    shape = const[_SHAPE0] + p * df / 2
                    rate = const[_RATE0] + df / 2 * _sum_inverse(var)
                    hyp[_S] = rng.gamma(shape, 1 / rate)
            if kind == _SPIKE and sample_pi:
                a = const[_COUNTS] * const[_PROB_IN] + m_in
                bb = const[_COUNTS] * (1 - const[_PROB_IN]) + p - m_in
                hyp[_PI] = rng.beta(a, bb)
        # residual variance
        dft = const[_DF_E] + n_obs + extra_df
        sigma2_e = dft * ((const[_S_E] + _sum_squares(e, n_obs) + extra_ss) / dft) / rng.chisquare(dft)
        if fixed_e:
            sigma2_e = const[_FIXED_E]
        hyp[_SIGMA2_E] = sigma2_e
        if keep[it]:
            for j in range(p):
                beta_sum[j] += beta[j]
            for k in range(b.size):
                b_sum[k] += b[k]
            trace[row, 0] = sigma2_e
            if kind == _RR:
                trace[row, 1] = hyp[_SIGMA2_B]
            elif kind == _A:
                trace[row, 1] = hyp[_S]
            elif kind == _LASSO:
                trace[row, 1] = np.sqrt(hyp[_LAMBDA2])
            else:
                m_in = 0
                for j in range(p):
                    m_in += delta[j]
                trace[row, 1] = m_in
                col = 2
                if sample_pi:
                    trace[row, col] = hyp[_PI]
                    col += 1
                if common_variance:
                    trace[row, col] = var[0]
                elif sample_scale:
                    trace[row, col] = hyp[_S]
            row += 1
    return row


def _aligned_zeros(n: int, align: int = 64) -> np.ndarray:
    """Float64 zeros whose data start on an ``align``-byte boundary.

    The residuals are read and written a vector at a time once per marker: aligned, no vector
    straddles two cache lines (on mice this alone takes a third off the sweep).
    """
    buf = np.zeros(n + align // 8)
    start = (-buf.ctypes.data % align) // 8
    return buf[start:start + n]


def _arviz():
    """Import ArviZ without its start-up FutureWarning about the coming refactor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz

    return arviz


# ----------------------------------------------------------------------------- estimator
class _BayesBase(MarkerRegressor):
    """Shared machinery of the samplers; see the subclasses.

    Attributes
    ----------
    coef_ : ndarray
        Posterior means of the marker effects (per unit of the centred markers).
    beta_ : ndarray
        Posterior means of the fixed effects (the intercept first).
    trace_ : dict of ndarray
        Kept draws of ``sigma2_e`` and the sampler's hyper-parameters, (chains x draws).
    center_ : ndarray
        Marker means of the training data.
    storage_ : {"int8", "float64"}
        The copy of the markers the sweeps read: ``"int8"`` when every value is 0, 1 or 2
        (allele dosages), ``"float64"`` (centred) otherwise.
    seconds_ : float
        Time the chains took (setup and input checks excluded).
    """

    _method = "base"
    _kind = _RR
    _storage = "auto"  # "float64" forces the float64 copy (tests compare the two paths)
    _revision = 1  # int8 storage and compiled chains (issue #18): folds cached before are not reused
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

    def _marker_storage(self, Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
        """The markers as the sweeps read them; sets ``storage_``.

        Returns
        -------
        A : ndarray
            int8 genotypes, Fortran order, rows padded with zeros to a multiple of
            ``_ROW_BLOCK`` (every value of ``Xc`` in 0, 1, 2), or the centred float64 markers.
        center, colsum : ndarray
            Column means and exact column sums of ``A`` (zeros for the centred float64 copy).
        xx : ndarray
            Sums of squares of the centred columns.
        msx : float
            Sum of the marker variances (BGLR's MSx).
        """
        n, p = Xc.shape
        if self._storage != "float64":
            ok, Gt = _to_int8(Xc, -(-n // _ROW_BLOCK) * _ROW_BLOCK)
            if ok:
                self.storage_ = "int8"
                G = Gt.T
                colsum, xx = _column_stats(G, self.center_, n)
                return G, self.center_, colsum, xx, float(np.sum(xx)) / (n - 1)
        self.storage_ = "float64"
        Xz = np.asfortranarray(Xc - self.center_)
        xx = (Xz * Xz).sum(axis=0)
        return Xz, np.zeros(p), np.zeros(p), xx, float(np.sum(np.var(Xz, axis=0, ddof=1)))

    # -- hooks for the subclasses
    def _init_state(self, p: int, vy: float, msx: float) -> dict:
        """Starting values and prior constants: any of ``sigma2_b``, ``S``, ``pi``, ``lambda2``,
        ``var`` (marker variances, or BayesLasso's tau2), ``S0``, ``shape0``, ``rate0``."""
        raise NotImplementedError

    def _trace_names(self) -> list[str]:
        """Names of the traced parameters after ``sigma2_e``, in the compiled chain's order."""
        raise NotImplementedError

    # -- fit
    def fit(self, X, y, covariates=None):
        """Run ``n_chains`` Gibbs chains and keep posterior means and thinned traces."""
        Xc, y, covariates, W = self._fit_inputs(X, y, covariates)
        self._check_params()
        n, p = Xc.shape
        self.center_ = Xc.mean(axis=0)
        A, center, colsum, xx, msx = self._marker_storage(Xc)
        xx = np.where(xx > 0, xx, 1.0)  # a monomorphic marker: its effect stays at the prior
        W = np.ascontiguousarray(W, dtype=np.float64)
        WtW_inv = np.linalg.inv(W.T @ W)
        chol_WtW_inv = np.linalg.cholesky(WtW_inv)
        vy = float(np.var(y, ddof=1))
        if msx <= 0:
            raise ValueError("every marker is monomorphic.")
        seeds = np.random.SeedSequence(self.random_state).spawn(self.n_chains)
        keep = np.zeros(self.n_iter, dtype=np.bool_)
        keep[self.burn_in + self.thin - 1::self.thin] = True
        n_keep = int(keep.sum())
        names = ["sigma2_e", *self._trace_names()]
        fixed = getattr(self, "fixed_variances", None)
        spike = self._kind == _SPIKE
        flags = (self._kind, spike and self.common_variance, spike and self.sample_pi,
                 spike and self.sample_scale, fixed is not None, fixed is not None)
        traces = np.zeros((self.n_chains, n_keep, len(names)))
        beta_sum = np.zeros(p)
        b_sum = np.zeros(W.shape[1])
        # iterations per compiled call: about 5e8 marker values (a tenth of a second or so),
        # so that an interrupt is seen between calls
        block = max(1, int(5e8 // (A.shape[0] * p)))
        start = time.perf_counter()
        for chain, seed in enumerate(seeds):
            rng = np.random.default_rng(seed)
            state = self._init_state(p, vy, msx)
            sigma2_e = vy * (1 - self.R2) if fixed is None else float(fixed[1])
            hyp = np.array([sigma2_e, state.get("sigma2_b", 0.0), state.get("S", 0.0), state.get("pi", 0.0),
                            state.get("lambda2", 0.0)])
            const = np.array([self.df0, state.get("S0", 0.0), state.get("shape0", 0.0),
                              state.get("rate0", 0.0), self.counts, self.prob_in, self.df0,
                              vy * (1 - self.R2) * (self.df0 + 2),
                              float(fixed[1]) if fixed is not None else 0.0])
            var = np.array(state.get("var", np.zeros(p)), dtype=np.float64)
            delta = np.zeros(p, np.int64)
            beta = np.zeros(p)
            b = WtW_inv @ (W.T @ y)
            e = _aligned_zeros(A.shape[0])
            e[:n] = y - W @ b
            row = 0
            for it in range(0, self.n_iter, block):
                row = _gibbs(*flags, A, center, colsum, xx, n, W, WtW_inv, chol_WtW_inv, e, b, beta, delta,
                             var, hyp, const, rng, it, min(it + block, self.n_iter), keep, beta_sum, b_sum,
                             traces[chain], row)
            if not np.isfinite(e).all():
                raise FloatingPointError("the sampler diverged (non-finite residuals).")
        self.seconds_ = time.perf_counter() - start
        draws = n_keep * self.n_chains
        self.coef_ = beta_sum / draws
        self.beta_ = b_sum / draws
        self.trace_ = {k: traces[:, :, i].copy() for i, k in enumerate(names)}  # (chains, draws)
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
    _kind = _RR

    def __init__(self, n_iter: int = 3000, burn_in: int = 1000, thin: int = 5, n_chains: int = 1,
                 R2: float = 0.5, df0: float = 5.0, fixed_variances: tuple | None = None,
                 random_state: int | None = 0, coding: str | None = DEPRECATED):
        super().__init__(n_iter=n_iter, burn_in=burn_in, thin=thin, n_chains=n_chains, R2=R2, df0=df0,
                         random_state=random_state, coding=coding)
        self.fixed_variances = fixed_variances

    def _init_state(self, p, vy, msx):
        s0 = _scale_prior(vy, self.R2, msx, self.df0) / (self.df0 + 2)
        if self.fixed_variances is not None:
            s0 = float(self.fixed_variances[0])
        return {"sigma2_b": s0, "S0": _scale_prior(vy, self.R2, msx, self.df0)}

    def _trace_names(self):
        return ["sigma2_b"]


class BayesA(_BayesBase):
    """BayesA: marker-specific variances with a scaled-inverse-chi-square prior (a t prior on effects).

    The scale ``S`` of that prior has a Gamma(1.1, 0.1 / S0) prior and is sampled, as in BGLR.
    """

    _method = "BayesA"
    _kind = _A

    def _init_state(self, p, vy, msx):
        S0 = _scale_prior(vy, self.R2, msx, self.df0) / (self.df0 + 2)
        return {"S": S0, "var": np.full(p, S0), "shape0": 1.1, "rate0": 0.1 / S0}

    def _trace_names(self):
        return ["S"]


class _SpikeSlab(_BayesBase):
    """Shared code of BayesB, BayesCpi and BayesDpi."""

    _kind = _SPIKE
    common_variance = False
    sample_pi = True
    sample_scale = True

    def _init_state(self, p, vy, msx):
        S0 = _scale_prior(vy, self.R2, msx, self.df0, self.prob_in) / (self.df0 + 2)
        return {"pi": float(self.prob_in), "S": S0, "var": np.full(p, S0), "shape0": 1.1, "rate0": 0.1 / S0}

    def _trace_names(self):
        names = ["n_in"]
        if self.sample_pi:
            names.append("pi")
        if self.common_variance:
            names.append("sigma2_b")
        elif self.sample_scale:
            names.append("S")
        return names


class BayesB(_SpikeSlab):
    """BayesB (Meuwissen et al. 2001): fixed ``prob_in`` (default 0.05), marker-specific variances, fixed
    scale."""

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
    _kind = _LASSO
    _revision = 2  # the stable inverse-Gaussian draw (issue #22): folds cached before are not reused

    def _init_state(self, p, vy, msx):
        lambda2 = 2 * (1 - self.R2) / self.R2 * msx
        return {"lambda2": lambda2, "var": np.full(p, 1.0 / lambda2), "shape0": 1.1, "rate0": 0.1 / lambda2}

    def _trace_names(self):
        return ["lambda"]


SAMPLERS = {cls._method: cls for cls in (BayesRR, BayesA, BayesB, BayesCpi, BayesDpi, BayesLasso)}
"""The samplers by name."""


def trace_plot(model, params=None):
    """Trace and density of each traced parameter, one colour per chain (ArviZ)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return _arviz().plot_trace(model.to_inference_data(), var_names=params, compact=False)
