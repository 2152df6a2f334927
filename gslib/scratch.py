"""Network layers written out in numpy as the review's equations (chapters 4 to 6).

Nothing here trains anything: these functions exist so a reader can see every number of a
layer computed by hand and check it against Keras with the same weights (the tests and the
notebooks do exactly that). Arrays follow Keras's layout: a batch of sequences is
``(n, length, channels)``; a Conv1D kernel is ``(kernel_size, in_channels, filters)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["conv1d", "max_pool1d", "avg_pool1d", "relu"]


def _as_batch(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:  # one sequence of one channel
        x = x[None, :, None]
    elif x.ndim == 2:  # (n, length): one channel
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"expected (n, length, channels); got shape {x.shape}.")
    return x


def relu(z):
    """max(0, z), elementwise."""
    return np.maximum(z, 0.0)


def conv1d(x, kernel, bias=None, stride: int = 1) -> np.ndarray:
    """A 1-D convolution ("valid": no padding) as a sliding weighted sum (the review's Figure 3).

    Output position ``t`` of filter ``f`` is
    ``sum_{k, c} x[t * stride + k, c] * kernel[k, c, f] + bias[f]``.

    Parameters
    ----------
    x : array (n, length, channels), (n, length) or (length,)
    kernel : array (kernel_size, channels, filters), or (kernel_size,) for one filter of one channel
    bias : array (filters,), optional
    stride : int
        Step between the starts of neighbouring windows.

    Returns
    -------
    array (n, (length - kernel_size) // stride + 1, filters)
    """
    x = _as_batch(x)
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim == 1:
        w = w[:, None, None]
    if w.ndim != 3 or w.shape[1] != x.shape[2]:
        raise ValueError(f"kernel must be (kernel_size, {x.shape[2]}, filters); got shape {w.shape}.")
    if not (isinstance(stride, (int, np.integer)) and stride >= 1):
        raise ValueError(f"stride must be a positive integer; got {stride!r}.")
    size = w.shape[0]
    if size > x.shape[1]:
        raise ValueError(f"kernel of {size} is longer than the sequence ({x.shape[1]}).")
    starts = np.arange(0, x.shape[1] - size + 1, stride)
    windows = np.stack([x[:, s:s + size, :] for s in starts], axis=1)  # (n, out, size, channels)
    out = np.einsum("nokc,kcf->nof", windows, w)
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out


def _pool(x, size: int, stride: int | None, reduce) -> np.ndarray:
    x = _as_batch(x)
    stride = size if stride is None else stride
    if size < 1 or stride < 1 or size > x.shape[1]:
        raise ValueError(f"pool size {size} and stride {stride} do not fit a sequence of {x.shape[1]}.")
    starts = np.arange(0, x.shape[1] - size + 1, stride)
    return np.stack([reduce(x[:, s:s + size, :], axis=1) for s in starts], axis=1)


def max_pool1d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Largest value in each window of ``size`` (stride defaults to ``size``, as in Keras)."""
    return _pool(x, size, stride, np.max)


def avg_pool1d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Mean of each window of ``size`` (stride defaults to ``size``, as in Keras)."""
    return _pool(x, size, stride, np.mean)
