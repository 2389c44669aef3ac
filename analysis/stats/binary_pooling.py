"""Common-effect pooling of 2x2 tables: Mantel–Haenszel (OR, RR, RD) and Peto's odds ratio,
as metafor's ``rma.mh`` and ``rma.peto`` compute them (defaults).

The pooled estimate uses the observed cells (no continuity correction). Cochran's Q uses the
per-study yi, vi of :func:`~analysis.stats.effect_sizes.binary` with 1/2 added to tables with
a zero cell and tables without events in either arm left out (metafor's ``drop00 = TRUE``).
"""

from __future__ import annotations

import numpy as np

from analysis.errors import AnalysisError
from analysis.stats.distributions import chi2_sf
from analysis.stats.effect_sizes import binary
from analysis.stats.heterogeneity import i2_from_q
from analysis.stats.pooling import MetaResult, check_choice, wald_test
from analysis.vocabulary import BINARY_MEASURES

MEASURE_WORDS = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference"}


def _cells(events1, n1, events2, n2):
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (events1, n1, events2, n2))
    return a, n1 - a, c, n2 - c, n1, n2, n1 + n2


def _heterogeneity(q: float, k_yi: int):
    """Q, its p-value, I² (percent, from Q) and H², as rma.mh/rma.peto report them."""
    if k_yi > 1:
        i2, h2 = i2_from_q(q, k_yi - 1)
        return q, k_yi - 1, float(chi2_sf(q, k_yi - 1)), i2, h2
    return 0.0, 0, None, None, None


def _result(measure, method, level, k, estimate, se, q_parts, weights, yi, vi, extra, notes):
    stat, pval, ci_lb, ci_ub = wald_test(estimate, se, None, level)
    q, q_df, q_pval, i2, h2 = q_parts
    return MetaResult(
        measure=measure,
        method=method,
        ci_method="z",
        level=level,
        k=k,
        estimate=float(estimate),
        se=float(se),
        ci_lb=float(ci_lb),
        ci_ub=float(ci_ub),
        stat=float(stat),
        pval=float(pval),
        df=None,
        tau2=0.0,
        tau2_ci=None,
        q=float(q),
        q_df=q_df,
        q_pval=q_pval,
        i2_pct=i2,
        h2=h2,
        i2_q_pct=i2,
        h2_q=h2,
        pi_lb=None,
        pi_ub=None,
        weights_pct=weights / weights.sum() * 100,
        yi=yi,
        vi=vi,
        extra=extra,
        notes=tuple(notes),
    )


def mantel_haenszel(events1, n1, events2, n2, measure: str = "OR", level: float = 0.95):
    """Mantel–Haenszel pooled OR, RR or RD (log scale for OR and RR).

    Notes
    -----
    With a, b, c, d the cells and N = n1 + n2 per table:

    * OR = Σ(ad/N)/Σ(bc/N), variance of log OR by Robins, Breslow & Greenland (1986);
      also the Cochran–Mantel–Haenszel test (with continuity correction), its variant with
      N instead of N − 1 (``CO``), and the Breslow–Day and Tarone tests of homogeneity.
    * RR = Σ(a·n2/N)/Σ(c·n1/N), variance of log RR by Greenland & Robins (1985).
    * RD = Σ((a·n2 − c·n1)/N)/Σ(n1·n2/N), variance by Sato, Greenland & Robins (1989).

    Weights (percent) are the MH weights: bc/N (OR), c·n1/N (RR), n1·n2/N (RD).

    References
    ----------
    Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from
    retrospective studies of disease. J Natl Cancer Inst 22(4):719-748.
    Robins J, Breslow N, Greenland S (1986). Estimators of the Mantel-Haenszel variance
    consistent in both sparse data and large-strata limiting models. Biometrics 42:311-323.
    Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse
    follow-up data. Biometrics 41:55-68.
    Sato T, Greenland S, Robins JM (1989). On the variance estimator for the Mantel-Haenszel
    risk difference. Biometrics 45:1323-1324.
    """
    check_choice("measure", measure, BINARY_MEASURES)
    a, b, c, d, n1, n2, N = _cells(events1, n1, events2, n2)
    k = len(a)
    extra: dict = {}
    if measure == "OR":
        R_i, S_i = a * d / N, b * c / N
        R, S = R_i.sum(), S_i.sum()
        if R == 0 or S == 0:
            raise AnalysisError(
                "the Mantel–Haenszel odds ratio is undefined: "
                + ("no events" if (a + c).sum() == 0 else "no informative table")
                + " in any trial (use the risk difference instead)"
            )
        P, Q = (a + d) / N, (b + c) / N
        estimate = np.log(R / S)
        se = np.sqrt(
            0.5
            * (
                (P * R_i).sum() / R**2
                + (P * S_i + Q * R_i).sum() / (R * S)
                + (Q * S_i).sum() / S**2
            )
        )
        weights = S_i
        extra.update(_cmh_tests(a, n1, n2, N, b, c, d, R / S))
    elif measure == "RR":
        R_i, S_i = a * n2 / N, c * n1 / N
        R, S = R_i.sum(), S_i.sum()
        if a.sum() == 0 or c.sum() == 0:
            raise AnalysisError(
                "the Mantel–Haenszel risk ratio is undefined: one arm has no events in any "
                "trial (use the risk difference instead)"
            )
        estimate = np.log(R / S)
        se = np.sqrt((n1 / N * n2 / N * (a + c) - a / N * c).sum() / (R * S))
        weights = S_i
    else:
        weights = n1 * n2 / N
        estimate = (a * n2 / N - c * n1 / N).sum() / weights.sum()
        se = np.sqrt(
            (
                estimate
                * (c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + n1 / N * n2 / N * (n2 - n1) / 2).sum()
                + (a * (n2 - c) / N + c * (n1 - a) / N).sum() / 2
            )
            / weights.sum() ** 2
        )
    if not se > 0:
        raise AnalysisError(
            f"the Mantel–Haenszel {MEASURE_WORDS[measure]} has no variance: in every trial "
            "either no participant or every participant had the event (e.g. no events in any "
            "trial)"
        )
    es = binary(measure, events1, n1, events2, n2, drop00=True)
    kept = np.isfinite(es.yi)
    q = float(np.sum((es.yi[kept] - estimate) ** 2 / es.vi[kept]))
    notes = []
    if not kept.all():
        notes.append(f"{int((~kept).sum())} trial(s) without events in either arm do not enter Q")
    extra["k_yi"] = int(kept.sum())
    return _result(
        measure,
        "MH",
        level,
        k,
        estimate,
        se,
        _heterogeneity(q, int(kept.sum())),
        weights,
        es.yi,
        es.vi,
        extra,
        notes,
    )


def _cmh_tests(a, n1, n2, N, b, c, d, or_mh: float) -> dict:
    """Cochran–Mantel–Haenszel test (continuity-corrected; ``CMH`` with N − 1, ``CO`` with N)
    and the Breslow–Day test with Tarone's correction (``BD``, ``TA``), as metafor.

    References
    ----------
    Breslow NE, Day NE (1980). Statistical Methods in Cancer Research, vol. 1. IARC.
    Tarone RE (1985). On heterogeneity tests based on efficient scores. Biometrika 72:91-95.
    """
    xt, yt = a + c, b + d
    out = {}
    if xt.sum() > 0 and yt.sum() > 0:
        numerator = (abs(np.sum(a - n1 / N * xt)) - 0.5) ** 2
        out["CO"] = numerator / np.sum(n1 / N * (n2 / N) * (xt * (yt / N)))
        out["CMH"] = numerator / np.sum(n1 / N * (n2 / N) * (xt * (yt / (N - 1))))
        out["COp"] = chi2_sf(out["CO"], 1)
        out["CMHp"] = chi2_sf(out["CMH"], 1)
    if or_mh == 1:
        N11 = n1 / N * xt
    else:
        A = or_mh * (n1 + xt) + (n2 - xt)
        B = np.sqrt(A**2 - 4 * n1 * xt * or_mh * (or_mh - 1))
        N11 = (A - B) / (2 * (or_mh - 1))
    pos = (N11 > 0) & (xt > 0) & (yt > 0)
    N11 = N11[pos]
    N12 = n1[pos] - N11
    N21 = xt[pos] - N11
    N22 = N11 - n1[pos] - xt[pos] + N[pos]
    var = 1 / (1 / N11 + 1 / N12 + 1 / N21 + 1 / N22)
    dev = a[pos] - N11
    bd = max(0.0, float(np.sum(dev**2 / var)))
    ta = max(0.0, bd - float(np.sum(dev)) ** 2 / float(np.sum(var)))
    k_pos = int(pos.sum())
    out.update(BD=bd, TA=ta, k_pos=k_pos)
    if k_pos > 1:
        out.update(BDp=chi2_sf(bd, k_pos - 1), TAp=chi2_sf(ta, k_pos - 1))
    return {key: float(v) if key != "k_pos" else v for key, v in out.items()}


def peto(events1, n1, events2, n2, level: float = 0.95) -> MetaResult:
    """Peto's one-step pooled odds ratio (log scale).

    Notes
    -----
    Per table O − E = a − n1·(a+c)/N and V = (a+c)(b+d)·n1·n2/(N²(N−1));
    log OR = Σ(O−E)/ΣV, SE = 1/√ΣV;
    Q = Σ(O−E)²/V − (Σ(O−E))²/ΣV over tables with V > 0. Weights (percent) are V.

    References
    ----------
    Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and after
    myocardial infarction: an overview of the randomized trials. Prog Cardiovasc Dis
    27(5):335-371.
    """
    a, b, c, d, n1, n2, N = _cells(events1, n1, events2, n2)
    xt, yt = a + c, b + d
    expected = xt * n1 / N
    V = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
    if V.sum() == 0:
        raise AnalysisError(
            "Peto's odds ratio is undefined: the event never occurred (or always occurred) "
            "in every trial"
        )
    estimate = np.sum(a - expected) / V.sum()
    se = 1 / np.sqrt(V.sum())
    informative = V > 0
    dev = (a - expected)[informative]
    q = max(0.0, float(np.sum(dev**2 / V[informative]) - dev.sum() ** 2 / V.sum()))
    double_zero = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    k_yi = int((~double_zero).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.where(informative, (a - expected) / V, np.nan)
        vi = np.where(informative, 1 / V, np.nan)
    notes = []
    if not informative.all():
        notes.append(
            f"{int((~informative).sum())} trial(s) without events in either arm carry no weight"
        )
    q_parts = _heterogeneity(q, k_yi) if informative.sum() > 1 else (q, 0, None, None, None)
    return _result(
        "OR", "PETO", level, len(a), estimate, se, q_parts, V, yi, vi, {"k_yi": k_yi}, notes
    )
