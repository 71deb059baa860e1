"""What each partner type may ask an assessment for, beside the scope ceilings in `policy`.

A partner needs the CREDIT_ASSESSMENT scope (its type's ceiling) and a product its type may
offer: an insurer assesses premium instalments, not loans. The table is pinned by a test that
writes it out by hand.
"""

from __future__ import annotations

import enum

from consent.catalog import PartnerType


class Product(enum.StrEnum):
    LOAN = "LOAN"
    CREDIT_LINE = "CREDIT_LINE"
    INSTALMENT_PURCHASE = "INSTALMENT_PURCHASE"
    RENTAL_DEPOSIT = "RENTAL_DEPOSIT"
    PREMIUM_INSTALMENT = "PREMIUM_INSTALMENT"


PRODUCTS_BY_TYPE: dict[PartnerType, frozenset[Product]] = {
    PartnerType.BANK: frozenset({Product.LOAN, Product.CREDIT_LINE, Product.INSTALMENT_PURCHASE}),
    PartnerType.P2P_LENDER: frozenset({Product.LOAN, Product.INSTALMENT_PURCHASE}),
    PartnerType.INSURER: frozenset({Product.PREMIUM_INSTALMENT}),
    PartnerType.RENTAL: frozenset({Product.RENTAL_DEPOSIT}),
    PartnerType.JOB_SITE: frozenset(),
    PartnerType.DATING: frozenset(),
}


def products_for(partner_type: PartnerType) -> frozenset[Product]:
    return PRODUCTS_BY_TYPE[partner_type]
