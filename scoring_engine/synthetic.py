"""A synthetic population with a known truth, for training the default model and testing it.

The generative model, per person:

1. A latent creditworthiness ``z ~ N(0, 1)`` (higher is better) that nobody observes.
2. Linking: better people link accounts a little more often (social ~83%, e-commerce ~77%);
   some link nothing. About 6% of linked accounts are brand new (under four months): these
   and dormant accounts make the thin files that ``has_sufficient_data`` turns away.
3. Behaviour driven by ``z`` plus independent noise, with the skew real data has: account
   ages, followers, order values and spend are log-normal; monthly posts and orders are Poisson
   counts switched off in inactive months and before the account existed; returns, late
   instalments and address changes rise as ``z`` falls.
4. Default within 12 months is Bernoulli(PD), where the true log-odds of PD are an additive,
   non-linear function of the observable behaviour (``_true_log_odds``): the latent acts on
   default only through what it makes people do. The best any model can do is therefore to
   recover the true PD from the records, and the AUC of the true PD (``oracle_auc``) is the
   ceiling a model is measured against.

5. A protected attribute, the age band (``AGE_BANDS``), drawn after everything else: it is
   never a feature, but older people have had their accounts longer, so a model that rewards
   account history approves the young less often. It is the group column of the fairness
   report of the default model, a disparity known by construction.

Everything is drawn with one ``numpy.random.Generator`` seeded by the caller, in a fixed order,
so a seed always yields the same population. 100,000 people take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring_engine.features import (
    DAYS_PER_MONTH,
    FEATURE_NAMES,
    ApplicantBatch,
    feature_matrix,
    sufficient_rows,
)
from scoring_engine.metrics import auc
from scoring_engine.records import MONTHS, ApplicantData, EcommerceRecord, SocialRecord

Array = NDArray[np.float64]

DEFAULT_SEED = 20_250_101
"""Seed of the population the default model is trained on."""

SYNTHETIC_AS_OF = date(2025, 1, 1)
"""Date the synthetic monthly series end at, unless the caller picks another."""

_BASE_LOG_ODDS = -2.55

AGE_BANDS: tuple[str, ...] = ("18-29", "30-44", "45+")
_AGE_BAND_STARTS = np.array([0.0, 30.0, 45.0])


@dataclass(frozen=True)
class Population:
    """A generated population: records, true default probabilities and outcomes."""

    batch: ApplicantBatch
    as_of: date
    latent: Array
    true_pd: Array
    defaulted: NDArray[np.bool_]
    age_band: NDArray[np.str_]
    """Protected attribute for the fairness report; never a model input."""

    def __len__(self) -> int:
        return len(self.batch)

    @property
    def sufficient(self) -> NDArray[np.bool_]:
        """Who has enough history to be scored."""
        return sufficient_rows(feature_matrix(self.batch))

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_]) -> Population:
        """The people at ``rows`` (indices or a mask)."""
        return Population(
            batch=self.batch.take(rows),
            as_of=self.as_of,
            latent=self.latent[rows],
            true_pd=self.true_pd[rows],
            defaulted=self.defaulted[rows],
            age_band=self.age_band[rows],
        )

    def applicant(self, row: int) -> ApplicantData:
        """Person ``row`` as validated records, as a connector would deliver them."""
        b = self.batch

        def created(age_days: float) -> date:
            return self.as_of - timedelta(days=int(age_days))

        social = None
        if b.column("social_linked")[row] == 1.0:
            social = SocialRecord(
                account_created=created(b.column("social_age_days")[row]),
                followers=int(b.column("followers")[row]),
                following=int(b.column("following")[row]),
                posts_per_month=tuple(int(v) for v in b.series("posts")[row]),
                verified=bool(b.column("verified")[row] == 1.0),
            )
        ecommerce = None
        if b.column("ecommerce_linked")[row] == 1.0:
            ecommerce = EcommerceRecord(
                account_created=created(b.column("ecommerce_age_days")[row]),
                orders_per_month=tuple(int(v) for v in b.series("orders")[row]),
                spend_per_month=tuple(float(v) for v in b.series("spend")[row]),
                return_rate=float(b.column("return_rate")[row]),
                instalments_on_time=int(b.column("instalments_on_time")[row]),
                instalments_late=int(b.column("instalments_late")[row]),
                delivery_addresses=int(b.column("delivery_addresses")[row]),
                address_changes=int(b.column("address_changes")[row]),
            )
        return ApplicantData(social=social, ecommerce=ecommerce, as_of=self.as_of)


def generate(n: int, seed: int, as_of: date = SYNTHETIC_AS_OF) -> Population:
    """Draw ``n`` people deterministically from ``seed``."""
    if n < 1:
        raise ValueError("a population needs at least one person")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)

    def noise() -> Array:
        return rng.standard_normal(n)

    def linked(base: float | Array, slope: float) -> NDArray[np.bool_]:
        return rng.random(n) < _sigmoid(base + slope * z)

    def account_age_days(log_months: Array) -> Array:
        months = np.minimum(np.exp(log_months), 180.0)
        # New accounts are common and carry little history whatever the person is like.
        brand_new = rng.random(n) < 0.06
        months = np.where(brand_new, rng.uniform(0.0, 4.0, n), months)
        return np.floor(months * DAYS_PER_MONTH)

    def monthly_counts(age_days: Array, rate: Array, active_prob: Array) -> Array:
        # Month m (0 = oldest) ends (11 - m) months before as_of; nothing before the account.
        months_ago = (MONTHS - 1 - np.arange(MONTHS)) * DAYS_PER_MONTH
        existed = age_days[:, None] > months_ago[None, :]
        active = rng.random((n, MONTHS)) < active_prob[:, None]
        counts = rng.poisson(np.broadcast_to(rate[:, None], (n, MONTHS)))
        return np.where(existed & active, counts, 0).astype(np.float64)

    social_linked = linked(1.6, 0.3)
    social_age = account_age_days(3.0 + 0.35 * z + 0.8 * noise())
    followers = np.floor(np.exp(4.0 + 0.5 * z + 1.3 * noise()))
    following = np.floor(np.exp(4.5 + 0.9 * noise()))
    posts = monthly_counts(
        social_age, np.exp(1.2 + 0.3 * z + 0.8 * noise()), _sigmoid(1.2 + 0.5 * z + noise())
    )
    verified = linked(-2.5 + 0.4 * (np.log1p(followers) - 4.0), 0.5)

    ecommerce_linked = linked(1.2, 0.5)
    ecommerce_age = account_age_days(3.3 + 0.3 * z + 0.7 * noise())
    orders = monthly_counts(
        ecommerce_age, np.exp(0.9 + 0.3 * z + 0.6 * noise()), _sigmoid(1.5 + 0.6 * z + noise())
    )
    order_value = np.exp(4.8 + 0.3 * z + 0.5 * noise())
    spend = np.round(orders * order_value[:, None] * rng.lognormal(0.0, 0.35, (n, MONTHS)), 2)
    return_rate = np.round(_sigmoid(-2.3 - 0.4 * z + 0.6 * noise()), 3)
    instalments = rng.poisson(np.exp(1.3 + 0.6 * noise())) * (rng.random(n) < 0.75)
    late = rng.binomial(instalments, _sigmoid(-3.2 - 1.0 * z + 0.4 * noise()))
    delivery_addresses = 1 + rng.poisson(0.7, n)
    address_changes = rng.poisson(np.exp(-1.3 - 0.5 * z + 0.5 * noise()))

    def only(mask: NDArray[np.bool_], values: Array) -> Array:
        return np.where(mask, values, np.nan)

    def only_months(mask: NDArray[np.bool_], values: Array) -> Array:
        return np.where(mask[:, None], values, 0.0)

    batch = ApplicantBatch.from_columns(
        social_linked=social_linked.astype(np.float64),
        social_age_days=only(social_linked, social_age),
        followers=only(social_linked, followers),
        following=only(social_linked, following),
        verified=only(social_linked, verified.astype(np.float64)),
        ecommerce_linked=ecommerce_linked.astype(np.float64),
        ecommerce_age_days=only(ecommerce_linked, ecommerce_age),
        return_rate=only(ecommerce_linked, return_rate),
        instalments_on_time=only(ecommerce_linked, (instalments - late).astype(np.float64)),
        instalments_late=only(ecommerce_linked, late.astype(np.float64)),
        delivery_addresses=only(ecommerce_linked, delivery_addresses.astype(np.float64)),
        address_changes=only(ecommerce_linked, address_changes.astype(np.float64)),
        posts=only_months(social_linked, posts),
        orders=only_months(ecommerce_linked, orders),
        spend=only_months(ecommerce_linked, spend),
    )
    true_pd = _sigmoid(_true_log_odds(feature_matrix(batch)))
    defaulted = rng.random(n) < true_pd
    # Drawn last, so adding it left every earlier draw (and the default model) unchanged.
    longest_history_months = np.nan_to_num(np.fmax(social_age, ecommerce_age)) / DAYS_PER_MONTH
    age = 18.0 + 0.15 * longest_history_months + rng.gamma(2.0, 7.0, n)
    age_band = np.asarray(AGE_BANDS)[np.searchsorted(_AGE_BAND_STARTS, age, side="right") - 1]
    return Population(
        batch=batch,
        as_of=as_of,
        latent=z,
        true_pd=true_pd,
        defaulted=defaulted,
        age_band=age_band,
    )


def _true_log_odds(x: Array) -> Array:
    """The world's rule for default: additive in the behaviour, non-linear in each part.

    Missing values (unlinked source, no spend, no instalments) carry their own fixed risk.
    """
    f = {name: x[:, i] for i, name in enumerate(FEATURE_NAMES)}
    social = ~np.isnan(f["social_account_age_months"])
    ecommerce = ~np.isnan(f["ecommerce_account_age_months"])
    social_part = (
        -0.35 * np.log1p(np.minimum(f["social_account_age_months"], 120.0) / 6.0)
        - 0.12 * np.clip(f["social_followers_log"] - 4.0, -3.0, 3.0)
        - 0.05 * f["social_active_months"]
        - 0.35 * f["social_verified"]
    )
    ecommerce_part = (
        -0.4 * np.log1p(np.minimum(f["ecommerce_account_age_months"], 120.0) / 6.0)
        - 0.2 * np.clip(f["ecommerce_spend_per_month_log"] - 6.0, -3.0, 3.0)
        + np.nan_to_num(0.6 * np.minimum(f["ecommerce_spend_volatility"], 3.0), nan=0.5)
        - 0.05 * f["ecommerce_active_months"]
        + 2.5 * f["ecommerce_return_rate"]
        + np.nan_to_num(3.0 * (1.0 - f["ecommerce_on_time_rate"]), nan=0.25)
        + 0.15 * np.minimum(f["ecommerce_late_instalments"], 8.0)
        + 0.25 * np.minimum(f["ecommerce_address_changes"], 6.0)
    )
    return np.asarray(
        _BASE_LOG_ODDS
        + np.where(social, social_part, 0.3)
        + np.where(ecommerce, ecommerce_part, 0.6),
        dtype=np.float64,
    )


def oracle_auc(population: Population) -> float:
    """AUC of the true PD: the best ranking any model could reach on these outcomes."""
    return auc(population.defaulted, population.true_pd)


def _sigmoid(log_odds: Array) -> Array:
    return np.asarray(1.0 / (1.0 + np.exp(-log_odds)), dtype=np.float64)


PERSONAS: tuple[str, ...] = (
    "grade_a",
    "grade_b",
    "grade_c",
    "grade_d",
    "thin_file",
    "empty",
    "poor_payer",
)
"""Sandbox test personas. Each grade_* persona gets that grade from the default model;
thin_file (a six-week-old social account) and empty (nothing linked) get INSUFFICIENT_DATA;
poor_payer gets D with both kinds of account, so an EXTENDED assessment of it is answered
(grade_d has no social account, and such an assessment waits for one)."""


def persona(name: str, as_of: date = SYNTHETIC_AS_OF) -> ApplicantData:
    """A fixed test person. Account ages are relative to ``as_of``, so pass the scoring date
    (the sandbox passes today) and the persona keeps its grade as time goes by."""
    if name not in _PERSONAS:
        raise KeyError(f"no persona {name!r}; choose from {', '.join(PERSONAS)}")
    social, ecommerce = _PERSONAS[name]

    def opened(months: float) -> date:
        return as_of - timedelta(days=round(months * DAYS_PER_MONTH))

    return ApplicantData(
        social=None
        if social is None
        else SocialRecord(account_created=opened(social[0]), **social[1]),
        ecommerce=None
        if ecommerce is None
        else EcommerceRecord(account_created=opened(ecommerce[0]), **ecommerce[1]),
        as_of=as_of,
    )


def persona_sources(name: str, as_of: date = SYNTHETIC_AS_OF) -> dict[str, dict[str, object]]:
    """A persona's linked accounts as provider-style mappings, keyed by kind ("social",
    "ecommerce"); each parses back with ``SocialRecord``/``EcommerceRecord.from_mapping``."""
    data = persona(name, as_of)
    records = {"social": data.social, "ecommerce": data.ecommerce}
    return {kind: record.to_mapping() for kind, record in records.items() if record is not None}


_Spec = tuple[float, dict[str, Any]] | None
_PERSONAS: dict[str, tuple[_Spec, _Spec]] = {
    # (account age in months, record fields) per source; None = not linked.
    "grade_a": (
        (64, {"followers": 900, "following": 300, "posts_per_month": (9,) * 12, "verified": True}),
        (
            75,
            {
                "orders_per_month": (6,) * 12,
                "spend_per_month": (1350.0, 1280.0, 1420.0, 1300.0, 1390.0, 1250.0) * 2,
                "return_rate": 0.02,
                "instalments_on_time": 24,
                "delivery_addresses": 2,
            },
        ),
    ),
    "grade_b": (
        (12, {"followers": 150, "following": 260, "posts_per_month": (0, 4, 3, 5, 0, 4) * 2}),
        (
            12,
            {
                "orders_per_month": (3, 2, 0, 4, 3, 2) * 2,
                "spend_per_month": (420.0, 300.0, 0.0, 610.0, 450.0, 280.0) * 2,
                "return_rate": 0.2,
                "instalments_on_time": 10,
                "delivery_addresses": 1,
            },
        ),
    ),
    "grade_c": (
        (20, {"followers": 60, "following": 180, "posts_per_month": (0, 0, 2, 0, 3, 1) * 2}),
        (
            20,
            {
                "orders_per_month": (0, 2, 0, 0, 3, 1) * 2,
                "spend_per_month": (0.0, 260.0, 0.0, 0.0, 820.0, 90.0) * 2,
                "return_rate": 0.18,
                "instalments_on_time": 6,
                "delivery_addresses": 2,
                "address_changes": 1,
            },
        ),
    ),
    "grade_d": (
        None,
        (
            8,
            {
                "orders_per_month": (0, 0, 0, 0, 1, 0, 0, 4, 0, 0, 2, 0),
                "spend_per_month": (0, 0, 0, 0, 90.0, 0, 0, 1600.0, 0, 0, 150.0, 0),
                "return_rate": 0.35,
                "instalments_on_time": 3,
                "instalments_late": 4,
                "delivery_addresses": 3,
                "address_changes": 3,
            },
        ),
    ),
    # Grade C's social account beside a patchy, late-paying shopping record. The default model's
    # champion and challenger agree on it (12-month PDs about 0.22 and 0.21, well inside the
    # review margin), so an EXTENDED assessment declines without an analyst.
    "poor_payer": (
        (20, {"followers": 60, "following": 180, "posts_per_month": (0, 0, 2, 0, 3, 1) * 2}),
        (
            16,
            {
                "orders_per_month": (1, 0, 2, 0, 1, 0, 0, 3, 0, 1, 2, 0),
                "spend_per_month": (120.0, 0, 300.0, 0, 90.0, 0, 0, 900.0, 0, 150.0, 210.0, 0),
                "return_rate": 0.3,
                "instalments_on_time": 4,
                "instalments_late": 1,
                "delivery_addresses": 3,
                "address_changes": 1,
            },
        ),
    ),
    "thin_file": (
        (1.5, {"followers": 12, "following": 40, "posts_per_month": (0,) * 10 + (3, 5)}),
        None,
    ),
    "empty": (None, None),
}
