"""The linkage rules: what "covered by payroll" and "private-banking customer" mean.

This is the one place these business rules are defined. Every store evaluates the same
:class:`LinkageRules` value, so the embedded store and the Cypher stores agree.

Rules (defaults from the product owners, issue #2, section 5):

- Only accounts whose ``status`` is ``"active"`` count for any product.
- A person is **covered by payroll** when they own an active account whose ``type`` is one of
  ``payroll_products`` (default ``["debit card"]``).
- A person is a **private-banking customer** when their ``segment`` is ``"private"`` or they
  own an active account whose ``type`` is one of ``private_banking_products`` (default
  ``["trust account"]``).
- An **employee** of enterprise E is any person with an ``EMPLOYED_BY`` relationship to E,
  whatever its ``role``; an **executive** has ``role = "executive"``.

Products held from evidence other than an account's type (issue 14; ``crossSellGaps``,
``Person.productsHeld``):

- A person holds **personal loan** (:data:`PERSONAL_LOAN`) when they applied for at least
  one loan that exists (an ``APPLIED_FOR`` relationship to a ``Loan``), besides an active
  account of that type. An enterprise holds ``corporate loan`` likewise, for enterprise
  questions that use it.
- A person holds **e-banking** (:data:`E_BANKING`) when at least one active account they
  own was signed into (``SIGNED_IN_TO``) by at least one medium that exists, is not
  blocked and whose ``type`` is one of ``e_banking_media`` (default
  :data:`DEFAULT_E_BANKING_MEDIA`: phones and network devices; ATM, POS, NFC, RFID and
  QR-code media are card and terminal channels, not e-banking).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph_service.errors import InvalidInputError

DEFAULT_PAYROLL_PRODUCTS: tuple[str, ...] = ("debit card",)
DEFAULT_PRIVATE_BANKING_PRODUCTS: tuple[str, ...] = ("trust account",)
ACTIVE_STATUS = "active"
PRIVATE_SEGMENT = "private"
EXECUTIVE_ROLE = "executive"
PERSONAL_LOAN = "personal loan"
E_BANKING = "e-banking"
DEFAULT_E_BANKING_MEDIA: tuple[str, ...] = ("PHONE", "IPv4", "IPv6", "MAC", "WIFI")


@dataclass(frozen=True, slots=True)
class LinkageRules:
    """Parameters of the linkage rules.

    Parameters
    ----------
    payroll_products : tuple of str
        Account ``type`` values that count as a payroll product.
    private_banking_products : tuple of str
        Account ``type`` values that count as a private-banking product.
    active_status : str
        The account ``status`` that makes an account count (``"active"``).
    private_segment : str
        The person ``segment`` that marks a private-banking customer (``"private"``).
    executive_role : str
        The ``EMPLOYED_BY.role`` that marks an executive (``"executive"``).
    e_banking_media : tuple of str
        ``Medium.type`` values whose sign-ins count as e-banking.
    """

    payroll_products: tuple[str, ...] = DEFAULT_PAYROLL_PRODUCTS
    private_banking_products: tuple[str, ...] = DEFAULT_PRIVATE_BANKING_PRODUCTS
    active_status: str = ACTIVE_STATUS
    private_segment: str = PRIVATE_SEGMENT
    executive_role: str = EXECUTIVE_ROLE
    e_banking_media: tuple[str, ...] = DEFAULT_E_BANKING_MEDIA

    def payroll(self, override: Sequence[str] | None) -> tuple[str, ...]:
        """Return the payroll product types to use, honouring a per-request override.

        Parameters
        ----------
        override : sequence of str or None
            The ``productTypes`` argument of a request; ``None`` means the configured list.

        Raises
        ------
        InvalidInputError
            If the override is an empty list or holds a blank type.
        """
        if override is None:
            return self.payroll_products
        products = tuple(override)
        if not products or any(not p.strip() for p in products):
            raise InvalidInputError("productTypes must list at least one non-blank type")
        return products
