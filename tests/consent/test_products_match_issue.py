"""Which products each partner type may ask an assessment for: the table, written out by hand."""

from __future__ import annotations

import pytest

import consent_spec
from consent.catalog import PartnerType
from consent.products import Product, products_for

PRODUCTS: dict[str, frozenset[str]] = {
    "BANK": frozenset({"LOAN", "CREDIT_LINE", "INSTALMENT_PURCHASE"}),
    "P2P_LENDER": frozenset({"LOAN", "INSTALMENT_PURCHASE"}),
    "INSURER": frozenset({"PREMIUM_INSTALMENT"}),
    "RENTAL": frozenset({"RENTAL_DEPOSIT"}),
    "JOB_SITE": frozenset(),
    "DATING": frozenset(),
}


def test_the_products_are_the_issues() -> None:
    assert {p.value for p in Product} == {
        "LOAN",
        "CREDIT_LINE",
        "INSTALMENT_PURCHASE",
        "RENTAL_DEPOSIT",
        "PREMIUM_INSTALMENT",
    }


@pytest.mark.parametrize("partner_type", consent_spec.PARTNER_TYPES)
def test_each_types_products(partner_type: str) -> None:
    assert {p.value for p in products_for(PartnerType(partner_type))} == PRODUCTS[partner_type]


@pytest.mark.parametrize("partner_type", consent_spec.PARTNER_TYPES)
def test_a_type_offers_products_exactly_when_it_may_hold_credit_assessment(
    partner_type: str,
) -> None:
    assert bool(PRODUCTS[partner_type]) == consent_spec.allowed(partner_type, "CREDIT_ASSESSMENT")
